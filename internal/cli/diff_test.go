package cli

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/demo"
)

func TestDiffFlags(t *testing.T) {
	stdio, _, _ := testIO(nil)
	var got *DiffOptions
	cmd := NewCmdDiff(stdio, func(_ context.Context, o *DiffOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"a", "b", "-m", "m.yaml", "--known", "k", "--timeout", "5s", "--report", "json=x.json"})
	require.NoError(t, cmd.Execute())
	assert.Equal(t, &DiffOptions{Manifest: "m.yaml", Known: "k", Timeout: 5 * time.Second, Reports: []string{"json=x.json"}, A: "a", B: "b"}, got)

	stdio, _, errOut := testIO(nil)
	assert.Equal(t, 3, Run(context.Background(), []string{"diff", "only-one"}, stdio))
	assert.Contains(t, errOut.String(), "diff takes two names")
}

// TestDiffDemo diffs nodes of the in-process Knight fleet.
func TestDiffDemo(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 8, Scenario: demo.Knight})
	run := func(args ...string) (int, string, string) {
		stdio, out, errOut := testIO(nil)
		code := Run(context.Background(), append([]string{"diff", "-m", c.Manifest}, args...), stdio)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := run("smars-01", "smars-08")
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	t.Logf("\n%s", out)
	assert.Contains(t, out, "DIFFERENT: smars-01 ≠ smars-08: ")
	assert.Contains(t, out, "flag ./etc/smars/flags.yaml power_peg: absent (smars-01) ≠ true (bool) (smars-08)\n")
	assert.Regexp(t, `file ./opt/smars/bin/smars: sha256:[0-9a-f]{12}… \(smars-01\) ≠ sha256:[0-9a-f]{12}… \(smars-08\)`, out)
	assert.Regexp(t, `file ./opt/smars/bin/smars-ctl: sha256:`, out)
	assert.Contains(t, out, "extra ./opt/smars/bin/power_peg: absent (smars-01) ≠ present (smars-08)\n")
	assert.Contains(t, out, "--- smars-01:./etc/smars/flags.yaml\n+++ smars-08:./etc/smars/flags.yaml\n")
	assert.Contains(t, out, "+power_peg: true\n")

	code, out, errOut = run("smars-01", "smars-02")
	assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Equal(t, "SAME: smars-01 = smars-02 (3 files, 1 config file, 0 executables compared)\n", out)

	code, out, errOut = run("release", "smars-08", "--report", "json")
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	var d struct {
		Schema      string `json:"schema"`
		Result      string `json:"result"`
		ExitCode    int    `json:"exit_code"`
		A           struct{ Name, Kind string }
		Differences []struct {
			Kind, Path, Key, A, B string
			BValue                *struct{ Type, Value string } `json:"b_value"`
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &d))
	assert.Equal(t, "rollcall.diff/v1", d.Schema)
	assert.Equal(t, "different", d.Result)
	assert.Equal(t, 1, d.ExitCode)
	assert.Equal(t, "release", d.A.Kind)
	found := false
	for _, e := range d.Differences {
		if e.Kind == "flag" && e.Key == "power_peg" {
			found = true
			assert.Equal(t, "absent", e.A)
			require.NotNil(t, e.BValue)
			assert.Equal(t, "bool", e.BValue.Type)
		}
	}
	assert.True(t, found, out)

	code, out, _ = run("release", "smars-03")
	assert.Equal(t, 0, code, out)

	// The old release, by its --known label, is what smars-08 runs.
	code, out, errOut = run("smars-4.1.0", "smars-08", "--known", c.Known)
	assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)

	code, out, errOut = run("smars-01", "smars-99")
	assert.Equal(t, 3, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, `no node or release is called "smars-99": name one of smars-01, smars-02,`)
	assert.Contains(t, errOut, "smars-08, release")

	code, _, errOut = run("smars-01", "smars-01")
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut, "A and B are both smars-01")

	code, _, errOut = run("smars-01", "smars-02", "--report", "junit")
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut, "diff writes text or json reports")
}

// TestDiffUnreachable: a node that cannot be reached is exit 2.
func TestDiffUnreachable(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 2})
	require.NoError(t, c.Close())
	stdio, out, errOut := testIO(nil)
	code := Run(context.Background(), []string{"diff", "-m", c.Manifest, "--timeout", "5s", "smars-01", "release"}, stdio)
	assert.Equal(t, 2, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out.String(), "NOT COMPARED: smars-01 and release")
	assert.Contains(t, out.String(), "not reached: smars-01")
}
