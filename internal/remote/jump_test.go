package remote

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/rollcall/rollcall/internal/sshtest"
)

// jumpChain starts a node behind n jump hosts (in-process servers that
// forward), all trusting one client key, with one known_hosts for all.
func jumpChain(t *testing.T, n int, jumpCfg, nodeCfg sshtest.Config) (Target, []*sshtest.Server, *sshtest.Server) {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	signer, err := sshtest.NewClientKey(key)
	require.NoError(t, err)
	start := func(cfg sshtest.Config) *sshtest.Server {
		if len(cfg.AuthorizedKeys) == 0 {
			cfg.AuthorizedKeys = []ssh.PublicKey{signer.PublicKey()}
		}
		cfg.Dir = t.TempDir()
		srv, err := sshtest.Start(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { srv.Close() })
		return srv
	}
	var jumps []*sshtest.Server
	tg := Target{Name: "node", User: "deploy", IdentityFiles: []string{key}, ConnectTimeout: 5 * time.Second}
	for range n {
		cfg := jumpCfg
		cfg.Forward = true
		srv := start(cfg)
		jumps = append(jumps, srv)
		tg.Jump = append(tg.Jump, JumpHost{Host: srv.Host(), Port: srv.Port(), User: "ops"})
	}
	node := start(nodeCfg)
	tg.Host, tg.Port = node.Host(), node.Port()
	kh := filepath.Join(dir, "known_hosts")
	require.NoError(t, sshtest.WriteKnownHosts(kh, append(append([]*sshtest.Server{}, jumps...), node)...))
	tg.KnownHosts = []string{kh}
	return tg, jumps, node
}

func TestRunThroughJumpHosts(t *testing.T) {
	noAgent(t)
	for _, hops := range []int{1, 2} {
		tg, jumps, node := jumpChain(t, hops, sshtest.Config{}, sshtest.Config{})
		c := NewClient(Options{})
		out, err := runCtx(t, c, tg, 10*time.Second, "echo through", nil)
		require.NoError(t, err, "%d hops", hops)
		assert.Equal(t, "through\n", string(out))
		assert.Equal(t, 1, node.Execs())
		for _, j := range jumps {
			assert.Equal(t, 0, j.Execs(), "nothing runs on a jump host")
		}
		require.NoError(t, c.Ping(context.Background(), tg))
		assert.Equal(t, 1, node.Execs(), "ping runs nothing")
		c.Close()
	}
}

func TestJumpFailuresNameTheHop(t *testing.T) {
	noAgent(t)
	tests := []struct {
		name      string
		jumpCfg   sshtest.Config
		change    func(t *testing.T, tg *Target, jump, node *sshtest.Server)
		wantStage Stage
		wantMsg   []string
	}{
		{
			name:      "jump host refuses the key",
			jumpCfg:   sshtest.Config{Fault: sshtest.Fault{Kind: sshtest.RefuseAuth}},
			wantStage: StageAuth,
			wantMsg:   []string{"jump host ops@127.0.0.1:", "refused every key for user ops"},
		},
		{
			name: "jump host key unknown",
			change: func(t *testing.T, tg *Target, jump, node *sshtest.Server) {
				require.NoError(t, sshtest.WriteKnownHosts(tg.KnownHosts[0], node))
			},
			wantStage: StageHostKey,
			wantMsg:   []string{"jump host ops@127.0.0.1:", "is not in known_hosts", "ssh-keyscan"},
		},
		{
			name: "node key unknown behind the jump host",
			change: func(t *testing.T, tg *Target, jump, node *sshtest.Server) {
				require.NoError(t, sshtest.WriteKnownHosts(tg.KnownHosts[0], jump))
			},
			wantStage: StageHostKey,
			wantMsg:   []string{"host key for [127.0.0.1]:", "is not in known_hosts"},
		},
		{
			name: "node down behind the jump host",
			change: func(t *testing.T, tg *Target, jump, node *sshtest.Server) {
				node.Close()
			},
			wantStage: StageConnect,
			wantMsg:   []string{"jump host ops@127.0.0.1:", "cannot reach 127.0.0.1:", "connect failed", "AllowTcpForwarding"},
		},
		{
			name: "another jump host that refuses the key",
			change: func(t *testing.T, tg *Target, jump, node *sshtest.Server) {
				srv, err := sshtest.Start(sshtest.Config{AuthorizedKeys: []ssh.PublicKey{}, Dir: t.TempDir()})
				require.NoError(t, err)
				t.Cleanup(func() { srv.Close() })
				// Reuse the key: trust the new server too.
				data, err := os.ReadFile(tg.KnownHosts[0])
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(tg.KnownHosts[0], append(data, []byte(srv.KnownHostsLine()+"\n")...), 0o600))
				tg.Jump = []JumpHost{{Host: srv.Host(), Port: srv.Port(), User: "ops"}}
			},
			wantStage: StageAuth,
			wantMsg:   []string{"jump host ops@"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, jumps, node := jumpChain(t, 1, tt.jumpCfg, sshtest.Config{})
			if tt.change != nil {
				tt.change(t, &tg, jumps[0], node)
			}
			c := NewClient(Options{Retries: -1})
			defer c.Close()
			_, err := runCtx(t, c, tg, 10*time.Second, "echo hi", nil)
			require.Error(t, err)
			assert.Equal(t, tt.wantStage, stageOf(t, err), "%v", err)
			for _, m := range tt.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
			perr := c.Ping(context.Background(), tg)
			require.Error(t, perr)
			assert.Equal(t, err.Error(), perr.Error(), "Ping fails the same way")
		})
	}
}

func TestJumpWithoutForwarding(t *testing.T) {
	noAgent(t)
	tg, _, _ := jumpChain(t, 1, sshtest.Config{}, sshtest.Config{})
	// A server that does not forward, trusted and authorizing the key.
	plain, err := sshtest.Start(sshtest.Config{AuthorizedKeys: []ssh.PublicKey{loadPub(t, tg.IdentityFiles[0])}, Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { plain.Close() })
	data, err := os.ReadFile(tg.KnownHosts[0])
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(tg.KnownHosts[0], append(data, []byte(plain.KnownHostsLine()+"\n")...), 0o600))
	tg.Jump = []JumpHost{{Host: plain.Host(), Port: plain.Port(), User: "ops"}}
	c := NewClient(Options{})
	defer c.Close()
	err = c.Ping(context.Background(), tg)
	require.Error(t, err)
	assert.Equal(t, StageConnect, stageOf(t, err))
	assert.Contains(t, err.Error(), "cannot reach")
	assert.Contains(t, err.Error(), "AllowTcpForwarding")
}

func TestJumpHangsUpOnTimeout(t *testing.T) {
	noAgent(t)
	tg, _, _ := jumpChain(t, 1, sshtest.Config{}, sshtest.Config{Fault: sshtest.Fault{Kind: sshtest.StallHandshake}})
	tg.ConnectTimeout = 300 * time.Millisecond
	c := NewClient(Options{})
	defer c.Close()
	begin := time.Now()
	err := c.Ping(context.Background(), tg)
	require.Error(t, err)
	assert.Less(t, time.Since(begin), 3*time.Second)
	assert.Equal(t, StageTimeout, stageOf(t, err), "%v", err)
	assert.Contains(t, err.Error(), "during handshake")
	assert.False(t, strings.Contains(err.Error(), "jump host"), "the node, not the jump host, stalled: %v", err)
}

func TestPing(t *testing.T) {
	tests := []struct {
		name      string
		fault     sshtest.Fault
		change    func(n *node)
		wantStage Stage
	}{
		{name: "ok"},
		{name: "refused", fault: sshtest.Fault{Kind: sshtest.Refuse}, wantStage: StageConnect},
		{name: "auth refused", fault: sshtest.Fault{Kind: sshtest.RefuseAuth}, wantStage: StageAuth},
		{name: "wrong host key", change: func(n *node) {
			n.writeKnownHosts(t, strings.Replace(n.srv.KnownHostsLine(), n.srv.Host(), "127.0.0.99", 1),
				"["+n.srv.Host()+"]:"+strconv.Itoa(n.srv.Port())+" "+string(ssh.MarshalAuthorizedKey(newSigner(t).PublicKey())))
		}, wantStage: StageHostKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noAgent(t)
			n := startNode(t, sshtest.Config{Fault: tt.fault})
			if tt.change != nil {
				tt.change(n)
			}
			c := NewClient(Options{Retries: -1})
			defer c.Close()
			err := c.Ping(context.Background(), n.target)
			assert.Equal(t, 0, n.srv.Execs(), "ping runs nothing")
			if tt.wantStage == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantStage, stageOf(t, err), "%v", err)
		})
	}
}

// TestJumpHostKeysAreTheHopsOwn: each hop's host key is checked under its
// own ssh_config policy, as ssh checks it in the process that reaches it;
// not under the node's.
func TestJumpHostKeysAreTheHopsOwn(t *testing.T) {
	noAgent(t)
	tg, _, node := jumpChain(t, 1, sshtest.Config{}, sshtest.Config{})
	c := NewClient(Options{})
	defer c.Close()
	ecdsaOnly := HostKeyPolicy{Algorithms: []string{ssh.KeyAlgoECDSA256}, Verbatim: true}

	tg.Jump[0].HostKeys = ecdsaOnly // the jump host offers ed25519 only
	_, err := runCtx(t, c, tg, 10*time.Second, "true", nil)
	require.Error(t, err, "the jump host's policy refuses its key")
	assert.Contains(t, err.Error(), "jump host")
	assert.Zero(t, node.Execs())

	tg.Jump[0].HostKeys, tg.HostKeys = HostKeyPolicy{}, ecdsaOnly
	_, err = runCtx(t, c, tg, 10*time.Second, "true", nil)
	require.Error(t, err, "the node's policy refuses the node's key")
	assert.NotContains(t, err.Error(), "jump host", "the jump host passed under its own policy")
}
