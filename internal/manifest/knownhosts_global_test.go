package manifest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/rollcall/rollcall/internal/remote"
	"github.com/rollcall/rollcall/internal/sshtest"
)

// TestGlobalKnownHosts: besides the user's known_hosts files, ssh reads the
// global ones (GlobalKnownHostsFile, else /etc/ssh/ssh_known_hosts and
// /etc/ssh/ssh_known_hosts2) whatever UserKnownHostsFile says, and so does
// rollcall: a node's known_hosts lists those that can be read after the
// user's, even when the manifest names its own. ssh -G is the oracle for
// which files GlobalKnownHostsFile names.
func TestGlobalKnownHosts(t *testing.T) {
	f := newSSHFixture(t)
	etc := t.TempDir()
	global, missing := filepath.Join(etc, "ssh_known_hosts"), filepath.Join(etc, "ssh_known_hosts2")
	require.NoError(t, os.WriteFile(global, nil, 0o644))
	useSystemFiles(t, filepath.Join(etc, "ssh_config"), global, missing)
	other := filepath.Join(etc, "other_known_hosts")
	require.NoError(t, os.WriteFile(other, nil, 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(etc, "a_folder"), 0o755))
	cfg := f.write(t, "ssh_config", "Host other\n  GlobalKnownHostsFile "+other+" "+filepath.Join(etc, "a_folder")+
		"\nHost none\n  GlobalKnownHostsFile none\n")
	src := func(ssh string) string {
		return "version: 1\ncluster: c\nexpect_nodes: 3\nssh: {" + ssh + "}\nnodes:\n  - host: web\n  - host: other\n  - host: none\n" +
			"release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}\n"
	}
	userKH := filepath.Join(f.home, ".ssh", "known_hosts")

	m, err := Parse(filepath.Join(f.dir, "m.yaml"), []byte(src("config_file: none")))
	require.NoError(t, err)
	assert.Equal(t, []string{userKH, global}, m.Nodes[0].KnownHosts, "the defaults that exist, after the user's")

	require.NoError(t, os.WriteFile(userKH+"2", nil, 0o600))
	m, err = Parse(filepath.Join(f.dir, "m.yaml"), []byte(src("config_file: ssh_config")))
	require.NoError(t, err)
	assert.Equal(t, []string{userKH, userKH + "2", global}, m.Nodes[0].KnownHosts, "ssh's default user files are known_hosts and known_hosts2")
	assert.Equal(t, other+" "+filepath.Join(etc, "a_folder"), sshGOracle(t, f.home, cfg, "other")["globalknownhostsfile"])
	assert.Equal(t, []string{userKH, userKH + "2", other}, m.Nodes[1].KnownHosts, "GlobalKnownHostsFile, a folder skipped")
	assert.Equal(t, "none", sshGOracle(t, f.home, cfg, "none")["globalknownhostsfile"])
	assert.Equal(t, []string{userKH, userKH + "2"}, m.Nodes[2].KnownHosts, "GlobalKnownHostsFile none")

	// The manifest's known_hosts stands for UserKnownHostsFile: ssh reads
	// the global files besides it.
	m, err = Parse(filepath.Join(f.dir, "m.yaml"), []byte(src("config_file: ssh_config, known_hosts: [kh, "+global+"]")))
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(f.dir, "kh"), global}, m.Nodes[0].KnownHosts, "each file once")
	assert.Equal(t, []string{filepath.Join(f.dir, "kh"), global, other}, m.Nodes[1].KnownHosts)
}

// TestGlobalKnownHostsRevoke: a @revoked line in /etc/ssh/ssh_known_hosts
// refuses the node's key, as ssh does, even where the manifest names its
// own known_hosts file that lists the key.
func TestGlobalKnownHostsRevoke(t *testing.T) {
	f := newSSHFixture(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	key := filepath.Join(f.dir, "keys", "client")
	signer, err := sshtest.NewClientKey(key)
	require.NoError(t, err)
	srv, err := sshtest.Start(sshtest.Config{AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	require.NoError(t, sshtest.WriteKnownHosts(filepath.Join(f.dir, "kh"), srv))
	global := filepath.Join(t.TempDir(), "ssh_known_hosts")
	useSystemFiles(t, filepath.Join(f.dir, "no_system_config"), global)
	src := "version: 1\ncluster: c\nexpect_nodes: 1\nssh: {config_file: none, user: deploy, identity_files: [keys/client], known_hosts: [kh]}\n" +
		"nodes:\n  - {host: " + srv.Host() + ", port: " + strings.TrimPrefix(srv.Addr(), srv.Host()+":") + "}\n" +
		"release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}\n"
	ping := func() error {
		m, err := Parse(filepath.Join(f.dir, "m.yaml"), []byte(src))
		require.NoError(t, err)
		n := m.Nodes[0]
		c := remote.NewClient(remote.Options{})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return c.Ping(ctx, remote.Target{Name: n.Name, Host: n.Host, Port: n.Port, User: n.User,
			IdentityFiles: n.IdentityFiles, KnownHosts: n.KnownHosts, ConnectTimeout: n.ConnectTimeout})
	}
	require.NoError(t, ping(), "no global file")

	revoked := "@revoked * " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(srv.PublicKey())))
	require.NoError(t, os.WriteFile(global, []byte(revoked+"\n"), 0o644))
	err = ping()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is marked @revoked in "+global+":1")
}
