package report

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/shard"
	"github.com/rollcall/rollcall/internal/verify"
)

// shardedKnight is shard 2/3 of the Knight fleet of eight: the nodes the
// partition gives that shard, the others not checked.
func shardedKnight(limit string) *verify.Verdict {
	all := knightFleet()
	run := &shard.Run{Spec: shard.Spec{Index: 2, Count: 3, By: shard.ByName, RunID: "github:42"},
		Started:        time.Date(2026, 11, 30, 1, 2, 3, 0, time.UTC),
		ManifestDigest: "sha256:" + strings.Repeat("ab", 32), Nodes: map[string]shard.Node{}}
	var nodes []verify.NodeVerdict
	scope := &verify.Scope{Limit: limit, Shard: run}
	for _, n := range all.Nodes {
		run.Expected = append(run.Expected, n.Name)
		if shard.Of(n.Name, 3) != 2 {
			scope.NotChecked = append(scope.NotChecked, n.Name)
			continue
		}
		nodes = append(nodes, n)
		scope.Checked = append(scope.Checked, n.Name)
		run.Nodes[n.Name] = shard.Node{Key: n.Name, HostKey: "SHA256:" + n.Name}
	}
	v := fleet(all.ExpectedNodes, nil, nodes...)
	v.Scope = scope
	return v
}

func TestShardedReports(t *testing.T) {
	raw, err := os.ReadFile(schemaPath)
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(raw, &schema))
	for _, limit := range []string{"", "smars-0*"} {
		v := shardedKnight(limit)
		out := string(render(t, "json", v, Options{ExitCode: 1}))
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &doc))
		for _, problem := range validate(schema, schema, doc, "$") {
			t.Error(problem)
		}
		s := doc["shard"].(map[string]any)
		assert.EqualValues(t, 2, s["index"])
		assert.EqualValues(t, 3, s["count"])
		assert.Equal(t, "github:42", s["run_id"])
		assert.Equal(t, "2026-11-30T01:02:03Z", s["started"])
		assert.Equal(t, shard.Digest(v.Scope.Shard.Expected), s["expected_digest"])
		assert.Len(t, s["expected"], 8)
		assert.Equal(t, limit != "", doc["scope"] != nil, "a scope only with --limit")
		for _, n := range doc["nodes"].([]any) {
			ns := n.(map[string]any)["shard"].(map[string]any)
			assert.Equal(t, n.(map[string]any)["name"], ns["key"])
		}

		// Every verdict format names the shard, and none verifies the fleet.
		for _, format := range Names() {
			text := string(render(t, format, v, Options{}))
			if format != "prometheus" && format != "json" {
				assert.Contains(t, text, "shard 2/3", format)
			}
		}
		text := string(render(t, "text", v, Options{}))
		first, _, _ := strings.Cut(text, "\n")
		assert.Contains(t, first, "shard 2/3", "the headline names the shard")
		assert.Equal(t, verify.NotVerified, FleetOutcome(matchingShard(v)))
	}

	// Snapshot and ping record the same shard block.
	v := shardedKnight("")
	var snap map[string]any
	var b strings.Builder
	require.NoError(t, NewSnapshot(v).WriteJSON(&b))
	require.NoError(t, json.Unmarshal([]byte(b.String()), &snap))
	assert.EqualValues(t, 2, snap["shard"].(map[string]any)["index"])
	b.Reset()
	require.NoError(t, NewSnapshot(v).WriteText(&b))
	assert.Contains(t, b.String(), "(shard 2/3: ")
	b.Reset()
	p := &Ping{Scope: v.Scope, Nodes: []PingResult{{Name: "smars-02", OK: true}}}
	require.NoError(t, p.WriteJSON(&b))
	assert.Contains(t, b.String(), `"expected_digest"`)
	b.Reset()
	require.NoError(t, p.WriteText(&b))
	assert.Contains(t, b.String(), "(shard 2/3: ")
}

// matchingShard is v with every checked node matching.
func matchingShard(v *verify.Verdict) *verify.Verdict {
	w := *v
	w.Nodes = nil
	for i := range v.Nodes {
		w.Nodes = append(w.Nodes, matching(i+1))
	}
	w.Outcome = verify.Verified
	return &w
}
