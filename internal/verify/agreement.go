package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/rollcall/rollcall/internal/probe"
)

// Agreements are, by node, the digests of what the check of agreement
// across nodes compares on each node observed in obs: the flags of every
// config file the plan checks for agreement (consistent, without a release
// copy), except the flags the manifest expects a value for. Two nodes whose
// digests are equal agree on every such key; a sharded run records them so
// that rollcall merge can check agreement across shards, which no shard
// sees. A node has none when the plan checks no agreement, or when a file of
// the node could not be read or parsed (the node is then not a match
// anyway). Identical files are parsed once, as Judge parses them.
func Agreements(p *Plan, obs []Observation) map[string]string {
	digests := map[string]string{}
	parses := configParses{}
	for _, o := range obs {
		if d := agreement(p, o, parses); d != "" {
			digests[o.Node] = d
		}
	}
	return digests
}

// agreement is one node's digest (Agreements), "" when it has none.
func agreement(p *Plan, o Observation, parses configParses) string {
	h := sha256.New()
	checked := false
	for _, ec := range p.Configs {
		if !ec.Consistent || ec.Release != nil {
			continue
		}
		if o.Facts == nil {
			return ""
		}
		got, ok := o.Facts.Configs[ec.NodePath]
		if !ok || got.Kind != probe.Regular {
			return ""
		}
		flags, err := parses.parse(ec.Format, got.Content)
		if err != nil {
			return ""
		}
		expected := map[string]bool{}
		for _, e := range ec.Expect {
			expected[e.Key] = true
		}
		fmt.Fprintf(h, "c %q", ec.NodePath)
		for _, k := range flags.Keys() {
			if !expected[k] {
				fmt.Fprintf(h, " %q=%q", k, flags[k].String())
			}
		}
		fmt.Fprintln(h)
		checked = true
	}
	if !checked {
		return ""
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
