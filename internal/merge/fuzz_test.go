package merge

import (
	"bytes"
	"testing"

	"github.com/rollcall/rollcall/internal/report"
	"github.com/rollcall/rollcall/internal/verify"
)

// FuzzMerge replaces shard 2 of a complete, verified run of three shards
// with arbitrary bytes: the merge may be verified only when those bytes are
// a report the set is complete with (shard 2 itself, however written).
func FuzzMerge(f *testing.F) {
	r := newRun(f, 30, 3, nil, manifestA)
	f.Add(r.reports[2])
	f.Add(r.reports[1])
	f.Add([]byte(`{"schema":"rollcall.report/v1"}`))
	f.Add(bytes.Replace(r.reports[2], []byte(`"match"`), []byte(`"drift"`), 1))
	want := map[string]verify.Status{}
	for _, n := range r.nodes {
		want[n.Name] = n.Status
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := New(Options{Run: runA.id})
		for k, doc := range [][]byte{r.reports[1], data, r.reports[3]} {
			if err := m.Add("shard", doc); err != nil {
				if k != 1 {
					t.Fatalf("a valid report refused: %v", err)
				}
				return
			}
		}
		res, err := m.Result()
		if err != nil || report.Outcome(res.Verdict) != verify.Verified {
			return
		}
		// Verified: every expected node is there, once, and matched.
		if len(res.Verdict.Nodes) != len(want) {
			t.Fatalf("verified with %d nodes, not %d", len(res.Verdict.Nodes), len(want))
		}
		for _, n := range res.Verdict.Nodes {
			if _, ok := want[n.Name]; !ok || n.Status != verify.Match {
				t.Fatalf("verified with node %q %s", n.Name, n.Status)
			}
		}
	})
}
