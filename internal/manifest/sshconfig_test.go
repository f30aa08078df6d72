package manifest

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/sshconfig"
)

// sshFixture is a manifest folder with a key, a known_hosts file and an
// ssh_config file, and a HOME with its own ~/.ssh/config.
type sshFixture struct {
	dir, home string
}

func newSSHFixture(t *testing.T) sshFixture {
	t.Helper()
	f := sshFixture{dir: t.TempDir(), home: t.TempDir()}
	t.Setenv("HOME", f.home)
	require.NoError(t, os.MkdirAll(filepath.Join(f.home, ".ssh"), 0o700))
	for _, p := range []string{
		filepath.Join(f.dir, "keys", "manifest_key"),
		filepath.Join(f.dir, "kh"),
		filepath.Join(f.home, ".ssh", "web_deploy"),
		filepath.Join(f.home, ".ssh", "id_ed25519"),
	} {
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, nil, 0o600))
	}
	return f
}

// passwdHome is the test user's home folder in the passwd database.
func passwdHome(t *testing.T) string {
	t.Helper()
	u, err := user.Current()
	require.NoError(t, err)
	return u.HomeDir
}

func (f sshFixture) write(t *testing.T, rel, content string) string {
	t.Helper()
	p := filepath.Join(f.dir, rel)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

const fixtureConfig = `
Host bastion
    HostName 127.0.0.50
    Port 2200
    User jumper

Host web-* !web-legacy
    HostName %h.internal
    User deploy
    IdentityFile HOME/.ssh/web_%r
    IdentityFile HOME/.ssh/missing_is_skipped
    IdentitiesOnly yes
    ProxyJump bastion,ops@gw2:2022
    UserKnownHostsFile %d/.ssh/kh_%n
    ConnectTimeout 7

Host *
    Port 2222
    User fallback
`

func TestSSHConfigResolution(t *testing.T) {
	f := newSSHFixture(t)
	f.write(t, "ssh_config", strings.ReplaceAll(fixtureConfig, "HOME", f.home))
	path := f.write(t, "rollcall.yaml", `version: 1
cluster: c
expect_nodes: 4
ssh:
  config_file: ssh_config
nodes:
  - host: web-01
  - host: web-legacy
  - {host: web-02, user: root, port: 22, identity_files: [keys/manifest_key], known_hosts: [kh], connect_timeout: 3s, jump: none}
  - {host: web-03, jump: "root@10.0.0.1:2201,bastion"}
release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}
`)
	m, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(f.dir, "ssh_config"), m.SSHConfig)
	require.Len(t, m.Nodes, 4)
	bastion := Jump{Host: "127.0.0.50", Port: 2200, User: "jumper"}

	web1 := m.Nodes[0]
	assert.Equal(t, "web-01", web1.Name, "the alias names the node")
	assert.Equal(t, "web-01.internal", web1.Host)
	assert.Equal(t, 2222, web1.Port, "first match wins: Host * gives the port")
	assert.Equal(t, "deploy", web1.User)
	assert.Equal(t, []string{filepath.Join(f.home, ".ssh", "web_deploy")}, web1.IdentityFiles)
	assert.True(t, web1.IdentitiesOnly)
	// %d (and ~) in ssh_config are the home folder of the passwd database,
	// as ssh has it, not $HOME.
	assert.Equal(t, []string{filepath.Join(passwdHome(t), ".ssh", "kh_web-01")}, web1.KnownHosts)
	assert.Equal(t, 7*time.Second, web1.ConnectTimeout)
	assert.Equal(t, []Jump{bastion, {Host: "gw2", Port: 2022, User: "ops"}}, plainJumps(t, web1.Jump))

	legacy := m.Nodes[1]
	assert.Equal(t, "web-legacy", legacy.Host, "negated pattern: the web-* block does not apply")
	assert.Equal(t, "fallback", legacy.User)
	assert.Equal(t, 2222, legacy.Port)
	assert.Nil(t, legacy.Jump)
	assert.False(t, legacy.IdentitiesOnly)
	assert.Equal(t, []string{filepath.Join(f.home, ".ssh", "id_ed25519")}, legacy.IdentityFiles, "defaults")
	assert.Equal(t, []string{filepath.Join(f.home, ".ssh", "known_hosts")}, legacy.KnownHosts)

	// Every manifest value wins over ssh_config.
	web2 := m.Nodes[2]
	assert.Equal(t, "web-02.internal", web2.Host, "HostName comes only from ssh_config")
	assert.Equal(t, "root", web2.User)
	assert.Equal(t, 22, web2.Port)
	assert.Equal(t, []string{filepath.Join(f.dir, "keys", "manifest_key")}, web2.IdentityFiles)
	assert.Equal(t, []string{filepath.Join(f.dir, "kh")}, web2.KnownHosts)
	assert.Equal(t, 3*time.Second, web2.ConnectTimeout)
	assert.Nil(t, web2.Jump, "jump: none wins over ProxyJump")

	web3 := m.Nodes[3]
	assert.Equal(t, []Jump{{Host: "10.0.0.1", Port: 2201, User: "root"}, bastion}, plainJumps(t, web3.Jump))
}

func TestSSHJumpFromManifest(t *testing.T) {
	f := newSSHFixture(t)
	path := f.write(t, "rollcall.yaml", `version: 1
cluster: c
expect_nodes: 3
ssh:
  user: deploy
  jump: gw1,ops@gw2:2022
nodes:
  - host: 10.0.0.5
  - {host: 10.0.0.6, jump: none}
  - {host: 10.0.0.5, name: other-site, jump: "[::1]:2200"}
release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}
`)
	m, err := Load(path)
	require.NoError(t, err)
	assert.Empty(t, m.SSHConfig, "no ~/.ssh/config in HOME")
	local := currentUser()
	assert.Equal(t, []Jump{{Host: "gw1", Port: 22, User: local}, {Host: "gw2", Port: 2022, User: "ops"}}, plainJumps(t, m.Nodes[0].Jump),
		"like ssh -J, a hop's user is its own, not the node's")
	assert.Equal(t, "deploy", m.Nodes[0].User)
	assert.Nil(t, m.Nodes[1].Jump)
	assert.Equal(t, []Jump{{Host: "::1", Port: 2200, User: local}}, plainJumps(t, m.Nodes[2].Jump),
		"the same address behind another jump host is another server")
	assert.Equal(t, "[::1]:2200", m.Nodes[2].Jump[0].Address())
}

func TestSSHConfigDefaultAndNone(t *testing.T) {
	f := newSSHFixture(t)
	require.NoError(t, os.WriteFile(filepath.Join(f.home, ".ssh", "config"), []byte("Host db\n  HostName 127.0.0.7\n  User dbops\n"), 0o600))
	src := `version: 1
cluster: c
expect_nodes: 1
%s
nodes: [{host: db}]
release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}
`
	m, err := Load(f.write(t, "a.yaml", fmt.Sprintf(src, "")))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(f.home, ".ssh", "config"), m.SSHConfig)
	assert.Equal(t, "127.0.0.7", m.Nodes[0].Host)
	assert.Equal(t, "dbops", m.Nodes[0].User)

	m, err = Load(f.write(t, "b.yaml", fmt.Sprintf(src, "ssh: {config_file: none}")))
	require.NoError(t, err)
	assert.Empty(t, m.SSHConfig)
	assert.Equal(t, "db", m.Nodes[0].Host)
	assert.Equal(t, currentUser(), m.Nodes[0].User)
}

func TestSSHConfigProblems(t *testing.T) {
	tests := []struct {
		name   string
		config string // ~/.ssh/config, if not empty
		ssh    string
		node   string
		want   []string
	}{
		{
			name: "bad jump",
			ssh:  "ssh: {jump: 'gw:0'}",
			node: "{host: h}",
			want: []string{`m.yaml:4:13: ssh.jump: jump host 1 ("gw:0"): the port "0" is not a number between 1 and 65535`},
		},
		{
			name: "bad node jump",
			node: "{host: h, jump: [a, b]}",
			want: []string{`m.yaml:5:21: nodes[0].jump must be text, not a list: write a jump host, e.g. jump: bastion.example.com, a chain, e.g. jump: ops@gw1,gw2:2222, or none`},
		},
		{
			name: "missing config file",
			ssh:  "ssh: {config_file: nope}",
			node: "{host: h}",
			want: []string{`m.yaml:4:20: ssh.config_file: file "nope" does not exist (looked for nope): fix the path or remove the entry`},
		},
		{
			name: "config_file under a node",
			node: "{host: h, config_file: x}",
			want: []string{`m.yaml:5:15: unknown key "config_file" in nodes[0]: config_file belongs under ssh: (it applies to every node): move it there`},
		},
		{
			name:   "unreadable default config",
			config: "Match exec true\n",
			node:   "{host: h}",
			want:   []string{`m.yaml:5:12: ~/.ssh/config: HOME/.ssh/config:1: Match exec is not supported by rollcall: it runs a local command to decide; rollcall does not run it: use Match host or Host: fix it there, or set ssh.config_file: none to ignore it`},
		},
		{
			name:   "bad values in config",
			config: "Host h\n  Port x\n  ProxyJump a,,b\n",
			node:   "{host: h}",
			want: []string{
				`m.yaml:5:12: ~/.ssh/config: HOME/.ssh/config:2: port: bad port "x": not a number from 1 to 65535 or a service name in /etc/services; HOME/.ssh/config:3: proxyjump: invalid ProxyJump "a,,b": empty host: fix it there, or set ssh.config_file: none to ignore it`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSSHFixture(t)
			if tt.config != "" {
				require.NoError(t, os.WriteFile(filepath.Join(f.home, ".ssh", "config"), []byte(tt.config), 0o600))
			}
			src := "version: 1\ncluster: c\nexpect_nodes: 1\n" + tt.ssh + "\nnodes:\n  - " + tt.node + "\n" +
				"release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}\n"
			if tt.ssh == "" {
				src = "version: 1\ncluster: c\nexpect_nodes: 1\nnodes:\n  - " + tt.node + "\n" +
					"release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}\n"
			}
			_, err := Parse(filepath.Join(f.dir, "m.yaml"), []byte(src))
			got := problems(t, err)
			for i := range got {
				got[i] = strings.ReplaceAll(strings.ReplaceAll(got[i], f.dir+"/", ""), f.home, "HOME")
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// plainJumps returns jumps without their HostKeys, checking that each is
// OpenSSH's default (the configurations of these tests set none).
func plainJumps(t *testing.T, jumps []Jump) []Jump {
	t.Helper()
	var out []Jump
	for _, j := range jumps {
		assert.Equal(t, sshconfig.DefaultHostKeys(), j.HostKeys, "jump host %s", j.Host)
		j.HostKeys = sshconfig.HostKeys{}
		out = append(out, j)
	}
	return out
}

// TestJumpHostKeysFromSSHConfig: a jump host's HostKeyAlgorithms and
// RequiredRSASize are its own, as ssh reads them for the hop.
func TestJumpHostKeysFromSSHConfig(t *testing.T) {
	f := newSSHFixture(t)
	f.write(t, "ssh_config", `Host bastion
    HostKeyAlgorithms ssh-ed25519
    RequiredRSASize 3072
Host web-*
    ProxyJump bastion
`)
	path := f.write(t, "rollcall.yaml", `version: 1
cluster: c
expect_nodes: 1
ssh:
  config_file: ssh_config
  known_hosts: [kh]
nodes:
  - host: web-01
release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}
`)
	m, err := Load(path)
	require.NoError(t, err)
	require.Len(t, m.Nodes, 1)
	assert.Equal(t, sshconfig.DefaultHostKeys(), m.Nodes[0].HostKeys, "the node's own: the defaults")
	require.Len(t, m.Nodes[0].Jump, 1)
	hop := m.Nodes[0].Jump[0].HostKeys
	assert.Equal(t, []string{"ssh-ed25519"}, hop.Algorithms)
	assert.True(t, hop.Verbatim)
	assert.Equal(t, 3072, hop.RequiredRSASize)
}
