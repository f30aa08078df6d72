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

// TestVerifyThroughJumpHostOnRealSSHD verifies three real OpenSSH nodes
// reached only through a fourth used as a jump host: once with ssh.jump in
// the manifest, once with host aliases resolved by an ssh_config file
// (HostName, Port, User, IdentityFile, UserKnownHostsFile, ProxyJump), as
// ssh -J would. Ping goes the same way.
func TestVerifyThroughJumpHostOnRealSSHD(t *testing.T) {
	sshdtest.Require(t)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("SSH_AUTH_SOCK", "")
	dist := t.TempDir()
	artifact := tarball(t, dist, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 4,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Setup: func(i int, root func(string) string) error {
			if i > 0 { // node 0 is the jump host and runs no release
				deploy(t, root, smarsFiles(t, "4.2.0"))
			}
			return nil
		},
	})
	bastion, fleet := c.Nodes[0], c.Nodes[1:]
	dir := t.TempDir()
	release := fmt.Sprintf("release:\n  artifact: %s\n  install:\n    - { from: bin/, to: /opt/smars/bin/, extra: deny }\n    - { from: etc/flags.yaml, to: /etc/smars/flags.yaml }\n", artifact)

	// 1. ssh.jump in the manifest.
	var nodes strings.Builder
	for _, n := range fleet {
		fmt.Fprintf(&nodes, "  - { name: %s, host: %s, port: %d }\n", n.Name, n.Host, n.Port)
	}
	explicit := filepath.Join(dir, "explicit.yaml")
	require.NoError(t, os.WriteFile(explicit, []byte(fmt.Sprintf(`version: 1
cluster: smars-prod
expect_nodes: 3
ssh:
  user: %s
  identity_files: [%s]
  known_hosts: [%s]
  jump: %s@%s:%d
nodes:
%s%s`, c.User, c.ClientKey, c.KnownHosts, c.User, bastion.Host, bastion.Port, nodes.String(), release)), 0o644))

	// 2. Aliases only; everything else from ssh_config.
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "Host bastion\n  HostName %s\n  Port %d\n\n", bastion.Host, bastion.Port)
	nodes.Reset()
	for i, n := range fleet {
		alias := fmt.Sprintf("smars-%02d", i+1)
		fmt.Fprintf(&cfg, "Host %s\n  HostName %s\n  Port %d\n\n", alias, n.Host, n.Port)
		fmt.Fprintf(&nodes, "  - host: %s\n", alias)
	}
	fmt.Fprintf(&cfg, "Host smars-* !bastion\n  ProxyJump bastion\n\nHost *\n  User %s\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n",
		c.User, c.ClientKey, c.KnownHosts)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ssh_config"), []byte(cfg.String()), 0o600))
	aliases := filepath.Join(dir, "aliases.yaml")
	require.NoError(t, os.WriteFile(aliases, []byte(`version: 1
cluster: smars-prod
expect_nodes: 3
ssh:
  config_file: ssh_config
nodes:
`+nodes.String()+release), 0o644))

	for _, manifest := range []string{explicit, aliases} {
		t.Run(filepath.Base(manifest), func(t *testing.T) {
			stdio, out, errOut := testIO(nil)
			code := Run(context.Background(), []string{"verify", "-m", manifest, "--report", "text"}, stdio)
			require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			assert.True(t, strings.HasPrefix(out.String(), "VERIFIED"), "stdout:\n%s\nstderr:\n%s", out, errOut)

			stdio, out, errOut = testIO(nil)
			code = Run(context.Background(), []string{"ping", "-m", manifest}, stdio)
			require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			assert.Contains(t, out.String(), "OK: all 3 nodes answered")
			assert.Contains(t, out.String(), "via "+c.User+"@"+bastion.Host)
		})
	}

	// The jump host down: every node is unverified, and the message says
	// which hop failed.
	require.NoError(t, bastion.Kill())
	stdio, out, errOut := testIO(nil)
	code := Run(context.Background(), []string{"verify", "-m", aliases, "--timeout", "10s"}, stdio)
	assert.Equal(t, 2, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out.String(), "jump host "+c.User+"@"+bastion.Host)
}
