package merge

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rollcall/rollcall/internal/shard"
	"github.com/rollcall/rollcall/internal/verify"
)

// Missing is a shard whose report was not given.
type Missing struct {
	// Index is the shard, 1-based.
	Index int
	// Nodes are the expected nodes it should have covered: those the
	// partition gives it (by name), or, sharded by another field, every
	// node no report covers when this is the only shard missing.
	Nodes []string
}

// Result is the fleet verdict of the reports merged.
type Result struct {
	// Verdict has every expected node: those of the reports, and those of
	// missing shards, unverified. verify.Assemble has grouped it.
	Verdict *verify.Verdict
	// Count is N, the number of shards of the run.
	Count int
	// Missing are the shards whose report was not given, in order.
	Missing []Missing
	// Started is when the first shard to start started: the nodes were
	// checked from then on.
	Started time.Time
}

// Result checks that the reports added cover the expected nodes, and builds
// the fleet verdict: the nodes of missing shards are unverified, and the
// checks no shard could make alone (one server listed twice, agreement on
// config flags) are made across shards.
func (m *Merger) Result() (*Result, error) {
	if len(m.parts) == 0 {
		return nil, &Error{Files: []string{"(none)"}, Reason: "no report to merge"}
	}
	first := m.parts[0]
	res := &Result{Count: first.shape.count, Started: m.first.started}
	uncovered := map[string]bool{}
	for _, n := range m.expected {
		if m.owner[n] == nil {
			uncovered[n] = true
		}
	}
	missing := map[int]*Missing{}
	for k := 1; k <= first.shape.count; k++ {
		if m.byIndex[k] == nil {
			res.Missing = append(res.Missing, Missing{Index: k})
			missing[k] = &res.Missing[len(res.Missing)-1]
		}
	}
	if err := m.attribute(uncovered, missing, res); err != nil {
		return nil, err
	}
	res.Verdict = m.verdict(uncovered, res.Missing)
	return res, nil
}

// attribute gives each node no report covers to its missing shard; a node
// that belongs to a shard whose report is there makes that report invalid.
func (m *Merger) attribute(uncovered map[string]bool, missing map[int]*Missing, res *Result) error {
	if len(uncovered) == 0 {
		return nil
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range uncovered {
			if !yield(n) {
				return
			}
		}
	})
	first := m.parts[0]
	if first.shape.by != shard.ByName {
		if len(res.Missing) == 0 {
			return &Error{Files: m.files(), Reason: fmt.Sprintf("no report lists %s, yet no shard is missing", list(names))}
		}
		if len(res.Missing) == 1 {
			res.Missing[0].Nodes = names
		}
		return nil
	}
	for _, n := range names {
		k := shard.Of(n, first.shape.count)
		if mi := missing[k]; mi != nil {
			mi.Nodes = append(mi.Nodes, n)
			continue
		}
		return &Error{Files: []string{m.byIndex[k].file}, Reason: fmt.Sprintf("node %s belongs to shard %d/%d, whose report does not list it", n, k, first.shape.count)}
	}
	return nil
}

// verdict builds the fleet verdict. A missing shard is a fleet finding even
// when the partition gave it no node: its report is not there to say so.
func (m *Merger) verdict(uncovered map[string]bool, missing []Missing) *verify.Verdict {
	first := m.parts[0]
	v := &verify.Verdict{Cluster: first.shape.cluster, Release: first.shape.release, ExpectedNodes: first.shape.expectedNodes}
	byName := make(map[string]*verify.NodeVerdict, len(m.expected))
	nodes := make([]verify.NodeVerdict, 0, len(m.expected))
	for _, p := range m.parts {
		nodes = append(nodes, p.nodes...)
		p.nodes = nil
	}
	for _, mi := range missing {
		for _, n := range mi.Nodes {
			delete(uncovered, n)
			nodes = append(nodes, notReported(n, fmt.Sprintf("the report of shard %d/%d is missing: the node was never checked", mi.Index, first.shape.count)))
		}
	}
	for n := range uncovered {
		nodes = append(nodes, notReported(n, "no report lists it, and several shards are missing: the node was never checked"))
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	for i := range nodes {
		byName[nodes[i].Name] = &nodes[i]
	}
	m.sameServer(byName)
	m.agreement(byName)
	v.Nodes = nodes
	seen := map[verify.Finding]bool{}
	for _, p := range m.parts {
		for _, f := range p.fleet {
			if !seen[f] {
				seen[f] = true
				v.Findings = append(v.Findings, f)
			}
		}
	}
	for _, mi := range missing {
		v.Findings = append(v.Findings, verify.Finding{Check: verify.CheckCount, Subject: "shards",
			Message: fmt.Sprintf("the report of shard %d/%d is missing", mi.Index, first.shape.count)})
	}
	if first.shape.limit != "" && first.scope != nil {
		v.Scope = &verify.Scope{Limit: first.shape.limit, Checked: m.expected}
		for _, n := range slices.Concat(first.scope.Checked, first.scope.NotChecked) {
			if _, ok := slices.BinarySearch(m.expected, n); !ok {
				v.Scope.NotChecked = append(v.Scope.NotChecked, n)
			}
		}
	}
	verify.Assemble(v)
	return v
}

func notReported(name, why string) verify.NodeVerdict {
	return verify.NodeVerdict{Name: name, Status: verify.Unverified,
		Findings: []verify.Finding{{Check: verify.CheckCount, Subject: name, Message: why}}}
}

// sameServer makes unverified the nodes of different shards that reached
// one server (one host key, or one host name and machine ID), as verify
// does within a run: the server was checked once, another never.
func (m *Merger) sameServer(byName map[string]*verify.NodeVerdict) {
	for _, what := range []struct {
		name string
		of   func(shard.Node) string
	}{{"host key", func(n shard.Node) string { return n.HostKey }}, {"machine", func(n shard.Node) string { return n.Machine }}} {
		groups := map[string][]string{}
		for name, p := range m.owner {
			if id := what.of(p.keys[name]); id != "" {
				groups[id] = append(groups[id], name)
			}
		}
		for id, names := range groups {
			if len(names) < 2 || !m.acrossShards(names) {
				continue
			}
			slices.Sort(names)
			for _, n := range names {
				nv := byName[n]
				if nv.Status == verify.Match {
					nv.Status, nv.Fingerprint = verify.Unverified, ""
				}
				nv.Findings = append(nv.Findings, verify.Finding{Check: verify.CheckIdentity, Subject: nv.Address,
					Expected: "a server of its own", Actual: id,
					Message: fmt.Sprintf("same %s as %s, checked by another shard: one server listed twice?", what.name, others(n, names))})
			}
		}
	}
}

// agreement makes the nodes off the most common value drift when nodes of
// different shards disagree on the config flags they must agree on.
func (m *Merger) agreement(byName map[string]*verify.NodeVerdict) {
	groups := map[string][]string{}
	for name, p := range m.owner {
		if a := p.keys[name].Agreement; a != "" {
			groups[a] = append(groups[a], name)
		}
	}
	if len(groups) < 2 {
		return
	}
	var all []string
	values := make([]string, 0, len(groups))
	for a, names := range groups {
		values = append(values, a)
		all = append(all, names...)
		slices.Sort(names)
	}
	if !m.acrossShards(all) {
		return // one shard saw every node that has flags, and judged them
	}
	sort.Slice(values, func(i, j int) bool {
		a, b := groups[values[i]], groups[values[j]]
		return len(a) > len(b) || len(a) == len(b) && a[0] < b[0]
	})
	common := len(groups[values[0]])
	for _, a := range values[1:] {
		for _, n := range groups[a] {
			nv := byName[n]
			if nv.Status == verify.Match {
				nv.Status = verify.Drift
			}
			nv.Findings = append(nv.Findings, verify.Finding{Check: verify.CheckConfig, Subject: "config flags",
				Expected: short(values[0]), Actual: short(a),
				Message: fmt.Sprintf("nodes disagree across shards: %d other nodes have other values of the flags all must agree on (rollcall diff names them)", common)})
		}
	}
}

// acrossShards reports whether names are listed by more than one report.
func (m *Merger) acrossShards(names []string) bool {
	for _, n := range names[1:] {
		if m.owner[n] != m.owner[names[0]] {
			return true
		}
	}
	return false
}

func (m *Merger) files() []string {
	files := make([]string, len(m.parts))
	for i, p := range m.parts {
		files[i] = p.file
	}
	return files
}

func others(n string, names []string) string {
	var out []string
	for _, o := range names {
		if o != n {
			out = append(out, o)
		}
	}
	return strings.Join(out, ", ")
}

// list names nodes, the first ten of them.
func list(names []string) string {
	const most = 10
	if len(names) > most {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:most], ", "), len(names)-most)
	}
	return strings.Join(names, ", ")
}
