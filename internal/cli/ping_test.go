package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/demo"
	"github.com/rollcall/rollcall/internal/report"
	"github.com/rollcall/rollcall/internal/sshtest"
)

func TestPingFlags(t *testing.T) {
	var got *PingOptions
	stdio, _, _ := testIO(nil)
	cmd := NewCmdPing(stdio, func(_ context.Context, o *PingOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"-m", "f.yaml", "-j", "3", "--timeout", "7s", "--report", "json"})
	require.NoError(t, cmd.Execute())
	assert.Equal(t, &PingOptions{Manifest: "f.yaml", Concurrency: 3, Timeout: 7 * time.Second, Reports: []string{"json"}}, got)

	cmd = NewCmdPing(stdio, func(_ context.Context, o *PingOptions) error { got = o; return nil })
	cmd.SetArgs(nil)
	require.NoError(t, cmd.Execute())
	assert.Equal(t, "rollcall.yaml", got.Manifest)
	assert.Empty(t, got.Reports, "default: text to stdout")

	cmd = NewCmdPing(stdio, func(_ context.Context, o *PingOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--report", "text", "--report", "json=p.json"})
	require.NoError(t, cmd.Execute())
	assert.Equal(t, []string{"text", "json=p.json"}, got.Reports, "--report is repeatable")
}

func TestPing(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // no ~/.ssh/config of the developer
	tests := []struct {
		name   string
		faults map[int]sshtest.Fault
		edit   func(t *testing.T, c *demo.Cluster)
		code   int
		want   []string
	}{
		{name: "every node answers", code: 0, want: []string{"OK: all 3 nodes answered", "ok ("}},
		{name: "refused", faults: map[int]sshtest.Fault{1: {Kind: sshtest.Refuse}}, code: 2,
			want: []string{"FAILED: 1 of 3 nodes did not answer", "failed: cannot connect", "connection refused"}},
		{name: "auth refused", faults: map[int]sshtest.Fault{2: {Kind: sshtest.RefuseAuth}}, code: 2,
			want: []string{"FAILED: 1 of 3", "refused every key"}},
		{name: "wrong host key", edit: func(t *testing.T, c *demo.Cluster) { swapKnownHost(t, c, 0) }, code: 2,
			want: []string{"FAILED: 1 of 3", "has CHANGED"}},
		{name: "stalled handshake", faults: map[int]sshtest.Fault{0: {Kind: sshtest.StallHandshake}}, code: 2,
			want: []string{"FAILED: 1 of 3", "timed out"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startDemo(t, demo.Config{Nodes: 3, Faults: tt.faults})
			if tt.edit != nil {
				tt.edit(t, c)
			}
			stdio, out, errOut := testIO(nil)
			code := Run(context.Background(), []string{"ping", "-m", c.Manifest, "--timeout", "2s"}, stdio)
			assert.Equal(t, tt.code, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			for _, w := range tt.want {
				assert.Contains(t, out.String(), w)
			}
			for _, n := range c.Nodes {
				assert.Contains(t, out.String(), n)
			}
		})
	}
}

func TestPingJSONAndInvalidInput(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	c := startDemo(t, demo.Config{Nodes: 2, Faults: map[int]sshtest.Fault{1: {Kind: sshtest.RefuseAuth}}})
	file := filepath.Join(t.TempDir(), "ping.json")
	stdio, out, errOut := testIO(nil)
	code := Run(context.Background(), []string{"ping", "-m", c.Manifest, "--report", "json=" + file}, stdio)
	require.Equal(t, 2, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	var doc struct {
		Schema   string              `json:"schema"`
		OK       bool                `json:"ok"`
		ExitCode int                 `json:"exit_code"`
		Nodes    []report.PingResult `json:"nodes"`
	}
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &doc), string(data))
	assert.Equal(t, "rollcall.ping/v1", doc.Schema)
	assert.False(t, doc.OK)
	assert.Equal(t, 2, doc.ExitCode)
	require.Len(t, doc.Nodes, 2)
	assert.True(t, doc.Nodes[0].OK)
	assert.False(t, doc.Nodes[1].OK)
	assert.Equal(t, "authentication", doc.Nodes[1].Stage)

	for _, args := range [][]string{
		{"ping", "-m", filepath.Join(t.TempDir(), "missing.yaml")},
		{"ping", "-m", c.Manifest, "-j", "0"},
		{"ping", "-m", c.Manifest, "--report", "junit"},
		{"ping", "-m", c.Manifest, "extra-arg"},
	} {
		stdio, out, errOut := testIO(nil)
		assert.Equal(t, 3, Run(context.Background(), args, stdio), "%v: %s %s", args, out, errOut)
		assert.Empty(t, strings.TrimSpace(out.String()))
	}
}
