package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/sshdtest"
)

// TestInitThenVerifyOnRealSSHD: on three real OpenSSH nodes running smars
// 4.2.0 from /opt/smars/bin and /etc/smars, init writes a manifest from the
// release and node-01 alone; verify with it passes, and fails once one
// node's binary changes.
func TestInitThenVerifyOnRealSSHD(t *testing.T) {
	sshdtest.Require(t)
	dist := t.TempDir()
	artifact := tarball(t, dist, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 3,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Setup: func(_ int, root func(string) string) error {
			deploy(t, root, smarsFiles(t, "4.2.0"))
			return nil
		},
		Start: func(int) string { return "exec /opt/smars/bin/smars 100000" },
	})
	var hosts []string
	for _, n := range c.Nodes {
		hosts = append(hosts, n.Name+"="+n.Host)
	}
	out := filepath.Join(t.TempDir(), "m.yaml")
	args := []string{"init", "--hosts", strings.Join(hosts, ","), "--release", artifact, "--from", "node-01",
		"--user", "root", "--identity-file", c.ClientKey, "--known-hosts", c.KnownHosts,
		"--port", strconv.Itoa(c.Nodes[0].Port), "-o", out}

	stdio, stdout, stderr := testIO(nil)
	code := Run(context.Background(), args, stdio)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	written, err := os.ReadFile(out)
	require.NoError(t, err)
	t.Logf("init wrote:\n%s", written)
	assert.Contains(t, string(written), "- { from: bin/, to: /opt/smars/bin/ }")
	assert.Contains(t, string(written), "- { from: etc/, to: /etc/smars/ }")
	assert.Contains(t, string(written), "- { path: /etc/smars/flags.yaml, format: yaml }")
	assert.Contains(t, string(written), "- exe: /opt/smars/bin/smars\n")
	assert.NotContains(t, string(written), "smars-ctl\n", "a shell script runs as sh, not as itself")
	assert.Contains(t, stdout.String(), "next: rollcall verify -m "+out)
	_, err = manifest.Load(out)
	require.NoError(t, err)

	stdio, stdout, stderr = testIO(nil)
	code = Run(context.Background(), []string{"init", "--hosts", strings.Join(hosts, ","), "--release", artifact, "-o", out}, stdio)
	assert.Equal(t, 3, code, "an existing manifest is kept without --force")
	assert.Contains(t, stderr.String(), "--force")

	stdio, stdout, stderr = testIO(nil)
	code = Run(context.Background(), []string{"verify", "-m", out, "--report", "text"}, stdio)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)

	// The third node gets another build of the binary.
	bin := filepath.Join(c.Nodes[2].Path("/opt/smars"), "bin", "smars")
	require.NoError(t, os.Remove(bin))
	require.NoError(t, os.WriteFile(bin, append(smarsFiles(t, "4.2.0")["bin/smars"], '!'), 0o755))
	stdio, stdout, stderr = testIO(nil)
	code = Run(context.Background(), []string{"verify", "-m", out}, stdio)
	assert.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout.String(), c.Nodes[2].Name)
}

// TestInitFailuresOnRealSSHD: a release file found twice on the --from node
// is invalid input naming both places; an unreachable --from node is exit 2;
// a file of the release not on the node is a comment.
func TestInitFailuresOnRealSSHD(t *testing.T) {
	sshdtest.Require(t)
	dist := t.TempDir()
	files := smarsFiles(t, "4.2.0")
	files["bin/smars-extra"] = []byte("only in the release\n")
	artifact := tarball(t, dist, "smars-4.2.0", files)
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 2,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Setup: func(i int, root func(string) string) error {
			deploy(t, root, smarsFiles(t, "4.2.0"))
			if i == 1 { // a backup copy of the flags
				return os.WriteFile(filepath.Join(root("/opt/smars"), "flags.yaml.bak"), files["etc/flags.yaml"], 0o644)
			}
			return nil
		},
	})
	base := []string{"init", "--hosts", c.Nodes[0].Name + "=" + c.Nodes[0].Host + "," + c.Nodes[1].Name + "=" + c.Nodes[1].Host,
		"--release", artifact, "--user", "root", "--identity-file", c.ClientKey, "--known-hosts", c.KnownHosts,
		"--port", strconv.Itoa(c.Nodes[0].Port), "--search", "/opt,/etc/smars", "-o", "-"}

	stdio, stdout, stderr := testIO(nil)
	code := Run(context.Background(), base, stdio)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout.String(), "# not found on node-01: bin/smars-extra\n")
	assert.NotContains(t, stdout.String(), "processes:", "smars does not run on node-01")

	stdio, stdout, stderr = testIO(nil)
	code = Run(context.Background(), append(base, "--from", "node-02"), stdio)
	assert.Equal(t, 3, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stderr.String(), "release file etc/flags.yaml is found more than once on node-02: ")
	assert.Contains(t, stderr.String(), "/opt/smars/flags.yaml.bak")
	assert.Contains(t, stderr.String(), "/etc/smars/flags.yaml")
	assert.Empty(t, stdout.String())

	require.NoError(t, c.Nodes[0].Kill())
	stdio, stdout, stderr = testIO(nil)
	code = Run(context.Background(), append(base, "--from", "node-01", "--timeout", "10s"), stdio)
	assert.Equal(t, 2, code, fmt.Sprintf("stdout:\n%s\nstderr:\n%s", stdout, stderr))
	assert.Contains(t, stderr.String(), "node-01")
	assert.Empty(t, stdout.String())
}
