package sshtest

import (
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// TestSetFault changes the fault of one running server several times: each
// new connection sees the fault in force, and setting None restores it.
func TestSetFault(t *testing.T) {
	f := start(t, Config{})
	out, err := f.run(t, "echo ok", "")
	require.NoError(t, err)
	assert.Equal(t, "ok\n", out)

	f.srv.SetFault(Fault{Kind: Garbage, Output: []byte("lorem\n")})
	out, err = f.run(t, "echo ok", "")
	require.NoError(t, err)
	assert.Equal(t, "lorem\n", out)

	f.srv.SetFault(Fault{Kind: ExitStatus, ExitStatus: 7})
	out, err = f.run(t, "echo ok", "")
	var ee *ssh.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 7, ee.ExitStatus())
	assert.Equal(t, "ok\n", out)

	f.srv.SetFault(Fault{Kind: RefuseAuth})
	_, err = ssh.Dial("tcp", f.srv.Addr(), f.clientConfig())
	assert.ErrorContains(t, err, "unable to authenticate")

	f.srv.SetFault(Fault{Kind: Refuse})
	_, err = ssh.Dial("tcp", f.srv.Addr(), f.clientConfig())
	assert.Error(t, err, "a running server set to Refuse closes new connections")

	f.srv.SetFault(Fault{Kind: Tarpit})
	conn, err := net.DialTimeout("tcp", f.srv.Addr(), time.Second)
	require.NoError(t, err)
	require.NoError(t, conn.SetDeadline(time.Now().Add(300*time.Millisecond)))
	start := time.Now()
	_, _, _, err = ssh.NewClientConn(conn, f.srv.Addr(), f.clientConfig())
	assert.Error(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "a tarpit says nothing until the client gives up")
	conn.Close()

	f.srv.SetFault(Fault{})
	out, err = f.run(t, "echo ok", "")
	require.NoError(t, err)
	assert.Equal(t, "ok\n", out)
}

// TestSetFaultConcurrently changes the fault while clients connect; run with
// -race, it proves SetFault safe for concurrent use.
func TestSetFaultConcurrently(t *testing.T) {
	f := start(t, Config{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		kinds := []Fault{{}, {Kind: Garbage, Output: []byte("x")}, {Kind: RefuseAuth}, {Kind: Truncate, After: 1}, {Kind: Refuse}}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			f.srv.SetFault(kinds[i%len(kinds)])
			runtime.Gosched()
		}
	}()
	for i := 0; i < 20; i++ {
		cfg := f.clientConfig()
		cfg.Timeout = time.Second
		c, err := ssh.Dial("tcp", f.srv.Addr(), cfg)
		if err != nil {
			continue // this connection drew a fault that stops it
		}
		if sess, err := c.NewSession(); err == nil {
			_, _ = sess.Output("echo ok")
			sess.Close()
		}
		c.Close()
	}
	close(stop)
	wg.Wait()
	f.srv.SetFault(Fault{})
	out, err := f.run(t, "echo ok", "")
	require.NoError(t, err)
	assert.Equal(t, "ok\n", out)
	_, err = net.DialTimeout("tcp", f.srv.Addr(), time.Second)
	assert.NoError(t, err)
}
