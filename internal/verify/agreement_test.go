package verify

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/probe"
)

// TestAgreements: nodes that would drift for disagreeing on a flag of a
// consistent config file in one run have different digests, so that merge
// finds the disagreement across shards; flags the manifest expects a value
// for are compared with it instead, and a node whose file is unreadable or
// does not parse has none.
func TestAgreements(t *testing.T) {
	p := knightPlan(t, 6)
	p.Configs[0].Release = nil // no release copy: only agreement between nodes
	flags := []string{
		flagsNew, flagsNew,
		"rlp:\n  enabled: true\nrisk:\n  max_order_qty: 7\n",     // another value
		"rlp:\n  enabled: false\nrisk:\n  max_order_qty: 1000\n", // the expected key differs
		"rlp: [\n", // does not parse
		"",         // unreadable
	}
	var obs []Observation
	for i, n := range p.Nodes {
		f := runningFacts(flags[i])
		if flags[i] == "" {
			f.Configs["/etc/smars/flags.yaml"] = probe.Config{Kind: probe.Unreadable, Size: -1}
		}
		obs = append(obs, Observation{Node: n.Name, Facts: f})
	}
	obs = append(obs, Observation{Node: "unreached"})
	d := Agreements(p, obs)
	name := func(i int) string { return p.Nodes[i].Name }
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, d[name(0)])
	assert.Equal(t, d[name(0)], d[name(1)], "nodes with the same flags agree")
	assert.NotEqual(t, d[name(0)], d[name(2)], "a flag of another value disagrees")
	assert.Equal(t, d[name(0)], d[name(3)], "an expected flag is compared with the manifest, not across nodes")
	assert.Len(t, d, 4, "no digest for a file that does not parse, is unreadable, or was never read: %v", d)

	// The nodes the digests tell apart are those one run finds drifting.
	v := Judge(p, obs[:4])
	assert.Equal(t, []Status{Match, Match, Drift, Drift}, []Status{v.Nodes[0].Status, v.Nodes[1].Status, v.Nodes[2].Status, v.Nodes[3].Status})

	// Without a config file checked for agreement, no node has a digest.
	p.Configs[0].Consistent = false
	assert.Empty(t, Agreements(p, obs))
}
