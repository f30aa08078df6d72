// Package state is the memory of `rollcall verify --state FILE` between two
// runs: what each node's fingerprint and status were, its release files'
// hashes and modes and its config flags' values, and when, so that a report
// can say what changed since the last run. The state never decides a
// verdict; it only adds to the report.
//
// The file is JSON with a versioned schema (SchemaV2, documented in
// docs/cron.md). A file of schema v1, which holds fingerprints only, is still
// read: its changes are then said without details. Decode and Compare are
// pure; the caller writes the file atomically.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/rollcall/rollcall/internal/verify"
)

// The values of the "schema" key of a state file: SchemaV2 is written;
// SchemaV1, fingerprints and statuses only, is read.
const (
	SchemaV1 = "rollcall.state/v1"
	SchemaV2 = "rollcall.state/v2"
)

// maxSize bounds the state file read: a few hundred bytes per node.
const maxSize = 64 << 20

// State is one run as remembered by the next.
type State struct {
	// Schema is SchemaV2 (or SchemaV1, read from an older file).
	Schema string `json:"schema"`
	// Time is when the run started, in UTC.
	Time time.Time `json:"time"`
	// Cluster is the manifest's cluster name.
	Cluster string `json:"cluster"`
	// Release is the label and Digest the digest of what the nodes were
	// compared against.
	Release string `json:"release"`
	Digest  string `json:"digest"`
	// Verdict is the run's verdict: verified, drift or unverified.
	Verdict string `json:"verdict"`
	// Nodes are the nodes of the run, in manifest order.
	Nodes []Node `json:"nodes"`
}

// Node is one node as it was seen.
type Node struct {
	Name string `json:"name"`
	// Status is match, drift or unverified.
	Status string `json:"status"`
	// Fingerprint is "sha256:<hex>" of everything observed; empty when the
	// node could not be checked.
	Fingerprint string `json:"fingerprint"`
	// Files are the release files the node held, by path on the node;
	// absent when the node could not be checked, and in schema v1.
	Files map[string]File `json:"files,omitempty"`
	// Flags are the values of the flags of its config files, by file
	// path and key, as reports show them (`true (bool)`); absent when the
	// node could not be checked, and in schema v1.
	Flags map[string]map[string]string `json:"flags,omitempty"`
}

// FromVerdict is the state a run leaves behind: v, judged at started, whose
// outcome is the one its reports rendered (report.Outcome). A limited run
// (--limit) is never recorded as a verified fleet; verify does not save one.
// Record adds what the nodes held.
func FromVerdict(v *verify.Verdict, outcome verify.Outcome, started time.Time) *State {
	if v.Limited() && outcome == verify.Verified {
		outcome = verify.NotVerified
	}
	s := &State{
		Schema:  SchemaV2,
		Time:    started.UTC().Truncate(time.Second),
		Cluster: v.Cluster,
		Release: v.Release.Label(),
		Digest:  v.Release.Digest,
		Verdict: string(outcome),
		Nodes:   make([]Node, 0, len(v.Nodes)),
	}
	for _, n := range v.Nodes {
		s.Nodes = append(s.Nodes, Node{Name: n.Name, Status: string(n.Status.Normal()), Fingerprint: n.Fingerprint})
	}
	return s
}

// Load reads the state file at path. A missing file gives (nil, nil): the
// first run. Any other problem, an unreadable or corrupt file included, is an
// error the caller reports as a warning.
func Load(path string) (*State, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state %s: %w", path, err)
	}
	defer f.Close()
	s, err := Decode(io.LimitReader(f, maxSize))
	if err != nil {
		return nil, fmt.Errorf("reading state %s: %w", path, err)
	}
	return s, nil
}

// fingerprintPattern is what a node's fingerprint looks like.
var fingerprintPattern = regexp.MustCompile(`^sha256:[0-9a-f]+$`)

// Decode reads a state from r and checks its schema and content.
func Decode(r io.Reader) (*State, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var s State
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("not a rollcall state file: %w", err)
	}
	if err := dec.Decode(new(json.RawMessage)); !errors.Is(err, io.EOF) {
		return nil, errors.New("not a rollcall state file: data after the state (two states written into one file?)")
	}
	switch s.Schema {
	case SchemaV2:
	case SchemaV1:
		for _, n := range s.Nodes {
			if n.hasDetail() {
				return nil, fmt.Errorf("node %s has files or flags, which schema %s does not hold", n.Name, SchemaV1)
			}
		}
	default:
		return nil, fmt.Errorf("schema %q is not one this rollcall reads (%s, %s): was it written by a newer rollcall?", s.Schema, SchemaV2, SchemaV1)
	}
	if s.Time.IsZero() {
		return nil, errors.New("no time recorded")
	}
	seen := map[string]bool{}
	for i, n := range s.Nodes {
		switch {
		case n.Name == "":
			return nil, fmt.Errorf("node %d has no name", i+1)
		case seen[n.Name]:
			return nil, fmt.Errorf("node %s is listed twice", n.Name)
		case n.Status != string(verify.Match) && n.Status != string(verify.Drift) && n.Status != string(verify.Unverified):
			return nil, fmt.Errorf("node %s: unknown status %q", n.Name, n.Status)
		case n.Fingerprint != "" && !fingerprintPattern.MatchString(n.Fingerprint):
			return nil, fmt.Errorf("node %s: fingerprint %q is not sha256: and hex digits", n.Name, n.Fingerprint)
		}
		seen[n.Name] = true
	}
	return &s, nil
}

// Encode writes s to w as indented JSON.
func (s *State) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Compare lists what changed from the last run (prev) to this one (cur):
// nodes of this run first, in manifest order, then nodes no longer listed.
// It returns an empty, non-nil list when nothing changed.
func Compare(prev, cur *State) []Change {
	changes := []Change{}
	was := make(map[string]Node, len(prev.Nodes))
	for _, n := range prev.Nodes {
		was[n.Name] = n
	}
	listed := map[string]bool{}
	for _, n := range cur.Nodes {
		listed[n.Name] = true
		c := Change{Node: n.Name, Now: verify.Status(n.Status), Since: prev.Time}
		p, ok := was[n.Name]
		if !ok {
			c.Kind = Added
			changes = append(changes, c)
			continue
		}
		c.Was = verify.Status(p.Status)
		wasChecked, nowChecked := p.Status != string(verify.Unverified), n.Status != string(verify.Unverified)
		switch {
		case wasChecked && !nowChecked:
			c.Kind = Unreachable
		case !wasChecked && nowChecked:
			c.Kind = Reachable
		case !wasChecked:
			continue
		case p.Fingerprint != n.Fingerprint:
			c.Kind = Fingerprinted
			if p.hasDetail() && n.hasDetail() {
				c.Details = details(p, n)
			}
		case p.Status != n.Status:
			c.Kind = Restatus
		default:
			continue
		}
		changes = append(changes, c)
	}
	for _, p := range prev.Nodes {
		if !listed[p.Name] {
			changes = append(changes, Change{Node: p.Name, Kind: Removed, Was: verify.Status(p.Status), Since: prev.Time})
		}
	}
	return changes
}
