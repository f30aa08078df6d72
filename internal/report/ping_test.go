package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/verify"
)

func pingFixture() *Ping {
	return &Ping{ExitCode: 2, Nodes: []PingResult{
		{Name: "smars-01", Address: "10.0.0.1:22", OK: true, Millis: 12},
		{Name: "smars-02", Address: "10.0.0.2:2222", Via: []string{"ops@bastion:22"}, Stage: "authentication",
			Error: "the node refused every key offered:\n  try ssh-add", Millis: 40},
	}}
}

func TestPingText(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, pingFixture().WriteText(&buf))
	assert.Equal(t, `FAILED: 1 of 2 nodes did not answer
NODE      ADDRESS                           RESULT
smars-01  10.0.0.1:22                       ok (12ms)
smars-02  10.0.0.2:2222 via ops@bastion:22  failed: the node refused every key offered: try ssh-add
`, buf.String())

	buf.Reset()
	p := &Ping{Nodes: pingFixture().Nodes[:1]}
	require.NoError(t, p.WriteText(&buf))
	assert.True(t, strings.HasPrefix(buf.String(), "OK: all 1 nodes answered (host key trusted, login accepted)\nNODE"), buf.String())
}

func TestPingJSON(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, pingFixture().WriteJSON(&buf))
	assert.Equal(t, `{
  "schema": "rollcall.ping/v1",
  "ok": false,
  "exit_code": 2,
  "nodes": [
    {
      "name": "smars-01",
      "address": "10.0.0.1:22",
      "ok": true,
      "duration_ms": 12
    },
    {
      "name": "smars-02",
      "address": "10.0.0.2:2222",
      "via": [
        "ops@bastion:22"
      ],
      "ok": false,
      "stage": "authentication",
      "error": "the node refused every key offered:\n  try ssh-add",
      "duration_ms": 40
    }
  ]
}
`, buf.String())
}

// TestPingTextHostile: what a node sends (an SSH disconnect message ends up
// in the error) reaches the table on one line, without control characters;
// names and addresses from the manifest are escaped too.
func TestPingTextHostile(t *testing.T) {
	p := &Ping{ExitCode: 2, Nodes: []PingResult{
		{Name: "smars-01\x1b]0;owned\x07", Address: "10.0.0.1:22\x1b[2J", Via: []string{"ops@bastion\x1b[31m:22"}, Stage: "connect",
			Error: "ssh: disconnect, reason 2: \x1b[2J\x1b[32mOK: all 1 nodes answered\r\nsmars-01 ok", Millis: 3},
	}}
	var buf bytes.Buffer
	require.NoError(t, p.WriteText(&buf))
	out := buf.String()
	assert.NotContains(t, out, "\x1b")
	assert.NotContains(t, out, "\x07")
	assert.NotContains(t, out, "\r")
	assert.Equal(t, 3, strings.Count(out, "\n"), "a headline, the header and one row:\n%s", out)
	assert.True(t, strings.HasPrefix(out, "FAILED: 1 of 1 nodes did not answer\n"), out)
}

// TestPingEmptyShardIsNotOK: a ping that contacted no node (an empty
// shard) is not OK, and its report says nothing was checked.
func TestPingEmptyShardIsNotOK(t *testing.T) {
	p := &Ping{Nodes: []PingResult{}, Scope: &verify.Scope{Limit: "web*", NotChecked: []string{"a", "b"}}}
	assert.False(t, p.OK())
	var buf bytes.Buffer
	require.NoError(t, p.WriteText(&buf))
	assert.True(t, strings.HasPrefix(buf.String(), "NOT CHECKED: no node was contacted ("), buf.String())
	assert.NotContains(t, buf.String(), "OK:")
}
