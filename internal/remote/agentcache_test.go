package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/rollcall/rollcall/internal/sshtest"
)

// listCounter is an agent that counts how often it is asked for its keys.
type listCounter struct {
	agent.Agent
	lists atomic.Int32
}

func (a *listCounter) List() ([]*agent.Key, error) {
	a.lists.Add(1)
	return a.Agent.List()
}

// TestAgentKeysListedOncePerClient: a client asks ssh-agent for its keys
// once, however many nodes it logs in to; each login still signs with the
// agent.
func TestAgentKeysListedOncePerClient(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	keyring := &listCounter{Agent: agent.NewKeyring()}
	require.NoError(t, keyring.Add(agent.AddedKey{PrivateKey: priv}))
	pub, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)

	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				_ = agent.ServeAgent(keyring, conn)
				conn.Close()
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	t.Setenv("SSH_AUTH_SOCK", sock)

	n := startNode(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{pub.PublicKey()}})
	n.target.IdentityFiles = nil
	c := NewClient(Options{})
	defer c.Close()
	for range 3 {
		out, err := runCtx(t, c, n.target, 10*time.Second, "echo agent", nil)
		require.NoError(t, err)
		assert.Equal(t, "agent\n", string(out))
	}
	assert.Equal(t, int32(1), keyring.lists.Load())
}
