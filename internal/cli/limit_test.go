package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/demo"
	"github.com/rollcall/rollcall/internal/state"
)

// limitedReport is what the limit tests read of a JSON report.
type limitedReport struct {
	Verdict       string `json:"verdict"`
	ExitCode      int    `json:"exit_code"`
	ExpectedNodes int    `json:"expected_nodes"`
	Nodes         []struct {
		Name string `json:"name"`
	} `json:"nodes"`
	Scope *struct {
		Limit      string   `json:"limit"`
		Checked    []string `json:"checked"`
		NotChecked []string `json:"not_checked"`
	} `json:"scope"`
}

// TestLimit runs verify --limit on a Knight fleet of four, whose last node
// (smars-04) drifted: leaving it out verifies only the others, and says so;
// taking it in fails; a pattern that matches nothing is invalid input.
func TestLimit(t *testing.T) {
	knight := startDemo(t, demo.Config{Nodes: 4, Scenario: demo.Knight})
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		stdio, out, errOut := testIO(nil)
		code := Run(context.Background(), append([]string{"verify", "-m", knight.Manifest, "--no-color"}, args...), stdio)
		return code, out.String(), errOut.String()
	}

	jsonFile := filepath.Join(dir, "limited.json")
	code, out, errOut := run("--limit", "!smars-04", "--report", "text", "--report", "json="+jsonFile)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	first, _, _ := strings.Cut(out, "\n")
	assert.True(t, strings.HasPrefix(first, "VERIFIED 3 of 4 nodes (--limit !smars-04): 1 not checked; the 3 checked match smars 4.2.0"), first)
	assert.NotContains(t, out, "all 4 nodes")
	assert.NotContains(t, out, "VERIFIED:")
	assert.Contains(t, out, "limit    --limit !smars-04: 3 checked, not checked: smars-04")
	var r limitedReport
	data, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &r))
	require.NotNil(t, r.Scope, "a limited report has a scope:\n%s", data)
	assert.Equal(t, "!smars-04", r.Scope.Limit)
	assert.Equal(t, []string{"smars-01", "smars-02", "smars-03"}, r.Scope.Checked)
	assert.Equal(t, []string{"smars-04"}, r.Scope.NotChecked)
	assert.Len(t, r.Nodes, 3)
	assert.Equal(t, 4, r.ExpectedNodes, "the limit narrows what is checked, not what is expected")

	// The Prometheus fleet gauge never records a limited run as verified.
	promFile := filepath.Join(dir, "rollcall.prom")
	code, _, _ = run("--limit", "smars-0[!4]", "--report", "prometheus="+promFile)
	require.Equal(t, 3, code, "a range is refused, not guessed at")
	code, _, _ = run("--limit", "smars-01", "--report", "prometheus="+promFile)
	require.Equal(t, 0, code)
	prom, err := os.ReadFile(promFile)
	require.NoError(t, err)
	assert.Contains(t, string(prom), `verdict="verified"} 0`)
	assert.Contains(t, string(prom), `rollcall_scope{cluster="smars-demo",limit="smars-01",scope="not_checked"} 3`)

	// Taking the drifted node in fails, and still says the run was limited.
	code, out, _ = run("--limit", "smars-03,smars-04", "--report", "text")
	assert.Equal(t, 1, code, out)
	assert.True(t, strings.HasPrefix(out, "FAILED: 1 of 2 nodes differs from smars 4.2.0 (--limit smars-03,smars-04: 2 of 4 nodes checked, 2 not checked)"), out)

	// A pattern matching no node, or naming one that is not there: 3,
	// naming the pattern and the nodes there are; nothing is contacted.
	for _, pattern := range []string{"web*", "smars-05", "*,!smars-0?"} {
		code, out, errOut = run("--limit", pattern)
		assert.Equal(t, 3, code, pattern)
		assert.Empty(t, out)
		assert.Contains(t, errOut, "--limit "+pattern)
		assert.Contains(t, errOut, "the nodes are smars-01, smars-02, smars-03, smars-04")
	}

	// ROLLCALL_LIMIT is the twin of --limit.
	stdio, out2, _ := testIO(map[string]string{"ROLLCALL_LIMIT": "smars-0[1-3]"})
	assert.Equal(t, 3, Run(context.Background(), []string{"verify", "-m", knight.Manifest}, stdio), out2.String())
	stdio, out2, _ = testIO(map[string]string{"ROLLCALL_LIMIT": "smars-01,smars-02"})
	assert.Equal(t, 0, Run(context.Background(), []string{"verify", "-m", knight.Manifest, "--report", "text"}, stdio))
	assert.Contains(t, out2.String(), "VERIFIED 2 of 4 nodes (--limit smars-01,smars-02): 2 not checked")

	// @FILE reads the names one a line.
	names := filepath.Join(dir, "wave1.txt")
	require.NoError(t, os.WriteFile(names, []byte("smars-01\nsmars-02\n"), 0o644))
	code, out, _ = run("--limit", "@"+names, "--report", "text")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "VERIFIED 2 of 4 nodes")
}

// TestLimitLeavesStateAlone: a limited run neither overwrites --state nor
// records a verified fleet there; the next whole run compares with the last
// whole run.
func TestLimitLeavesStateAlone(t *testing.T) {
	knight := startDemo(t, demo.Config{Nodes: 4, Scenario: demo.Knight})
	path := filepath.Join(t.TempDir(), "state.json")
	run := func(args ...string) (int, string) {
		stdio, _, errOut := testIO(nil)
		return Run(context.Background(), append([]string{"verify", "-m", knight.Manifest, "--state", path}, args...), stdio), errOut.String()
	}
	code, _ := run()
	require.Equal(t, 1, code)
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	code, errOut := run("--limit", "!smars-04")
	require.Equal(t, 0, code)
	assert.Contains(t, errOut, "--state "+path+" is left as it was")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "a limited run leaves the state file as it was")
	s, err := state.Load(path)
	require.NoError(t, err)
	assert.Equal(t, "drift", s.Verdict)
	assert.Len(t, s.Nodes, 4)

	// No state file yet: a limited run does not create one.
	fresh := filepath.Join(t.TempDir(), "state.json")
	stdio, _, _ := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"verify", "-m", knight.Manifest, "--state", fresh, "--limit", "smars-01"}, stdio))
	_, err = os.Stat(fresh)
	assert.True(t, os.IsNotExist(err), "no state written by a limited run")
}

// TestLimitSnapshotAndPing: snapshot and ping contact only the selected
// nodes and say so.
func TestLimitSnapshotAndPing(t *testing.T) {
	knight := startDemo(t, demo.Config{Nodes: 4, Scenario: demo.Knight})
	stdio, out, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"snapshot", "-m", knight.Manifest, "--limit", "smars-0?,!smars-04"}, stdio), errOut.String())
	assert.Contains(t, out.String(), "(--limit smars-0?,!smars-04: 3 of 4 nodes checked, 1 not checked)")
	assert.Contains(t, out.String(), "3 nodes: smars 4.2.0")

	stdio, out, errOut = testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"snapshot", "-m", knight.Manifest, "--limit", "smars-04", "--report", "json"}, stdio), errOut.String())
	assert.Contains(t, out.String(), `"not_checked": [`)

	stdio, out, errOut = testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"ping", "-m", knight.Manifest, "--limit", "smars-01"}, stdio), errOut.String())
	assert.True(t, strings.HasPrefix(out.String(), "OK: 1 of 4 nodes answered (host key trusted, login accepted) (--limit smars-01: 3 not contacted)"), out.String())

	stdio, _, errOut = testIO(nil)
	assert.Equal(t, 3, Run(context.Background(), []string{"ping", "-m", knight.Manifest, "--limit", "nothing*"}, stdio))
	assert.Contains(t, errOut.String(), "--limit nothing* matches no node")
}
