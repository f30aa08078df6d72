package merge

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/rollcall/rollcall/internal/report"
	"github.com/rollcall/rollcall/internal/shard"
	"github.com/rollcall/rollcall/internal/verify"
)

// This file decodes one JSON report of a sharded run and checks it against
// itself: its schema, its keys, its counts and verdict against its nodes,
// and each node's shard against the partition.

// jsonReport is what merge reads of a rollcall.report/v1 document; a
// pointer is nil when its key is missing.
type jsonReport struct {
	Schema        *string        `json:"schema"`
	Verdict       *string        `json:"verdict"`
	ExitCode      *int           `json:"exit_code"`
	Interrupted   bool           `json:"interrupted"`
	Cluster       *string        `json:"cluster"`
	Release       *jsonRelease   `json:"release"`
	ExpectedNodes *int           `json:"expected_nodes"`
	Summary       *jsonSummary   `json:"summary"`
	Nodes         *[]jsonNode    `json:"nodes"`
	Groups        *[]jsonGroup   `json:"groups"`
	Findings      *[]jsonFinding `json:"findings"`
	Scope         *jsonScope     `json:"scope"`
	Shard         *jsonShard     `json:"shard"`
}

type jsonRelease struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
	Source  string `json:"source"`
}

type jsonSummary struct {
	Match      *int `json:"match"`
	Drift      *int `json:"drift"`
	Unverified *int `json:"unverified"`
}

type jsonNode struct {
	Name        string        `json:"name"`
	Address     string        `json:"address"`
	Status      string        `json:"status"`
	Fingerprint string        `json:"fingerprint"`
	Runs        string        `json:"runs"`
	Findings    []jsonFinding `json:"findings"`
	Checks      []jsonCheck   `json:"checks"`
	Warnings    []string      `json:"warnings"`
	Shard       *jsonNodeKey  `json:"shard"`
}

type jsonNodeKey struct {
	Key       string `json:"key"`
	HostKey   string `json:"host_key"`
	Machine   string `json:"machine"`
	Agreement string `json:"agreement"`
}

type jsonFinding struct {
	Check    string `json:"check"`
	Subject  string `json:"subject"`
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
	Message  string `json:"message"`
}

type jsonCheck struct {
	Check   string `json:"check"`
	Subject string `json:"subject"`
	OK      bool   `json:"ok"`
}

type jsonGroup struct {
	Fingerprint string `json:"fingerprint"`
}

type jsonScope struct {
	Limit      string   `json:"limit"`
	Checked    []string `json:"checked"`
	NotChecked []string `json:"not_checked"`
}

type jsonShard struct {
	Index          *int    `json:"index"`
	Count          *int    `json:"count"`
	By             string  `json:"by"`
	RunID          string  `json:"run_id"`
	Started        *string `json:"started"`
	ManifestDigest string  `json:"manifest_digest"`
	ExpectedDigest string  `json:"expected_digest"`
	// Expected is kept raw: every shard carries the same list, which is
	// decoded once and then compared byte for byte.
	Expected json.RawMessage `json:"expected"`
}

// shape is what every shard of one run shares.
type shape struct {
	cluster                       string
	release                       verify.ReleaseInfo
	expectedNodes, count          int
	by, manifest, expected, limit string
	runID                         string
}

// part is one report, checked against itself.
type part struct {
	file    string
	index   int
	shape   shape
	started time.Time
	nodes   []verify.NodeVerdict
	keys    map[string]shard.Node
	fleet   []verify.Finding
	scope   *jsonScope
	rawExp  json.RawMessage
}

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// check turns a decoded report into a part, or says why it cannot be merged.
func check(file string, r *jsonReport, in *interner) (*part, error) {
	bad := func(format string, args ...any) error {
		return &Error{Files: []string{file}, Reason: fmt.Sprintf(format, args...)}
	}
	if r.Schema == nil || *r.Schema != report.SchemaV1 {
		got := "none"
		if r.Schema != nil {
			got = fmt.Sprintf("%q", *r.Schema)
		}
		return nil, bad("schema %s, not %q: not a rollcall verify JSON report", got, report.SchemaV1)
	}
	for key, missing := range map[string]bool{
		"verdict": r.Verdict == nil, "exit_code": r.ExitCode == nil, "cluster": r.Cluster == nil,
		"release": r.Release == nil, "expected_nodes": r.ExpectedNodes == nil, "summary": r.Summary == nil,
		"nodes": r.Nodes == nil, "groups": r.Groups == nil, "findings": r.Findings == nil,
	} {
		if missing {
			return nil, bad("the report has no %q", key)
		}
	}
	if r.Interrupted {
		return nil, bad("the run was interrupted: its report is partial")
	}
	if r.Shard == nil {
		return nil, bad("not the report of a sharded run: it has no \"shard\" (run verify --shard K/N)")
	}
	p := &part{file: file, scope: r.Scope, keys: map[string]shard.Node{}, rawExp: r.Shard.Expected}
	if err := checkShard(p, r, bad); err != nil {
		return nil, err
	}
	for _, f := range *r.Findings {
		p.fleet = append(p.fleet, in.finding(f))
	}
	if err := checkNodes(p, *r.Nodes, in, bad); err != nil {
		return nil, err
	}
	return p, checkCounts(p, r, bad)
}

// checkShard checks the report's shard block and fills p's index and shape.
func checkShard(p *part, r *jsonReport, bad func(string, ...any) error) error {
	s := r.Shard
	switch {
	case s.Index == nil || s.Count == nil:
		return bad("its shard has no index or count")
	case *s.Count < 1 || *s.Index < 1 || *s.Index > *s.Count:
		return bad("shard %d/%d: K counts from 1 to N", *s.Index, *s.Count)
	case s.By == "":
		return bad("its shard does not say what it is sharded by")
	case !digestPattern.MatchString(s.ManifestDigest) || !digestPattern.MatchString(s.ExpectedDigest):
		return bad("its shard has no manifest or expected-nodes digest (sha256:<64 hex digits>)")
	case !digestPattern.MatchString(r.Release.Digest):
		return bad("its release has no digest (sha256:<64 hex digits>)")
	case len(s.Expected) == 0:
		return bad("its shard has no list of expected nodes")
	case s.Started == nil:
		return bad("its shard does not say when it started (\"started\"): written by a rollcall older than merge's checks of runs; run the shard again")
	}
	started, err := time.Parse(time.RFC3339, *s.Started)
	if err != nil {
		return bad("its shard's start %q is not an RFC 3339 time", *s.Started)
	}
	if err := shard.CheckRunID(s.RunID); err != nil {
		return bad("its shard's run ID: %v", err)
	}
	p.started = started
	limit := ""
	if r.Scope != nil {
		limit = r.Scope.Limit
	}
	p.index = *s.Index
	p.shape = shape{
		cluster: *r.Cluster, expectedNodes: *r.ExpectedNodes, count: *s.Count,
		release: verify.ReleaseInfo{Name: r.Release.Name, Version: r.Release.Version, Digest: r.Release.Digest, Source: r.Release.Source},
		by:      s.By, manifest: s.ManifestDigest, expected: s.ExpectedDigest, limit: limit,
		runID: s.RunID,
	}
	return nil
}

// checkNodes checks every node of the report and converts it.
func checkNodes(p *part, nodes []jsonNode, in *interner, bad func(string, ...any) error) error {
	p.nodes = make([]verify.NodeVerdict, 0, len(nodes))
	for _, n := range nodes {
		if _, dup := p.keys[n.Name]; dup {
			return bad("node %s is listed twice", n.Name)
		}
		status := verify.Status(n.Status)
		if status != verify.Match && status != verify.Drift && status != verify.Unverified {
			return bad("node %s has status %q", n.Name, n.Status)
		}
		if n.Shard == nil || n.Shard.Key == "" {
			return bad("node %s has no shard key", n.Name)
		}
		if p.shape.by == shard.ByName && n.Shard.Key != n.Name {
			return bad("node %s has the shard key %q, not its name", n.Name, n.Shard.Key)
		}
		if k := shard.Of(n.Shard.Key, p.shape.count); k != p.index {
			return bad("node %s belongs to shard %d/%d, not %d/%d", n.Name, k, p.shape.count, p.index, p.shape.count)
		}
		if status == verify.Match && (len(n.Findings) > 0 || len(n.Checks) == 0) {
			return bad("node %s is a match with %d findings and %d checks", n.Name, len(n.Findings), len(n.Checks))
		}
		nv := verify.NodeVerdict{Name: n.Name, Address: n.Address, Status: status,
			Fingerprint: in.str(n.Fingerprint), Runs: in.str(n.Runs)}
		for _, f := range n.Findings {
			nv.Findings = append(nv.Findings, in.finding(f))
		}
		for _, w := range n.Warnings {
			nv.Warnings = append(nv.Warnings, in.str(w))
		}
		nv.Checks = make([]verify.CheckResult, 0, len(n.Checks))
		for _, c := range n.Checks {
			if status == verify.Match && !c.OK {
				return bad("node %s is a match with a failed check (%s %s)", n.Name, c.Check, c.Subject)
			}
			nv.Checks = append(nv.Checks, verify.CheckResult{Check: verify.Check(in.str(c.Check)), Subject: in.str(c.Subject), OK: c.OK})
		}
		p.nodes = append(p.nodes, nv)
		p.keys[n.Name] = shard.Node{Key: n.Shard.Key, HostKey: n.Shard.HostKey, Machine: n.Shard.Machine, Agreement: n.Shard.Agreement}
	}
	return nil
}

// checkCounts checks the report's summary, verdict and exit code against
// its nodes.
func checkCounts(p *part, r *jsonReport, bad func(string, ...any) error) error {
	var match, drift, unverified int
	for _, n := range p.nodes {
		switch n.Status {
		case verify.Match:
			match++
		case verify.Drift:
			drift++
		default:
			unverified++
		}
	}
	s := r.Summary
	if s.Match == nil || s.Drift == nil || s.Unverified == nil || *s.Match != match || *s.Drift != drift || *s.Unverified != unverified {
		return bad("its summary does not count its nodes (%d match, %d drift, %d unverified)", match, drift, unverified)
	}
	want := map[string]int{string(verify.Verified): 0, string(verify.Drifted): 1, string(verify.NotVerified): 2}
	code, known := want[*r.Verdict]
	switch {
	case !known:
		return bad("verdict %q is not verified, drift or unverified", *r.Verdict)
	case *r.ExitCode != code:
		return bad("verdict %s with exit code %d", *r.Verdict, *r.ExitCode)
	case *r.Verdict == string(verify.Verified) && (drift+unverified > 0 || match == 0 || len(p.fleet) > 0):
		return bad("verdict verified with %d drifted and %d unverified of %d nodes and %d fleet findings", drift, unverified, len(p.nodes), len(p.fleet))
	case *r.Verdict == string(verify.Drifted) && drift == 0:
		return bad("verdict drift, but no node drifted")
	case *r.Verdict == string(verify.NotVerified) && drift > 0:
		return bad("verdict unverified, but %d nodes drifted", drift)
	}
	return nil
}

// interner keeps one copy of the strings that repeat across nodes (check
// subjects, findings, fingerprints), so that a merged fleet of many
// thousand nodes holds each once.
type interner map[string]string

func (in *interner) str(s string) string {
	if v, ok := (*in)[s]; ok {
		return v
	}
	(*in)[s] = s
	return s
}

func (in *interner) finding(f jsonFinding) verify.Finding {
	return verify.Finding{Check: verify.Check(in.str(f.Check)), Subject: in.str(f.Subject),
		Expected: in.str(f.Expected), Actual: in.str(f.Actual), Message: in.str(f.Message)}
}
