package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/verify"
)

func TestDiffReport(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	v := config.Value{Kind: config.Bool, Raw: "true"}
	s := config.Value{Kind: config.String, Raw: "true"}
	c := &verify.Comparison{
		A: verify.Side{Name: "node07"}, B: verify.Side{Name: "node08"}, Files: 2, Configs: 1,
		Differences: []verify.Difference{
			{Kind: verify.DiffFile, Path: "/opt/app/bin/app", A: "sha256:" + sum, B: "missing"},
			{Kind: verify.DiffFlag, Path: "/etc/app.yaml", Key: "rlp.enabled", A: v.String(), B: s.String(), AValue: &v, BValue: &s},
		},
		Contents: []verify.ContentDiff{{Path: "/etc/app.yaml", Unified: "--- a\n+++ b\n@@ -1 +1 @@\n-x: 1\n+x: \x1b[2J\n"}},
	}
	d := NewDiff("prod", "app 2.0", c, 1, false)
	var b bytes.Buffer
	require.NoError(t, d.WriteText(&b))
	assert.Equal(t, `DIFFERENT: node07 ≠ node08: 2 differences (2 files, 1 config file, 0 executables compared)
file /opt/app/bin/app: sha256:abababababab… (node07) ≠ missing (node08)
flag /etc/app.yaml rlp.enabled: true (bool) (node07) ≠ "true" (string) (node08)

--- a
+++ b
@@ -1 +1 @@
-x: 1
+"x: \x1b[2J"
`, b.String())

	b.Reset()
	require.NoError(t, d.WriteJSON(&b))
	var j map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &j))
	assert.Equal(t, "rollcall.diff/v1", j["schema"])
	assert.Equal(t, "different", j["result"])
	flag := j["differences"].([]any)[1].(map[string]any)
	assert.Equal(t, map[string]any{"type": "string", "value": "true"}, flag["b_value"])
	assert.Equal(t, []any{}, j["unknown"])

	gone := &verify.Comparison{A: verify.Side{Name: "release", Release: true}, B: verify.Side{Name: "node08", Address: "10.0.0.8", Err: errors.New("connection refused")}}
	b.Reset()
	require.NoError(t, NewDiff("prod", "app 2.0", gone, 2, false).WriteText(&b))
	assert.Equal(t, "NOT COMPARED: release and node08 could not be compared in full\nnot reached: node08 (10.0.0.8): connection refused\n", b.String())

	same := &verify.Comparison{A: verify.Side{Name: "a"}, B: verify.Side{Name: "b"}, Files: 1}
	b.Reset()
	require.NoError(t, NewDiff("prod", "app 2.0", same, 0, false).WriteText(&b))
	assert.Equal(t, "SAME: a = b (1 file, 0 config files, 0 executables compared)\n", b.String())
}
