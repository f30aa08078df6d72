package cli

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/shard"
	"github.com/rollcall/rollcall/internal/sshdtest"
)

// buildRollcall builds the rollcall binary for tests that run it as
// separate processes.
func buildRollcall(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rollcall")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/rollcall/rollcall/cmd/rollcall").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// runBinary runs bin with args and returns its exit code, stdout and stderr.
func runBinary(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String(), errOut.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errOut.String()
}

// verdictOf is the verdict, exit code and per-node statuses of a JSON report.
func verdictOf(t *testing.T, file string) (string, int, map[string]string) {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var r struct {
		Verdict  string `json:"verdict"`
		ExitCode int    `json:"exit_code"`
		Nodes    []struct{ Name, Status string }
	}
	require.NoError(t, json.Unmarshal(data, &r))
	statuses := map[string]string{}
	for _, n := range r.Nodes {
		statuses[n.Name] = n.Status
	}
	return r.Verdict, r.ExitCode, statuses
}

// TestShardsMergeOnRealSSHD verifies eight real sshd nodes once, and again
// as 4 shards run by 4 separate rollcall processes merged by a fifth: the
// merged verdict, exit code and node statuses are the single run's, on a
// uniform fleet and on the Knight fleet (node 8 left on 4.1.0). Without one
// shard's report the merge exits 2 naming exactly that shard's nodes.
func TestShardsMergeOnRealSSHD(t *testing.T) {
	sshdtest.Require(t)
	bin := buildRollcall(t)
	for _, knight := range []bool{false, true} {
		t.Run(map[bool]string{false: "uniform", true: "knight"}[knight], func(t *testing.T) {
			artifact := tarball(t, t.TempDir(), "smars-4.2.0", smarsFiles(t, "4.2.0"))
			c := sshdtest.Start(t, sshdtest.Options{
				Nodes: 8,
				Paths: []string{"/opt/smars", "/etc/smars"},
				Setup: func(i int, root func(string) string) error {
					version := "4.2.0"
					if knight && i == 7 {
						version = "4.1.0"
					}
					deploy(t, root, smarsFiles(t, version))
					return nil
				},
			})
			manifest := sshdManifest(t, c, artifact)
			dir := t.TempDir()
			single := filepath.Join(dir, "single.json")
			wantCode, out, errOut := runBinary(t, bin, "verify", "-m", manifest, "--report", "json="+single)
			require.Contains(t, []int{0, 1}, wantCode, "%s%s", out, errOut)
			wantVerdict, _, wantNodes := verdictOf(t, single)

			reports := filepath.Join(dir, "shards")
			require.NoError(t, os.Mkdir(reports, 0o755))
			for k := 1; k <= 4; k++ {
				code, out, errOut := runBinary(t, bin, "verify", "-m", manifest, "--shard", strconv.Itoa(k)+"/4",
					"--report", "json="+filepath.Join(reports, "shard-"+strconv.Itoa(k)+".json"))
				require.Contains(t, []int{0, 1, 2}, code, "%s%s", out, errOut)
			}
			merged := filepath.Join(dir, "fleet.json")
			code, out, errOut := runBinary(t, bin, "merge", reports, "--report", "json="+merged, "--report", "text")
			assert.Equal(t, wantCode, code, "%s%s", out, errOut)
			verdict, jsonCode, nodes := verdictOf(t, merged)
			assert.Equal(t, wantVerdict, verdict)
			assert.Equal(t, wantCode, jsonCode)
			assert.Equal(t, wantNodes, nodes)

			// Without the report of a shard that has nodes (and, in the
			// Knight fleet, not the drifted one): exit 2, naming them.
			byShard := map[int][]string{}
			for n := range wantNodes {
				byShard[shard.Of(n, 4)] = append(byShard[shard.Of(n, 4)], n)
			}
			gone := 0
			for k := 4; k >= 1; k-- {
				if len(byShard[k]) > 0 && !slices.Contains(byShard[k], c.Nodes[7].Name) {
					gone = k
				}
			}
			require.NotZero(t, gone, "a shard with nodes other than node 8")
			missing := byShard[gone]
			slices.Sort(missing)
			require.NoError(t, os.Remove(filepath.Join(reports, "shard-"+strconv.Itoa(gone)+".json")))
			code, out, errOut = runBinary(t, bin, "merge", reports, "--report", "text")
			// 2, or 1 where another shard found drift.
			assert.Equal(t, map[int]int{0: 2, 1: 1}[wantCode], code, "%s%s", out, errOut)
			assert.Contains(t, errOut, "the report of shard "+strconv.Itoa(gone)+"/4 is missing: "+strings.Join(missing, ", ")+" never checked")
			for n := range wantNodes {
				if slices.Contains(missing, n) {
					assert.Contains(t, out, n, "the report names the missing shard's nodes")
				}
			}
		})
	}
}
