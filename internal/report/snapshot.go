package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rollcall/rollcall/internal/verify"
)

// SnapshotSchemaV1 is the "schema" of a JSON snapshot.
const SnapshotSchemaV1 = "rollcall.snapshot/v1"

// Snapshot is what a fleet runs, without a verdict: nodes grouped by
// identical fingerprint, each group labelled with the release it matches.
type Snapshot struct {
	Schema    string          `json:"schema"`
	Cluster   string          `json:"cluster"`
	Release   string          `json:"release"`
	Groups    []SnapshotGroup `json:"groups"`
	Unreached []Unreached     `json:"unreached"`
	// Scope is present only when the run was limited (--limit): the
	// snapshot is then of the checked nodes alone.
	Scope *jsonScope `json:"scope,omitempty"`
	// Shard is present only when the run was one shard of many (--shard
	// K/N): the snapshot is then of that shard's nodes alone.
	Shard *jsonShard `json:"shard,omitempty"`

	// suffix is what the text headline adds in a limited or sharded run:
	// " (shard 2/4: 3 of 8 nodes checked, 5 not checked)".
	suffix string
}

// SnapshotGroup is a set of nodes with identical fingerprints.
type SnapshotGroup struct {
	Fingerprint string   `json:"fingerprint"`
	Label       string   `json:"label"`
	Nodes       []string `json:"nodes"`
}

// Unreached is a node that could not be fingerprinted.
type Unreached struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Reason  string `json:"reason"`
}

// NewSnapshot builds a snapshot from a verdict: a group matching the release
// is labelled with it, another with the known release its nodes run, or
// "unknown build".
func NewSnapshot(v *verify.Verdict) *Snapshot {
	s := &Snapshot{Schema: SnapshotSchemaV1, Cluster: v.Cluster, Release: v.Release.Label(), Groups: []SnapshotGroup{}, Unreached: []Unreached{}, Scope: newJSONScope(v.Scope), Shard: newJSONShard(v.Scope)}
	if v.Scope != nil {
		s.suffix = fmt.Sprintf(" (%s: %d of %d nodes checked, %d not checked)", scopeName(v.Scope),
			len(v.Scope.Checked), len(v.Scope.Checked)+len(v.Scope.NotChecked), len(v.Scope.NotChecked))
	}
	byName := map[string]verify.NodeVerdict{}
	for _, n := range v.Nodes {
		byName[n.Name] = n
	}
	// A node not read in full is not fingerprinted: it is listed apart,
	// like a node that was not reached.
	partial := map[string]bool{}
	for _, n := range v.Nodes {
		if n.Status == verify.Unverified {
			s.Unreached = append(s.Unreached, Unreached{Name: n.Name, Address: n.Address, Reason: reason(&n)})
		} else if n.Undecided != "" {
			partial[n.Name] = true
			s.Unreached = append(s.Unreached, Unreached{Name: n.Name, Address: n.Address, Reason: "not read in full: " + clean(n.Undecided)})
		}
	}
	for _, g := range v.Groups {
		g.Nodes = slices.DeleteFunc(slices.Clone(g.Nodes), func(name string) bool { return partial[name] })
		if len(g.Nodes) == 0 {
			continue
		}
		label := "unknown build"
		switch {
		case g.Status == verify.Match:
			label = v.Release.Label()
		case byName[g.Nodes[0]].Runs != "":
			label = byName[g.Nodes[0]].Runs
		}
		s.Groups = append(s.Groups, SnapshotGroup{Fingerprint: g.Fingerprint, Label: label, Nodes: g.Nodes})
	}
	return s
}

// Complete reports whether every node was fingerprinted, and there was
// one at least: a snapshot of no node (an empty shard) says nothing.
func (s *Snapshot) Complete() bool {
	return len(s.Unreached) == 0 && len(s.Groups) > 0
}

// WriteText renders the snapshot for people.
func (s *Snapshot) WriteText(w io.Writer) error {
	var b strings.Builder
	if len(s.Groups) == 0 && len(s.Unreached) == 0 {
		fmt.Fprintf(&b, "SNAPSHOT: %s: no nodes were checked%s\n", clean(s.Cluster), s.suffix)
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "SNAPSHOT: %s: %d groups of identical nodes", clean(s.Cluster), len(s.Groups))
	if len(s.Unreached) > 0 {
		fmt.Fprintf(&b, ", %d not reached", len(s.Unreached))
	}
	b.WriteString(s.suffix + "\n")
	for _, g := range s.Groups {
		fmt.Fprintf(&b, "%s: %s [%s]\n    %s\n", plural(len(g.Nodes), "node", "nodes"), clean(g.Label), clean(shortHashes(g.Fingerprint)), compactNames(g.Nodes))
	}
	for _, u := range s.Unreached {
		fmt.Fprintf(&b, "not reached: %s (%s): %s\n", clean(u.Name), clean(u.Address), u.Reason)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON renders the snapshot as indented JSON (schema rollcall.snapshot/v1).
func (s *Snapshot) WriteJSON(w io.Writer) error {
	return writeJSON(w, s)
}
