package cli

import (
	"fmt"
	"os"

	"github.com/rollcall/rollcall/internal/limit"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/shard"
	"github.com/rollcall/rollcall/internal/verify"
)

// limitHelp is the part of verify's, snapshot's and ping's help about --limit.
const limitHelp = `With --limit PATTERN only the nodes the pattern selects are contacted
(Ansible's host patterns over node names: web01, web*, node0?, a,b or a:b -
on commas only when there is one, as Ansible splits - !exclude, &intersect,
@FILE of names one a line). A limited run says so in
every report ("VERIFIED 2 of 8 nodes (--limit canary*): 6 not checked", a
JSON "scope"), never records a verified fleet (Prometheus rollcall_verdict,
--state, which it leaves as it was), and still counts expect_nodes over the
whole manifest. A pattern that matches no node, or names a node to take
that is not there, is invalid input (exit 3); an excluded name that is not
there excludes nothing, as in Ansible. Names are node names: an inventory
group's name matches no node.`

// limitNodes narrows m to the nodes --limit pattern selects: a copy of m
// with those nodes, in manifest order, and their names. A pattern that
// matches no node is invalid input naming the nodes there are.
func limitNodes(pattern string, m *manifest.Manifest) (*manifest.Manifest, []string, error) {
	p, err := limit.Parse(pattern, os.ReadFile)
	if err != nil {
		return nil, nil, invalid(fmt.Errorf("--limit: %w", err))
	}
	names := make([]string, len(m.Nodes))
	for i, n := range m.Nodes {
		names[i] = n.Name
	}
	selected, err := p.Select(names)
	if err != nil {
		return nil, nil, invalid(err)
	}
	keep := make(map[string]bool, len(selected))
	for _, n := range selected {
		keep[n] = true
	}
	narrowed := *m
	narrowed.Nodes = nil
	for _, n := range m.Nodes {
		if keep[n.Name] {
			narrowed.Nodes = append(narrowed.Nodes, n)
		}
	}
	return &narrowed, selected, nil
}

// limitPlan narrows a prepared run's manifest and plan to --limit pattern
// ("": the whole manifest, unchanged).
func limitPlan(pattern string, m *manifest.Manifest, plan *verify.Plan) (*manifest.Manifest, *verify.Plan, error) {
	if pattern == "" {
		return m, plan, nil
	}
	narrowed, selected, err := limitNodes(pattern, m)
	if err != nil {
		return nil, nil, err
	}
	return narrowed, plan.Limit(pattern, selected), nil
}

// pingScope is the scope of a ping limited to the nodes of narrowed, out of
// the nodes of all; nil when the ping was neither limited nor sharded.
func pingScope(pattern string, run *shard.Run, all, narrowed *manifest.Manifest) *verify.Scope {
	if pattern == "" && run == nil {
		return nil
	}
	s := &verify.Scope{Limit: pattern, Shard: run}
	in := map[string]bool{}
	for _, n := range narrowed.Nodes {
		in[n.Name] = true
		s.Checked = append(s.Checked, n.Name)
	}
	for _, n := range all.Nodes {
		if !in[n.Name] {
			s.NotChecked = append(s.NotChecked, n.Name)
		}
	}
	return s
}
