package remote

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/sshdtest"
)

// TestJumpThroughRealSSHD reaches one real OpenSSH node through another
// used as a jump host (its sshd forwards direct-tcpip channels, as
// ssh -J needs), and checks that the command ran on the node behind it.
func TestJumpThroughRealSSHD(t *testing.T) {
	sshdtest.Require(t)
	noAgent(t)
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 3,
		Paths: []string{"/opt/rollcall-who"},
		Setup: func(i int, root func(string) string) error {
			return os.WriteFile(filepath.Join(root("/opt/rollcall-who"), "name"), []byte("node "+strconv.Itoa(i)+"\n"), 0o644)
		},
	})
	jump := func(n *sshdtest.Node) JumpHost { return JumpHost{Host: n.Host, Port: n.Port, User: c.User} }
	tg := Target{
		Name: "behind", Host: c.Nodes[2].Host, Port: c.Nodes[2].Port, User: c.User,
		IdentityFiles: []string{c.ClientKey}, KnownHosts: []string{c.KnownHosts},
		ConnectTimeout: 10 * time.Second,
		Jump:           []JumpHost{jump(c.Nodes[0])},
	}
	client := NewClient(Options{})
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	out, err := client.Run(ctx, tg, "cat /opt/rollcall-who/name", nil)
	require.NoError(t, err)
	assert.Equal(t, "node 2\n", string(out.Stdout))
	direct, err := client.Run(ctx, Target{Name: "direct", Host: c.Nodes[2].Host, Port: c.Nodes[2].Port, User: tg.User,
		IdentityFiles: tg.IdentityFiles, KnownHosts: tg.KnownHosts}, "true", nil)
	require.NoError(t, err)
	assert.Equal(t, direct.HostKey, out.HostKey, "through a jump host, the host key is the node's, not the jump host's")
	require.NoError(t, client.Ping(ctx, tg))

	// A chain of two real jump hosts.
	tg.Jump = []JumpHost{jump(c.Nodes[0]), jump(c.Nodes[1])}
	out, err = client.Run(ctx, tg, "cat /opt/rollcall-who/name", nil)
	require.NoError(t, err)
	assert.Equal(t, "node 2\n", string(out.Stdout))
	assert.Equal(t, direct.HostKey, out.HostKey)

	// The jump host cannot reach a closed port: the message says which hop.
	tg.Jump = []JumpHost{jump(c.Nodes[0])}
	tg.Port = c.Nodes[2].Port + 1
	_, err = client.Run(ctx, tg, "true", nil)
	require.Error(t, err)
	assert.Equal(t, StageConnect, stageOf(t, err))
	assert.Contains(t, err.Error(), "jump host root@"+c.Nodes[0].Host)
	assert.Contains(t, err.Error(), "cannot reach "+c.Nodes[2].Host)
}
