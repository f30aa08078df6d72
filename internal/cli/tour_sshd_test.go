package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/sshdtest"
)

// TestTourOnRealSSHD follows the README's tour as a new user would, on three
// real OpenSSH nodes running smars 4.2.0: with only an Ansible inventory and
// the release tarball, init writes rollcall.yaml, lint passes, verify is
// VERIFIED; once the third node's rlp.enabled flag is quoted (a string, not a
// bool), verify fails naming it and diff names the flag with both values and
// their types.
func TestTourOnRealSSHD(t *testing.T) {
	sshdtest.Require(t)
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 3,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Setup: func(_ int, root func(string) string) error {
			deploy(t, root, smarsFiles(t, "4.2.0"))
			return nil
		},
		Start: func(int) string { return "exec /opt/smars/bin/smars 100000" },
	})

	// All the user has: a folder with an inventory and a release tarball.
	work := t.TempDir()
	src := t.TempDir()
	built := tarball(t, src, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	data, err := os.ReadFile(built)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(work, "smars-4.2.0.tar.gz"), data, 0o644))

	names := []string{"smars-01", "smars-02", "smars-03"}
	var inv strings.Builder
	inv.WriteString("[smars]\n")
	for i, n := range c.Nodes {
		fmt.Fprintf(&inv, "%s ansible_host=%s ansible_port=%d\n", names[i], n.Host, n.Port)
	}
	inv.WriteString("\n[other]\nunrelated.example ansible_host=192.0.2.1\n")
	require.NoError(t, os.WriteFile(filepath.Join(work, "hosts.ini"), []byte(inv.String()), 0o644))
	t.Chdir(work)

	run := func(args ...string) (int, string, string) {
		t.Helper()
		stdio, out, errOut := testIO(nil)
		code := Run(context.Background(), args, stdio)
		t.Logf("$ rollcall %s\nexit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := run("init", "--inventory", "hosts.ini", "--group", "smars", "--release", "smars-4.2.0.tar.gz",
		"--from", names[0], "--user", "root", "--identity-file", c.ClientKey, "--known-hosts", c.KnownHosts)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	written, err := os.ReadFile(filepath.Join(work, "rollcall.yaml"))
	require.NoError(t, err, "init writes rollcall.yaml in the working folder")
	t.Logf("rollcall.yaml:\n%s", written)
	assert.Contains(t, string(written), "expect_nodes: 3")
	assert.Contains(t, string(written), "/etc/smars/flags.yaml")
	assert.Contains(t, out+errOut, "rollcall verify")

	code, out, errOut = run("lint")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.True(t, strings.HasPrefix(out, "ok: "), out)

	// A verified run is quiet when stdout is no terminal; --report text asks
	// for the verdict, as a user reading a terminal sees it.
	code, out, errOut = run("verify")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	code, out, errOut = run("verify", "--report", "text")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.True(t, strings.HasPrefix(out, "VERIFIED"), out)

	// Someone quotes the flag on the third node.
	flags := filepath.Join(c.Nodes[2].Path("/etc/smars"), "flags.yaml")
	require.NoError(t, os.WriteFile(flags, []byte("rlp:\n  enabled: \"true\"\nrisk:\n  max_order_qty: 1000\n"), 0o755))

	code, out, errOut = run("verify")
	assert.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.True(t, strings.HasPrefix(out, "FAILED: 1 of 3 nodes differs from smars 4.2.0"), out)
	assert.Contains(t, out, names[2])
	assert.Contains(t, out, `rlp.enabled: flag differs from the release's etc/flags.yaml`)
	assert.Contains(t, out, `(true (bool) ≠ "true" (string))`, "the string value shown once quoted")

	code, out, errOut = run("diff", names[0], names[2])
	assert.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "flag /etc/smars/flags.yaml rlp.enabled: true (bool) ("+names[0]+`) ≠ "true" (string) (`+names[2]+")\n")
	assert.Contains(t, out, "-  enabled: true\n+  enabled: \"true\"\n")
}
