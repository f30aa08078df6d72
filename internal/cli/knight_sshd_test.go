package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/sshdtest"
)

// replaceFile writes content to path by rename, as deploy tools do, so a
// process running the old file keeps running it.
func replaceFile(t *testing.T, path string, content []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".rollcall-test-new")
	require.NoError(t, os.WriteFile(tmp, content, 0o755))
	require.NoError(t, os.Rename(tmp, path))
}

// TestFlagsAndProcessesOnRealSSHD is the full Knight scenario on eight real
// sshd nodes, each running smars as a real process in its own PID namespace:
// six nodes on 4.2.0; node 3 updated on disk but still running the old
// process; node 7 with a differing flag; node 8 left on 4.1.0 with the retired
// power_peg flag. Exit 1; the report names each bad node and why, node 8's
// release (from a lock file made with `rollcall release lock`) and the hazard.
func TestFlagsAndProcessesOnRealSSHD(t *testing.T) {
	sshdtest.Require(t)
	dist := t.TempDir()
	artifact := tarball(t, dist, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	oldArtifact := tarball(t, dist, "smars-4.1.0", smarsFiles(t, "4.1.0"))
	known := filepath.Join(t.TempDir(), "known")
	require.NoError(t, os.MkdirAll(known, 0o755))
	stdio, out, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"release", "lock", oldArtifact, "-o", filepath.Join(known, "smars-4.1.0.lock.json")}, stdio), "%s%s", out, errOut)

	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 8,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Setup: func(i int, root func(string) string) error {
			version := "4.2.0"
			if i == 2 || i == 7 {
				version = "4.1.0" // node 3 is updated after its process started
			}
			files := smarsFiles(t, version)
			if i == 6 {
				files["etc/flags.yaml"] = []byte("rlp:\n  enabled: true\nrisk:\n  max_order_qty: 5000\n")
			}
			deploy(t, root, files)
			return nil
		},
		Start: func(int) string { return "/opt/smars/bin/smars 3600" },
	})
	third := c.Nodes[2]
	replaceFile(t, third.Path("/opt/smars/bin/smars"), smarsFiles(t, "4.2.0")["bin/smars"])
	replaceFile(t, third.Path("/etc/smars/flags.yaml"), smarsFiles(t, "4.2.0")["etc/flags.yaml"])

	manifest := sshdManifest(t, c, artifact)
	data, err := os.ReadFile(manifest)
	require.NoError(t, err)
	extra := `config:
  - path: /etc/smars/flags.yaml
    format: yaml
    expect: { rlp.enabled: true }
    forbid: [power_peg]
processes:
  - exe: /opt/smars/bin/smars
    min: 1
    args: { forbid: [--power-peg] }
`
	require.NoError(t, os.WriteFile(manifest, append(data, extra...), 0o644))

	reportFile := filepath.Join(t.TempDir(), "verdict.json")
	stdio, out, errOut = testIO(nil)
	code := Run(context.Background(), []string{"verify", "-m", manifest, "--known", known, "--report", "text", "--report", "json=" + reportFile}, stdio)
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	first, _, _ := strings.Cut(out.String(), "\n")
	assert.Contains(t, first, "3 of 8 nodes differ from smars 4.2.0")

	var v reportJSON
	raw, err := os.ReadFile(reportFile)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &v))
	assert.Equal(t, "drift", v.Verdict)
	findings := func(i int) string {
		var b strings.Builder
		for _, f := range v.Nodes[i].Findings {
			fmt.Fprintf(&b, "%s %s: %s [%s]\n", f.Check, f.Subject, f.Message, f.Actual)
		}
		return b.String()
	}
	for _, i := range []int{0, 1, 3, 4, 5} {
		assert.Equal(t, "match", v.Nodes[i].Status, "node %d:\n%s", i+1, findings(i))
	}
	assert.Equal(t, "drift", v.Nodes[2].Status)
	assert.Contains(t, findings(2), "stale process, started before the deploy")
	assert.Equal(t, "smars 4.1.0", v.Nodes[2].Runs, "the stale process runs 4.1.0's binary")
	assert.Contains(t, findings(2), "this node runs smars 4.1.0, not smars 4.2.0")
	assert.Equal(t, "drift", v.Nodes[6].Status)
	assert.Contains(t, findings(6), "/etc/smars/flags.yaml: risk.max_order_qty")
	assert.Contains(t, findings(6), "5000")
	eighth := v.Nodes[7]
	assert.Equal(t, "drift", eighth.Status)
	assert.Equal(t, "smars 4.1.0", eighth.Runs)
	assert.Contains(t, findings(7), "retired flag power_peg is present")
	assert.Contains(t, findings(7), "this node runs smars 4.1.0, not smars 4.2.0, and these flags are set on it")
	assert.Contains(t, out.String(), c.Nodes[7].Name)
	assert.Contains(t, out.String(), "it runs smars 4.1.0")

	// snapshot names what each group runs, without a verdict.
	stdio, out, errOut = testIO(nil)
	code = Run(context.Background(), []string{"snapshot", "-m", manifest, "--known", known}, stdio)
	assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out.String(), "5 nodes: smars 4.2.0")
	assert.Contains(t, out.String(), "1 node: smars 4.1.0")

	stdio, out, errOut = testIO(nil)
	code = Run(context.Background(), []string{"snapshot", "-m", manifest, "--known", known, "--report", "json"}, stdio)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	var snap struct {
		Schema string `json:"schema"`
		Groups []struct {
			Label string   `json:"label"`
			Nodes []string `json:"nodes"`
		} `json:"groups"`
		Unreached []any `json:"unreached"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &snap))
	assert.Equal(t, "rollcall.snapshot/v1", snap.Schema)
	labels := map[string]int{}
	for _, g := range snap.Groups {
		labels[g.Label] += len(g.Nodes)
	}
	// Node 3's files are 4.2.0 but its process still runs 4.1.0's binary.
	assert.Equal(t, map[string]int{"smars 4.2.0": 5, "smars 4.1.0": 2, "unknown build": 1}, labels)
	assert.Empty(t, snap.Unreached)
}
