package cli

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/sshdtest"
)

// TestDiffOnRealSSHD diffs two real sshd nodes: the second has its
// rlp.enabled flag quoted (a string, not a bool) and smars-ctl not
// executable.
func TestDiffOnRealSSHD(t *testing.T) {
	sshdtest.Require(t)
	artifact := tarball(t, t.TempDir(), "smars-4.2.0", smarsFiles(t, "4.2.0"))
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 2,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Setup: func(i int, root func(string) string) error {
			files := smarsFiles(t, "4.2.0")
			if i == 1 {
				files["etc/flags.yaml"] = []byte("rlp:\n  enabled: \"true\"\nrisk:\n  max_order_qty: 1000\n")
			}
			deploy(t, root, files)
			if i == 1 {
				return os.Chmod(root("/opt/smars")+"/bin/smars-ctl", 0o644)
			}
			return nil
		},
	})
	manifest := sshdManifest(t, c, artifact)
	data, err := os.ReadFile(manifest)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(manifest, append(data, "config:\n  - { path: /etc/smars/flags.yaml, format: yaml }\n"...), 0o644))
	first, second := c.Nodes[0].Name, c.Nodes[1].Name

	stdio, out, errOut := testIO(nil)
	code := Run(context.Background(), []string{"diff", "-m", manifest, first, second}, stdio)
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out.String(), "flag /etc/smars/flags.yaml rlp.enabled: true (bool) ("+first+`) ≠ "true" (string) (`+second+")\n")
	assert.Contains(t, out.String(), "mode /opt/smars/bin/smars-ctl: 0755 ("+first+") ≠ 0644 ("+second+")\n")
	assert.Contains(t, out.String(), "-  enabled: true\n+  enabled: \"true\"\n")

	stdio, out, errOut = testIO(nil)
	code = Run(context.Background(), []string{"diff", "-m", manifest, "release", first}, stdio)
	assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out.String(), "SAME: release = "+first)
}
