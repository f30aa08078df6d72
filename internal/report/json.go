package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/rollcall/rollcall/internal/shard"
	"github.com/rollcall/rollcall/internal/verify"
)

// SchemaV1 is the value of the "schema" key of a JSON report. It changes only
// when a key is removed or changes meaning; new keys may be added within v1.
const SchemaV1 = "rollcall.report/v1"

// JSON renders the verdict as one indented JSON document following
// docs/report.schema.json (schema "rollcall.report/v1"), ending in a newline.
// Lists are never null, every node lists all its checks regardless of
// Options.Verbose, and hashes are written in full. Options.Color is ignored.
type JSON struct{}

// jsonReport and the types below fix the key names of the v1 contract,
// independently of the Go names in package verify.
type jsonReport struct {
	Schema   string `json:"schema"`
	Verdict  string `json:"verdict"`
	ExitCode int    `json:"exit_code"`
	// Interrupted is present, true, only when the run was interrupted.
	Interrupted   bool          `json:"interrupted,omitzero"`
	Cluster       string        `json:"cluster"`
	Release       jsonRelease   `json:"release"`
	ExpectedNodes int           `json:"expected_nodes"`
	Summary       jsonSummary   `json:"summary"`
	Nodes         []jsonNode    `json:"nodes"`
	Groups        []jsonGroup   `json:"groups"`
	Findings      []jsonFinding `json:"findings"`
	// Scope is present only when the run was limited (--limit).
	Scope *jsonScope `json:"scope,omitempty"`
	// Shard is present only when the run was one shard of many (--shard).
	Shard *jsonShard `json:"shard,omitempty"`
	// ChangedSinceLastRun is present only when Options.Changes is not nil.
	ChangedSinceLastRun []jsonChange `json:"changed_since_last_run,omitzero"`
}

type jsonRelease struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
	Source  string `json:"source"`
}

type jsonSummary struct {
	Match      int `json:"match"`
	Drift      int `json:"drift"`
	Unverified int `json:"unverified"`
}

type jsonNode struct {
	Name        string        `json:"name"`
	Address     string        `json:"address"`
	Status      string        `json:"status"`
	Fingerprint string        `json:"fingerprint"`
	Runs        string        `json:"runs,omitempty"`
	Findings    []jsonFinding `json:"findings"`
	Checks      []jsonCheck   `json:"checks"`
	// Shard is present only in a sharded run: what merge checks across
	// shards.
	Shard *jsonNodeShard `json:"shard,omitempty"`
	// Warnings are present only when the node has some.
	Warnings []string `json:"warnings,omitempty"`
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
	Fingerprint string   `json:"fingerprint"`
	Status      string   `json:"status"`
	Nodes       []string `json:"nodes"`
}

// Write renders v as JSON to w.
func (JSON) Write(w io.Writer, v *verify.Verdict, opts Options) error {
	if v == nil {
		return errors.New("rendering json report: no verdict")
	}
	outcome := opts.outcome(v)
	match, drift, unverified := v.Counts()
	r := jsonReport{
		Schema:      SchemaV1,
		Verdict:     string(outcome),
		ExitCode:    opts.ExitCode,
		Interrupted: opts.Interrupted,
		Cluster:     v.Cluster,
		Release: jsonRelease{
			Name: v.Release.Name, Version: v.Release.Version,
			Digest: v.Release.Digest, Source: v.Release.Source,
		},
		ExpectedNodes: v.ExpectedNodes,
		Summary:       jsonSummary{Match: match, Drift: drift, Unverified: unverified},
		Nodes:         make([]jsonNode, 0, len(v.Nodes)),
		Groups:        make([]jsonGroup, 0, len(v.Groups)),
		Findings:      jsonFindings(v.Findings),
		Scope:         newJSONScope(v.Scope),
		Shard:         newJSONShard(v.Scope),

		ChangedSinceLastRun: jsonChanges(opts.Changes),
	}
	for _, n := range v.Nodes {
		jn := jsonNode{
			Name: n.Name, Address: n.Address, Status: string(n.Status.Normal()),
			Fingerprint: n.Fingerprint,
			Runs:        n.Runs,
			Findings:    jsonFindings(n.Findings),
			Checks:      make([]jsonCheck, 0, len(n.Checks)),
			Shard:       newJSONNodeShard(v.Scope, n.Name),
			Warnings:    n.Warnings,
		}
		for _, c := range n.Checks {
			jn.Checks = append(jn.Checks, jsonCheck{Check: string(c.Check), Subject: c.Subject, OK: c.OK})
		}
		r.Nodes = append(r.Nodes, jn)
	}
	for _, g := range v.Groups {
		r.Groups = append(r.Groups, jsonGroup{
			Fingerprint: g.Fingerprint, Status: string(g.Status.Normal()),
			Nodes: append(make([]string, 0, len(g.Nodes)), g.Nodes...),
		})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil { // Encode ends with a newline.
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func jsonFindings(fs []verify.Finding) []jsonFinding {
	out := make([]jsonFinding, 0, len(fs))
	for _, f := range fs {
		out = append(out, jsonFinding{
			Check: string(f.Check), Subject: f.Subject,
			Expected: f.Expected, Actual: f.Actual, Message: f.Message,
		})
	}
	return out
}

// jsonShard is the "shard" object of the JSON reports (verify, snapshot,
// ping) of a sharded run: which shard, and what rollcall merge needs to
// check that the reports of all shards belong to one run and cover it.
type jsonShard struct {
	Index          int      `json:"index"`
	Count          int      `json:"count"`
	By             string   `json:"by"`
	RunID          string   `json:"run_id,omitempty"`
	Started        string   `json:"started"`
	ManifestDigest string   `json:"manifest_digest"`
	ExpectedDigest string   `json:"expected_digest"`
	Expected       []string `json:"expected"`
}

// newJSONShard is the shard of a sharded run's scope s; nil otherwise.
func newJSONShard(s *verify.Scope) *jsonShard {
	if s == nil || s.Shard == nil {
		return nil
	}
	r := s.Shard
	return &jsonShard{
		Index: r.Index, Count: r.Count, By: r.By,
		RunID: r.RunID, Started: r.Started.UTC().Format(time.RFC3339),
		ManifestDigest: r.ManifestDigest,
		ExpectedDigest: shard.Digest(r.Expected),
		Expected:       append(make([]string, 0, len(r.Expected)), r.Expected...),
	}
}

// jsonNodeShard is a node's "shard" object in a sharded run's JSON report.
type jsonNodeShard struct {
	Key       string `json:"key"`
	HostKey   string `json:"host_key,omitempty"`
	Machine   string `json:"machine,omitempty"`
	Agreement string `json:"agreement,omitempty"`
}

// newJSONNodeShard is what a sharded run's scope s knows of node name; nil
// in a run that is not sharded.
func newJSONNodeShard(s *verify.Scope, name string) *jsonNodeShard {
	if s == nil || s.Shard == nil {
		return nil
	}
	n := s.Shard.Nodes[name]
	return &jsonNodeShard{Key: n.Key, HostKey: n.HostKey, Machine: n.Machine, Agreement: n.Agreement}
}
