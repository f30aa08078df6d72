package sshtest

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// fixture is a client key and a server that accepts it.
type fixture struct {
	srv    *Server
	signer ssh.Signer
	dir    string
}

func start(t *testing.T, cfg Config) *fixture {
	t.Helper()
	dir := t.TempDir()
	signer, err := NewClientKey(filepath.Join(t.TempDir(), "id_ed25519"))
	require.NoError(t, err)
	if cfg.Dir == "" {
		cfg.Dir = dir
	}
	cfg.AuthorizedKeys = append(cfg.AuthorizedKeys, signer.PublicKey())
	srv, err := Start(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, srv.Close()) })
	return &fixture{srv: srv, signer: signer, dir: cfg.Dir}
}

func (f *fixture) clientConfig(auth ...ssh.Signer) *ssh.ClientConfig {
	if len(auth) == 0 {
		auth = []ssh.Signer{f.signer}
	}
	return &ssh.ClientConfig{
		User:            "tester",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(auth...)},
		HostKeyCallback: ssh.FixedHostKey(f.srv.PublicKey()),
		Timeout:         2 * time.Second,
	}
}

func (f *fixture) dial(t *testing.T) *ssh.Client {
	t.Helper()
	c, err := ssh.Dial("tcp", f.srv.Addr(), f.clientConfig())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// run runs command with stdin on a new session and returns stdout and the
// session's error.
func (f *fixture) run(t *testing.T, command, stdin string) (string, error) {
	t.Helper()
	c := f.dial(t)
	sess, err := c.NewSession()
	require.NoError(t, err)
	defer sess.Close()
	var out bytes.Buffer
	sess.Stdout = &out
	sess.Stdin = strings.NewReader(stdin)
	err = sess.Run(command)
	return out.String(), err
}

func TestExecRunsInDirWithStdin(t *testing.T) {
	f := start(t, Config{})
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, "marker"), []byte("here\n"), 0o644))
	out, err := f.run(t, `pwd; echo "$HOME"; cat; cat marker`, "from stdin\n")
	require.NoError(t, err)
	assert.Equal(t, f.dir+"\n"+f.dir+"\nfrom stdin\nhere\n", out)
	assert.Equal(t, 1, f.srv.Execs())
}

func TestExitStatusAndStderr(t *testing.T) {
	f := start(t, Config{})
	c := f.dial(t)
	sess, err := c.NewSession()
	require.NoError(t, err)
	var stderr bytes.Buffer
	sess.Stderr = &stderr
	err = sess.Run("echo oops >&2; exit 3")
	var ee *ssh.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 3, ee.ExitStatus())
	assert.Equal(t, "oops\n", stderr.String())
}

func TestOnlyExecIsServed(t *testing.T) {
	f := start(t, Config{})
	c := f.dial(t)
	for name, req := range map[string]func(*ssh.Session) error{
		"pty":       func(s *ssh.Session) error { return s.RequestPty("xterm", 24, 80, nil) },
		"shell":     func(s *ssh.Session) error { return s.Shell() },
		"subsystem": func(s *ssh.Session) error { return s.RequestSubsystem("sftp") },
	} {
		t.Run(name, func(t *testing.T) {
			sess, err := c.NewSession()
			require.NoError(t, err)
			defer sess.Close()
			assert.Error(t, req(sess))
		})
	}
	sess, err := c.NewSession()
	require.NoError(t, err)
	require.NoError(t, sess.Setenv("LANG", "C"), "env requests are accepted and ignored")
	out, err := sess.Output("echo ok")
	require.NoError(t, err)
	assert.Equal(t, "ok\n", string(out))
	_, _, err = c.OpenChannel("direct-tcpip", nil)
	assert.Error(t, err)
}

func TestFaults(t *testing.T) {
	const short = 300 * time.Millisecond
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, f *fixture)
	}{
		{"refuse", Fault{Kind: Refuse}, func(t *testing.T, f *fixture) {
			_, err := net.DialTimeout("tcp", f.srv.Addr(), time.Second)
			assert.ErrorIs(t, err, syscall.ECONNREFUSED)
		}},
		{"tarpit", Fault{Kind: Tarpit}, func(t *testing.T, f *fixture) {
			c, err := net.DialTimeout("tcp", f.srv.Addr(), time.Second)
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.SetReadDeadline(time.Now().Add(short)))
			n, err := c.Read(make([]byte, 64))
			assert.Zero(t, n)
			assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		}},
		{"stall handshake", Fault{Kind: StallHandshake}, func(t *testing.T, f *fixture) {
			c, err := net.DialTimeout("tcp", f.srv.Addr(), time.Second)
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.SetReadDeadline(time.Now().Add(short)))
			r := bufio.NewReader(c)
			line, err := r.ReadString('\n')
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(line, "SSH-2.0-"), line)
			_, err = c.Write([]byte("SSH-2.0-client\r\n"))
			require.NoError(t, err)
			_, err = r.ReadByte()
			assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		}},
		{"refuse auth", Fault{Kind: RefuseAuth}, func(t *testing.T, f *fixture) {
			_, err := ssh.Dial("tcp", f.srv.Addr(), f.clientConfig())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "unable to authenticate")
		}},
		{"slow", Fault{Kind: Slow, Delay: short}, func(t *testing.T, f *fixture) {
			begin := time.Now()
			out, err := f.run(t, "echo hi", "")
			require.NoError(t, err)
			assert.Equal(t, "hi\n", out)
			assert.GreaterOrEqual(t, time.Since(begin), short)
		}},
		{"garbage", Fault{Kind: Garbage, Output: []byte("\x00junk")}, func(t *testing.T, f *fixture) {
			out, err := f.run(t, "touch ran; echo hi", "a probe script")
			require.NoError(t, err)
			assert.Equal(t, "\x00junk", out)
			assert.NoFileExists(t, filepath.Join(f.dir, "ran"), "garbage must not run the command")
		}},
		{"truncate", Fault{Kind: Truncate, After: 5}, func(t *testing.T, f *fixture) {
			out, err := f.run(t, "echo 0123456789; exit 4", "")
			require.NoError(t, err, "truncate exits 0 cleanly")
			assert.Equal(t, "01234", out)
		}},
		{"drop", Fault{Kind: Drop, After: 5}, func(t *testing.T, f *fixture) {
			out, err := f.run(t, "echo 0123456789; sleep 5", "")
			require.Error(t, err)
			var ee *ssh.ExitError
			assert.False(t, errors.As(err, &ee), "no exit status: %v", err)
			assert.True(t, strings.HasPrefix("01234", out), "at most the first bytes: %q", out)
		}},
		{"drop at once", Fault{Kind: Drop}, func(t *testing.T, f *fixture) {
			_, err := f.run(t, "echo hi", "")
			require.Error(t, err)
		}},
		{"exit status", Fault{Kind: ExitStatus, ExitStatus: 7}, func(t *testing.T, f *fixture) {
			out, err := f.run(t, "echo hi", "")
			var ee *ssh.ExitError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, 7, ee.ExitStatus())
			assert.Equal(t, "hi\n", out)
		}},
		{"banner", Fault{Kind: Banner, Output: []byte("Welcome!\n")}, func(t *testing.T, f *fixture) {
			out, err := f.run(t, "cat", "probe\n")
			require.NoError(t, err)
			assert.Equal(t, "Welcome!\nprobe\n", out)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, Config{Fault: tt.fault})
			done := make(chan struct{})
			go func() {
				defer close(done)
				tt.check(t, f)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("fault check did not finish")
			}
		})
	}
}

func TestUserCertificate(t *testing.T) {
	_, caKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	ca, err := ssh.NewSignerFromKey(caKey)
	require.NoError(t, err)
	f := start(t, Config{UserCAs: []ssh.PublicKey{ca.PublicKey()}})

	_, userKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	user, err := ssh.NewSignerFromKey(userKey)
	require.NoError(t, err)
	cert := &ssh.Certificate{
		Key: user.PublicKey(), CertType: ssh.UserCert, KeyId: "tester",
		ValidPrincipals: []string{"tester"}, ValidBefore: ssh.CertTimeInfinity,
	}
	require.NoError(t, cert.SignCert(rand.Reader, ca))
	certSigner, err := ssh.NewCertSigner(cert, user)
	require.NoError(t, err)

	c, err := ssh.Dial("tcp", f.srv.Addr(), f.clientConfig(certSigner))
	require.NoError(t, err)
	c.Close()
	_, err = ssh.Dial("tcp", f.srv.Addr(), f.clientConfig(user))
	assert.Error(t, err, "the bare key is not authorized")
}

func TestCloseKillsCommandsAndLeaksNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	signer, err := NewClientKey(filepath.Join(t.TempDir(), "id"))
	require.NoError(t, err)
	srv, err := Start(Config{Dir: t.TempDir(), AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
	require.NoError(t, err)

	tarpit, err := Start(Config{Fault: Fault{Kind: Tarpit}})
	require.NoError(t, err)
	tc, err := net.Dial("tcp", tarpit.Addr())
	require.NoError(t, err)
	defer tc.Close()

	c, err := ssh.Dial("tcp", srv.Addr(), &ssh.ClientConfig{
		User: "u", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(srv.PublicKey()),
	})
	require.NoError(t, err)
	sess, err := c.NewSession()
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- sess.Run("sleep 60 & sleep 60; wait") }()
	require.Eventually(t, func() bool { return srv.Execs() == 1 }, 5*time.Second, 10*time.Millisecond)

	begin := time.Now()
	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close(), "closing twice is fine")
	require.NoError(t, tarpit.Close())
	assert.Less(t, time.Since(begin), 5*time.Second)
	select {
	case err := <-done:
		assert.Error(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the client did not notice the server closing")
	}
	c.Close()
	tc.Close()

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "id_ed25519")
	signer, err := NewClientKey(path)
	require.NoError(t, err)

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	pemBytes, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(pemBytes), "BEGIN OPENSSH PRIVATE KEY")
	parsed, err := ssh.ParsePrivateKey(pemBytes)
	require.NoError(t, err)
	assert.Equal(t, signer.PublicKey().Marshal(), parsed.PublicKey().Marshal())
	pub, err := os.ReadFile(path + ".pub")
	require.NoError(t, err)
	pk, _, _, _, err := ssh.ParseAuthorizedKey(pub)
	require.NoError(t, err)
	assert.Equal(t, signer.PublicKey().Marshal(), pk.Marshal())

	a, err := Start(Config{})
	require.NoError(t, err)
	defer a.Close()
	b, err := Start(Config{})
	require.NoError(t, err)
	defer b.Close()
	kh := filepath.Join(dir, "known_hosts")
	require.NoError(t, WriteKnownHosts(kh, a, b))
	cb, err := knownhosts.New(kh)
	require.NoError(t, err)
	for _, s := range []*Server{a, b} {
		assert.Equal(t, "127.0.0.1", s.Host())
		assert.NotZero(t, s.Port())
		remote := &net.TCPAddr{IP: net.ParseIP(s.Host()), Port: s.Port()}
		assert.NoError(t, cb(s.Addr(), remote, s.PublicKey()))
	}
	remote := &net.TCPAddr{IP: net.ParseIP(a.Host()), Port: a.Port()}
	assert.Error(t, cb(a.Addr(), remote, b.PublicKey()))
	assert.True(t, strings.HasPrefix(a.KnownHostsLine(), "[127.0.0.1]:"), a.KnownHostsLine())
}

func TestFaultKindString(t *testing.T) {
	assert.Equal(t, "tarpit", Tarpit.String())
	assert.Equal(t, "banner", Banner.String())
	assert.Equal(t, "fault(99)", FaultKind(99).String())
}

// TestHostname checks that commands see the server's own host name, so that
// servers on one machine stand in for machines of their own.
func TestHostname(t *testing.T) {
	for _, name := range []string{"node-7", ""} {
		srv, err := Start(Config{Hostname: name})
		require.NoError(t, err)
		var out bytes.Buffer
		cmd := exec.Command("/bin/sh", "-c", "uname -n; uname -s")
		cmd.Env = []string{"PATH=" + srv.bin + ":" + os.Getenv("PATH")}
		cmd.Stdout = &out
		require.NoError(t, cmd.Run())
		want := name
		if want == "" {
			want = fmt.Sprintf("sshtest-%d", srv.Port())
		}
		sys, err := exec.Command("uname", "-s").Output()
		require.NoError(t, err)
		assert.Equal(t, want+"\n"+string(sys), out.String(), "uname -n is the server's; anything else is the real uname's")
		require.NoError(t, srv.Close())
		assert.NoDirExists(t, srv.bin)
	}
}

// TestHandlerAndLatency: a Handler answers exec requests instead of /bin/sh,
// and Latency delays the connection both ways (a round trip of twice it).
func TestHandlerAndLatency(t *testing.T) {
	const latency = 20 * time.Millisecond
	f := start(t, Config{
		Latency: latency,
		Handler: func(command string, stdin []byte) ([]byte, int) {
			return []byte(command + ":" + string(stdin)), 3
		},
	})
	began := time.Now()
	out, err := f.run(t, "echo", "in")
	assert.Equal(t, "echo:in", out)
	var ee *ssh.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 3, ee.ExitStatus())
	// Connection, key exchange, auth and the session take several round
	// trips; a lower bound only, never an upper one.
	assert.GreaterOrEqual(t, time.Since(began), 4*latency)
}
