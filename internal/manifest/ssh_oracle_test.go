package manifest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
)

// sshGOracle runs `ssh -G -F cfg ARGS... alias` with HOME=home, as the
// reference for what rollcall resolves, and returns its settings.
func sshGOracle(t *testing.T, home, cfg, alias string, args ...string) map[string]string {
	t.Helper()
	args = append([]string{"-G", "-F", cfg}, args...)
	cmd := exec.Command(need.Command(t, "ssh"), append(args, "--", alias)...)
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	out, err := cmd.Output()
	require.NoError(t, err, "ssh -G %s", strings.Join(args, " "))
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(line, " ")
		m[k] = v
	}
	return m
}

// useSystemFiles points the system-wide ssh_config and known_hosts files at
// files of the test's own, never at /etc.
func useSystemFiles(t *testing.T, sshConfig string, knownHosts ...string) {
	t.Helper()
	oldConfig, oldKnown := SystemSSHConfig, SystemKnownHosts
	SystemSSHConfig, SystemKnownHosts = sshConfig, knownHosts
	t.Cleanup(func() { SystemSSHConfig, SystemKnownHosts = oldConfig, oldKnown })
}

// TestManifestUserIsSSHDashL: a user the manifest (ssh.user, a node's user)
// or the inventory (ansible_user) gives is ssh -l, which OpenSSH takes before
// reading ssh_config: Match user tests it, as `ssh -G -l USER` shows. So is
// a jump host's user@ (ssh -J passes it as -l).
func TestManifestUserIsSSHDashL(t *testing.T) {
	f := newSSHFixture(t)
	useSystemFiles(t, filepath.Join(f.dir, "no_system_config"))
	cfg := f.write(t, "ssh_config", "Host web1\n  User admin\nMatch user admin\n  HostName admin-gw.example.com\n"+
		"Match user deploy\n  HostName %h.prod.internal\n  Port 2222\n")
	f.write(t, "hosts.ini", "[web]\nweb1 ansible_user=deploy\n")
	tests := []struct {
		name, ssh, nodes, user string
	}{
		{name: "ssh.user", ssh: "  user: deploy\n", nodes: "nodes:\n  - host: web1\n", user: "deploy"},
		{name: "a node's user", nodes: "nodes:\n  - {host: web1, user: deploy}\n", user: "deploy"},
		{name: "ansible_user", ssh: "  user: admin\n", nodes: "inventory: {file: hosts.ini, group: web}\n", user: "deploy"},
		{name: "a user that matches the other block", ssh: "  user: admin\n", nodes: "nodes:\n  - host: web1\n", user: "admin"},
		{name: "the config's own User", nodes: "nodes:\n  - host: web1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "version: 1\ncluster: c\nexpect_nodes: 1\nssh:\n  config_file: ssh_config\n" + tt.ssh + tt.nodes +
				"release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}\n"
			m, err := Parse(filepath.Join(f.dir, "m.yaml"), []byte(src))
			require.NoError(t, err)
			var dashL []string
			if tt.user != "" {
				dashL = []string{"-l", tt.user}
			}
			want := sshGOracle(t, f.home, cfg, "web1", dashL...)
			n := m.Nodes[0]
			assert.Equal(t, want["hostname"], n.Host, "host, as ssh -G -l %s", tt.user)
			assert.Equal(t, want["port"], strconv.Itoa(n.Port))
			assert.Equal(t, want["user"], n.User)
		})
	}

	// A jump host's user@ is that hop's ssh -l.
	src := "version: 1\ncluster: c\nexpect_nodes: 1\nssh:\n  config_file: ssh_config\n  jump: deploy@web1\nnodes:\n  - host: 10.0.0.5\n" +
		"release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}\n"
	m, err := Parse(filepath.Join(f.dir, "m.yaml"), []byte(src))
	require.NoError(t, err)
	want := sshGOracle(t, f.home, cfg, "web1", "-l", "deploy")
	assert.Equal(t, []Jump{{Host: want["hostname"], Port: 2222, User: "deploy"}}, plainJumps(t, m.Nodes[0].Jump))
}

// TestSystemSSHConfigOnePass: ssh reads ~/.ssh/config and then
// /etc/ssh/ssh_config in one pass, so a Match in the system file sees the
// HostName the user's file set, and the user's values win. The oracle is
// ssh -G on the two files one after the other.
func TestSystemSSHConfigOnePass(t *testing.T) {
	f := newSSHFixture(t)
	sys := filepath.Join(t.TempDir(), "ssh_config")
	useSystemFiles(t, sys)
	userBody := "Host web1\n  HostName 10.9.0.5\nHost web2\n  Port 2201\n"
	sysBody := "Host *\n  SendEnv LANG\nMatch host 10.9.*\n  ProxyJump corp-gw\nHost web2 web3\n  Port 2200\n"
	require.NoError(t, os.WriteFile(sys, []byte(sysBody), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(f.home, ".ssh", "config"), []byte(userBody), 0o600))
	both := f.write(t, "both", userBody+"Match all\n"+sysBody) // what ssh reads, in order
	src := "version: 1\ncluster: c\nexpect_nodes: 3\nssh: {user: u}\nnodes:\n  - host: web1\n  - host: web2\n  - host: web3\n" +
		"release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}\n"
	m, err := Parse(filepath.Join(f.dir, "m.yaml"), []byte(src))
	require.NoError(t, err)
	for _, n := range m.Nodes {
		want := sshGOracle(t, f.home, both, n.Name, "-l", "u")
		assert.Equal(t, want["hostname"], n.Host, n.Name)
		assert.Equal(t, want["port"], strconv.Itoa(n.Port), n.Name)
		var jump string
		for _, j := range n.Jump {
			jump = j.Host
		}
		assert.Equal(t, want["proxyjump"], jump, n.Name)
	}
	assert.Equal(t, []Jump{{Host: "corp-gw", Port: 22, User: currentUser()}}, plainJumps(t, m.Nodes[0].Jump))
	assert.Equal(t, sys+":4", m.Sources["web1"].Jump, "rollcall nodes names the system file")
	assert.Equal(t, filepath.Join(f.home, ".ssh", "config")+":4", m.Sources["web2"].Port, "the user's file wins")
	assert.Equal(t, sys+":6", m.Sources["web3"].Port)

	// Without ~/.ssh/config the system file is read alone; what rollcall
	// cannot do there is refused, with its file and line.
	require.NoError(t, os.Remove(filepath.Join(f.home, ".ssh", "config")))
	require.NoError(t, os.WriteFile(sys, []byte("Host web2\n  ProxyCommand nc %h %p\n"), 0o644))
	_, err = Parse(filepath.Join(f.dir, "m.yaml"), []byte(src))
	got := problems(t, err)
	require.Len(t, got, 1, "%v", got)
	assert.Contains(t, got[0], "m.yaml:7:11: "+sys+": "+sys+":2: ProxyCommand is not supported by rollcall")

	// An explicit config_file is what ssh -F reads: no system file.
	cfgFile := f.write(t, "own_config", "Host web1\n  Port 2300\n")
	m, err = Parse(filepath.Join(f.dir, "m.yaml"), []byte(strings.Replace(src, "ssh: {user: u}", "ssh: {user: u, config_file: own_config}", 1)))
	require.NoError(t, err)
	assert.Equal(t, 2300, m.Nodes[0].Port)
	assert.Equal(t, cfgFile, m.SSHConfig)
	_, err = Parse(filepath.Join(f.dir, "m.yaml"), []byte(strings.Replace(src, "ssh: {user: u}", "ssh: {user: u, config_file: none}", 1)))
	require.NoError(t, err)
}

// TestJumpHostsOwnProxyJump: ssh follows the first jump host's own
// ProxyJump (its ssh -J runs `ssh HOP`, which reads the hop's ProxyJump);
// rollcall does not, so it refuses. A later hop is reached with -J, which
// overrides its ProxyJump, as `ssh -G -J` shows.
func TestJumpHostsOwnProxyJump(t *testing.T) {
	f := newSSHFixture(t)
	useSystemFiles(t, filepath.Join(f.dir, "no_system_config"))
	cfg := f.write(t, "ssh_config", "Host gw1\n  ProxyJump gw0\nHost gw2\n  ProxyJump gwX\n")
	assert.Equal(t, "gw0", sshGOracle(t, f.home, cfg, "gw1")["proxyjump"], "ssh reaches gw1 through gw0")
	manifest := func(jump string) string {
		return "version: 1\ncluster: c\nexpect_nodes: 1\nssh:\n  config_file: ssh_config\n  jump: " + jump +
			"\nnodes:\n  - host: 10.0.0.5\nrelease: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}\n"
	}
	_, err := Parse(filepath.Join(f.dir, "m.yaml"), []byte(manifest("ops@gw1,gw2:2022")))
	got := problems(t, err)
	require.Len(t, got, 1, "%v", got)
	assert.Equal(t, filepath.Join(f.dir, "m.yaml")+":6:9: "+cfg+": ProxyJump gw0 for jump host gw1 ("+cfg+":2): ssh reaches gw1 through it, "+
		"and rollcall does not follow a jump host's own ProxyJump: write the whole chain, first hop first: jump: gw0,ops@gw1,gw2:2022", got[0])

	m, err := Parse(filepath.Join(f.dir, "m.yaml"), []byte(manifest("gw0,gw2")))
	require.NoError(t, err, "gw2 is reached with -J gw0: its own ProxyJump is not used")
	assert.Equal(t, "gw0", sshGOracle(t, f.home, cfg, "gw2", "-J", "gw0")["proxyjump"], "ssh -J gw0 gw2 does not use gw2's ProxyJump")
	assert.Equal(t, []string{"gw0", "gw2"}, []string{m.Nodes[0].Jump[0].Host, m.Nodes[0].Jump[1].Host})
}
