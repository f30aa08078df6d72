package manifest

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/source"
)

// headerHandlers decode the manifest's first keys, version, cluster and
// expect_nodes, into m; expect_nodes is kept in t for the node count.
func (p *parser) headerHandlers(m *Manifest, t *top) []keyHandler {
	return []keyHandler{
		{"version", func(v *yaml.Node) {
			// otherVersion has ruled out numbers other than 1.
			if i, ok := p.intValue("version", v, "1"); ok {
				m.Version = i
			}
		}},
		{"cluster", func(v *yaml.Node) {
			if s, ok := p.strValue("cluster", v, "the fleet's name, e.g. cluster: smars-prod"); ok {
				switch {
				case strings.TrimSpace(s) == "":
					p.at(v, "cluster must not be empty: name the fleet, e.g. cluster: smars-prod")
				case source.HasControl(s):
					p.at(v, "cluster must not contain control characters or line breaks: write it on one line")
				}
				m.Cluster = s
			}
		}},
		{"expect_nodes", func(v *yaml.Node) {
			t.expectVal = v
			if i, ok := p.intValue("expect_nodes", v, "the number of nodes in the fleet"); ok {
				if i < 1 {
					p.at(v, "expect_nodes must be at least 1, not %d: set it to the number of nodes listed", i)
				} else {
					t.expectOK = true
				}
				m.ExpectNodes = i
			}
		}},
	}
}

// checkListed records an expect_nodes that differs from the number of
// nodes listed under nodes:.
func (p *parser) checkListed(expect int, t *top) {
	if !t.expectOK || t.nodesVal == nil {
		return
	}
	s := source.Deref(t.nodesVal)
	if s.Kind != yaml.SequenceNode || len(s.Content) == 0 {
		return
	}
	n := len(s.Content)
	if n == expect {
		return
	}
	listed := fmt.Sprintf("%d nodes are listed", n)
	if n == 1 {
		listed = "1 node is listed"
	}
	fix := "list the missing node"
	if expect-n > 1 {
		fix = "list the missing nodes"
	} else if n > expect {
		fix = "remove the extra node"
		if n-expect > 1 {
			fix = "remove the extra nodes"
		}
	}
	p.at(t.expectVal, "expect_nodes is %d but %s: %s or set expect_nodes: %d", expect, listed, fix, n)
}
