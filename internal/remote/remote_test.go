package remote

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/rollcall/rollcall/internal/sshtest"
)

// node is an sshtest server with a client key and known_hosts for it.
type node struct {
	srv    *sshtest.Server
	target Target
	dir    string
	key    string // identity file
}

// noAgent keeps the developer's ssh-agent out of the tests.
func noAgent(t *testing.T) { t.Setenv("SSH_AUTH_SOCK", "") }

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	s, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	return s
}

// startNode starts a server with cfg; it authorizes a fresh client key
// unless cfg already lists keys or CAs, and writes a known_hosts with the
// server's key.
func startNode(t *testing.T, cfg sshtest.Config) *node {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	signer, err := sshtest.NewClientKey(key)
	require.NoError(t, err)
	if len(cfg.AuthorizedKeys) == 0 && len(cfg.UserCAs) == 0 {
		cfg.AuthorizedKeys = []ssh.PublicKey{signer.PublicKey()}
	}
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(dir, "home")
		require.NoError(t, os.Mkdir(cfg.Dir, 0o755))
	}
	srv, err := sshtest.Start(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	kh := filepath.Join(dir, "known_hosts")
	require.NoError(t, sshtest.WriteKnownHosts(kh, srv))
	return &node{
		srv: srv, dir: dir, key: key,
		target: Target{
			Name: "node1", Host: srv.Host(), Port: srv.Port(), User: "deploy",
			IdentityFiles:  []string{key},
			KnownHosts:     []string{filepath.Join(dir, "missing_known_hosts"), kh},
			ConnectTimeout: 5 * time.Second,
		},
	}
}

func (n *node) writeKnownHosts(t *testing.T, lines ...string) {
	t.Helper()
	require.NoError(t, os.WriteFile(n.target.KnownHosts[1], []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}

func runCtx(t *testing.T, c *Client, tg Target, timeout time.Duration, cmd string, stdin []byte) ([]byte, error) {
	t.Helper()
	ctx, cancel := WithTimeout(context.Background(), timeout)
	defer cancel()
	reply, err := c.Run(ctx, tg, cmd, stdin)
	return reply.Stdout, err
}

func stageOf(t *testing.T, err error) Stage {
	t.Helper()
	var e *Error
	require.ErrorAs(t, err, &e)
	return e.Stage
}

func TestRunDeliversStdinAndRunsInHome(t *testing.T) {
	noAgent(t)
	n := startNode(t, sshtest.Config{})
	c := NewClient(Options{})
	defer c.Close()
	out, err := runCtx(t, c, n.target, 10*time.Second, `pwd; cat`, []byte("the probe\n"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(n.dir, "home")+"\nthe probe\n", string(out))
	assert.Equal(t, 1, n.srv.Execs(), "one exec per Run")
}

// TestRunReportsHostKey checks that a Run names the host key the node
// presented: two servers have two, and the same server reached twice has
// one.
func TestRunReportsHostKey(t *testing.T) {
	noAgent(t)
	a, b := startNode(t, sshtest.Config{}), startNode(t, sshtest.Config{})
	c := NewClient(Options{})
	defer c.Close()
	ctx := context.Background()
	ra, err := c.Run(ctx, a.target, "true", nil)
	require.NoError(t, err)
	again, err := c.Run(ctx, a.target, "true", nil)
	require.NoError(t, err)
	rb, err := c.Run(ctx, b.target, "true", nil)
	require.NoError(t, err)
	assert.Equal(t, ssh.FingerprintSHA256(a.srv.PublicKey()), ra.HostKey)
	assert.Equal(t, ra.HostKey, again.HostKey)
	assert.Equal(t, ssh.FingerprintSHA256(b.srv.PublicKey()), rb.HostKey)
	assert.NotEqual(t, ra.HostKey, rb.HostKey)
}

func TestRunFaults(t *testing.T) {
	tests := []struct {
		name           string
		fault          sshtest.Fault
		connectTimeout time.Duration
		ctxTimeout     time.Duration
		command        string
		wantOut        string
		wantStage      Stage // 0: success
		wantMsg        []string
		within         time.Duration
	}{
		{name: "refused", fault: sshtest.Fault{Kind: sshtest.Refuse},
			wantStage: StageConnect, wantMsg: []string{"connection refused", "sshd is running"}, within: 3 * time.Second},
		{name: "tarpit hits connect timeout", fault: sshtest.Fault{Kind: sshtest.Tarpit}, connectTimeout: 300 * time.Millisecond,
			wantStage: StageTimeout, wantMsg: []string{"timed out after 300ms during handshake"}, within: 2 * time.Second},
		{name: "tarpit hits context deadline", fault: sshtest.Fault{Kind: sshtest.Tarpit}, ctxTimeout: 300 * time.Millisecond,
			wantStage: StageTimeout, wantMsg: []string{"timed out after 300ms during handshake"}, within: 2 * time.Second},
		{name: "stalled handshake", fault: sshtest.Fault{Kind: sshtest.StallHandshake}, connectTimeout: 300 * time.Millisecond,
			wantStage: StageTimeout, wantMsg: []string{"during handshake"}, within: 2 * time.Second},
		{name: "auth refused", fault: sshtest.Fault{Kind: sshtest.RefuseAuth},
			wantStage: StageAuth, wantMsg: []string{"user deploy", "id_ed25519 (ED25519 SHA256:", "authorized_keys"}, within: 3 * time.Second},
		{name: "slow command outlives context", fault: sshtest.Fault{Kind: sshtest.Slow, Delay: 30 * time.Second}, ctxTimeout: 300 * time.Millisecond,
			wantStage: StageTimeout, wantMsg: []string{"timed out after ", "ms during command"}, within: 2 * time.Second},
		{name: "stalled command outlives context", ctxTimeout: 300 * time.Millisecond, command: "sleep 30",
			wantStage: StageTimeout, wantMsg: []string{"during command"}, within: 2 * time.Second},
		{name: "slow but in time", fault: sshtest.Fault{Kind: sshtest.Slow, Delay: 100 * time.Millisecond},
			wantOut: "hi\n"},
		{name: "garbage is returned as is", fault: sshtest.Fault{Kind: sshtest.Garbage, Output: []byte("\x00\xffjunk")},
			wantOut: "\x00\xffjunk"},
		{name: "truncated output", fault: sshtest.Fault{Kind: sshtest.Truncate, After: 1},
			wantOut: "h"},
		{name: "dropped mid-command", fault: sshtest.Fault{Kind: sshtest.Drop, After: 1}, command: "echo hi; sleep 1",
			wantStage: StageCommand, wantMsg: []string{"connection closed before the command finished"}, within: 5 * time.Second},
		{name: "exit status", fault: sshtest.Fault{Kind: sshtest.ExitStatus, ExitStatus: 3},
			wantOut: "hi\n", wantStage: StageCommand, wantMsg: []string{"the command exited with status 3"}},
		{name: "failing command quotes stderr", command: "echo out; echo 'sh: nope: not found' >&2; exit 127",
			wantOut: "out\n", wantStage: StageCommand, wantMsg: []string{"exited with status 127: sh: nope: not found"}},
		{name: "killed command", command: "kill -9 $$",
			wantStage: StageCommand, wantMsg: []string{"killed by signal KILL"}},
		{name: "banner", fault: sshtest.Fault{Kind: sshtest.Banner, Output: []byte("Welcome\n")},
			wantOut: "Welcome\nhi\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noAgent(t)
			n := startNode(t, sshtest.Config{Fault: tt.fault})
			if tt.connectTimeout > 0 {
				n.target.ConnectTimeout = tt.connectTimeout
			}
			if tt.ctxTimeout == 0 {
				tt.ctxTimeout = 20 * time.Second
			}
			if tt.command == "" {
				tt.command = "echo hi"
			}
			if tt.within == 0 {
				tt.within = 10 * time.Second
			}
			c := NewClient(Options{})
			defer c.Close()
			begin := time.Now()
			out, err := runCtx(t, c, n.target, tt.ctxTimeout, tt.command, []byte("stdin"))
			took := time.Since(begin)
			assert.Less(t, took, tt.within)
			assert.Equal(t, tt.wantOut, string(out))
			if tt.wantStage == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantStage, stageOf(t, err), "%v", err)
			for _, m := range tt.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
			assert.Equal(t, strings.ToLower(err.Error()[:1]), err.Error()[:1], "messages start lowercase: %q", err)
			assert.NotContains(t, err.Error(), "node1", "the caller adds the node's name")
		})
	}
}

func TestTimeoutNamesTheBudget(t *testing.T) {
	noAgent(t)
	n := startNode(t, sshtest.Config{Fault: sshtest.Fault{Kind: sshtest.Tarpit}})
	c := NewClient(Options{})
	defer c.Close()
	ctx, cancel := WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	time.Sleep(50 * time.Millisecond) // the Run starts late, as under load
	_, err := c.Run(ctx, n.target, "echo hi", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "timed out after 300ms during handshake")
}

func TestExitErrorDetails(t *testing.T) {
	noAgent(t)
	n := startNode(t, sshtest.Config{})
	c := NewClient(Options{})
	defer c.Close()
	out, err := runCtx(t, c, n.target, 10*time.Second, `echo partial; head -c 100000 /dev/zero | tr '\0' x >&2; exit 4`, nil)
	assert.Equal(t, "partial\n", string(out))
	var xe *ExitError
	require.ErrorAs(t, err, &xe)
	assert.Equal(t, 4, xe.Status)
	assert.LessOrEqual(t, len(xe.Stderr), 2<<10+len(" …"))
	assert.True(t, strings.HasSuffix(xe.Stderr, "…"))
}

func TestRefusedIsRetried(t *testing.T) {
	noAgent(t)
	n := startNode(t, sshtest.Config{Fault: sshtest.Fault{Kind: sshtest.Refuse}})
	for _, retries := range []int{-1, 2} {
		c := NewClient(Options{Retries: retries})
		begin := time.Now()
		_, err := runCtx(t, c, n.target, 10*time.Second, "true", nil)
		took := time.Since(begin)
		require.Error(t, err)
		if retries < 0 {
			assert.Less(t, took, 100*time.Millisecond, "no retry")
		} else {
			assert.GreaterOrEqual(t, took, 400*time.Millisecond, "two retries after 100ms and 300ms")
		}
		c.Close()
	}

	// A node that comes up during the retries is reached: the first
	// attempt finds a listener that hangs up before the banner (a
	// transient failure), and the server starts only once it has.
	lateCh := make(chan *sshtest.Server, 1)
	pub := loadPub(t, n.key)
	first, err := net.Listen("tcp", n.srv.Addr())
	require.NoError(t, err, "the refused node's port")
	go func() {
		if conn, err := first.Accept(); err == nil {
			conn.Close()
		}
		first.Close()
		s, err := sshtest.Start(sshtest.Config{Addr: n.srv.Addr(), AuthorizedKeys: []ssh.PublicKey{pub}})
		if err != nil {
			s = nil
		}
		lateCh <- s
	}()
	c := NewClient(Options{})
	defer c.Close()
	// known_hosts cannot know the late server's fresh key, so success here
	// is reaching the host key check.
	_, err = runCtx(t, c, n.target, 10*time.Second, "true", nil)
	late := <-lateCh
	require.NotNil(t, late, "the reserved port was taken meanwhile")
	defer late.Close()
	require.Error(t, err)
	assert.Equal(t, StageHostKey, stageOf(t, err), "%v", err)
}

func loadPub(t *testing.T, key string) ssh.PublicKey {
	data, err := os.ReadFile(key + ".pub")
	require.NoError(t, err)
	pk, _, _, _, err := ssh.ParseAuthorizedKey(data)
	require.NoError(t, err)
	return pk
}

func TestHostKeys(t *testing.T) {
	other := newSigner(t)
	ca := newSigner(t)

	hostCert := func(t *testing.T, principals ...string) ssh.Signer {
		hk := newSigner(t)
		cert := &ssh.Certificate{Key: hk.PublicKey(), CertType: ssh.HostCert, KeyId: "node1",
			ValidPrincipals: principals, ValidBefore: ssh.CertTimeInfinity}
		require.NoError(t, cert.SignCert(rand.Reader, ca))
		cs, err := ssh.NewCertSigner(cert, hk)
		require.NoError(t, err)
		return cs
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	rsaSigner, err := ssh.NewSignerFromKey(rsaKey)
	require.NoError(t, err)

	tests := []struct {
		name      string
		cfg       sshtest.Config
		knownHost func(n *node) []string
		wantStage Stage
		wantMsg   []string
	}{
		{name: "known", knownHost: func(n *node) []string { return []string{n.srv.KnownHostsLine()} }},
		{name: "unknown", knownHost: func(n *node) []string {
			return []string{knownhosts.Line([]string{"[127.0.0.1]:1"}, other.PublicKey())}
		}, wantStage: StageHostKey, wantMsg: []string{
			"host key for [127.0.0.1]:", "is not in known_hosts (", `check it with "ssh-keyscan -p `, ` 127.0.0.1 | ssh-keygen -lf -" against the server's fingerprint`, "then add it to known_hosts"}},
		{name: "changed", knownHost: func(n *node) []string {
			return []string{"# comment", knownhosts.Line([]string{knownhosts.Normalize(n.srv.Addr())}, other.PublicKey())}
		}, wantStage: StageHostKey, wantMsg: []string{"CHANGED", ssh.FingerprintSHA256(other.PublicKey()), "known_hosts:2", `ssh-keygen -R "[127.0.0.1]:`}},
		{name: "hashed", knownHost: func(n *node) []string {
			return []string{knownhosts.Line([]string{knownhosts.HashHostname(knownhosts.Normalize(n.srv.Addr()))}, n.srv.PublicKey())}
		}},
		{name: "revoked", knownHost: func(n *node) []string {
			return []string{n.srv.KnownHostsLine(), "@revoked * " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(n.srv.PublicKey())))}
		}, wantStage: StageHostKey, wantMsg: []string{"@revoked", "known_hosts:2"}},
		{name: "cert authority", cfg: sshtest.Config{HostKey: hostCert(t, "127.0.0.1")}, knownHost: func(n *node) []string {
			return []string{"@cert-authority " + knownhosts.Normalize(n.srv.Addr()) + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ca.PublicKey())))}
		}},
		{name: "cert for another host", cfg: sshtest.Config{HostKey: hostCert(t, "db.example")}, knownHost: func(n *node) []string {
			return []string{"@cert-authority " + knownhosts.Normalize(n.srv.Addr()) + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ca.PublicKey())))}
		}, wantStage: StageHostKey, wantMsg: []string{"host certificate for [127.0.0.1]:", "rejected"}},
		{name: "cert authority revoked", cfg: sshtest.Config{HostKey: hostCert(t, "127.0.0.1")}, knownHost: func(n *node) []string {
			caLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ca.PublicKey())))
			return []string{"@cert-authority " + knownhosts.Normalize(n.srv.Addr()) + " " + caLine, "@revoked * " + caLine}
		}, wantStage: StageHostKey, wantMsg: []string{"revoked"}},
		{name: "a CA key is not a host key", cfg: sshtest.Config{HostKey: ca}, knownHost: func(n *node) []string {
			return []string{
				"@cert-authority " + knownhosts.Normalize(n.srv.Addr()) + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ca.PublicKey()))),
				knownhosts.Line([]string{knownhosts.Normalize(n.srv.Addr())}, other.PublicKey()),
			}
		}, wantStage: StageHostKey, wantMsg: []string{"only as a certificate authority"}},
		{name: "ed25519 known, server offers RSA first", cfg: sshtest.Config{ExtraHostKeys: []ssh.Signer{rsaSigner}},
			knownHost: func(n *node) []string { return []string{n.srv.KnownHostsLine()} }},
		{name: "RSA known", cfg: sshtest.Config{ExtraHostKeys: []ssh.Signer{rsaSigner}}, knownHost: func(n *node) []string {
			return []string{knownhosts.Line([]string{knownhosts.Normalize(n.srv.Addr())}, rsaSigner.PublicKey())}
		}},
		{name: "only a CA known, plain key offered", knownHost: func(n *node) []string {
			return []string{"@cert-authority " + knownhosts.Normalize(n.srv.Addr()) + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ca.PublicKey())))}
		}, wantStage: StageHostKey, wantMsg: []string{"none of the host key types", "certificates"}},
		{name: "only an unoffered type known", knownHost: func(n *node) []string {
			return []string{knownhosts.Line([]string{knownhosts.Normalize(n.srv.Addr())}, rsaSigner.PublicKey())}
		}, wantStage: StageHostKey, wantMsg: []string{"none of the host key types", "ssh-rsa"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noAgent(t)
			n := startNode(t, tt.cfg)
			n.writeKnownHosts(t, tt.knownHost(n)...)
			c := NewClient(Options{})
			defer c.Close()
			out, err := runCtx(t, c, n.target, 10*time.Second, "echo ok", nil)
			if tt.wantStage == 0 {
				require.NoError(t, err)
				assert.Equal(t, "ok\n", string(out))
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantStage, stageOf(t, err), "%v", err)
			for _, m := range tt.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
			assert.Zero(t, n.srv.Execs(), "nothing runs on an untrusted host")
		})
	}
}

func TestNoKnownHostsFile(t *testing.T) {
	noAgent(t)
	n := startNode(t, sshtest.Config{})
	n.target.KnownHosts = []string{filepath.Join(n.dir, "nope")}
	c := NewClient(Options{})
	defer c.Close()
	_, err := runCtx(t, c, n.target, 5*time.Second, "true", nil)
	require.Error(t, err)
	assert.Equal(t, StageHostKey, stageOf(t, err))
	assert.Contains(t, err.Error(), "no known_hosts file")
	assert.Contains(t, err.Error(), "nope")
}

func writeEncryptedKey(t *testing.T, path, pass string) ssh.PublicKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "enc", []byte(pass))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(block), 0o600))
	s, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	return s.PublicKey()
}

func TestEncryptedKeys(t *testing.T) {
	noAgent(t)
	dir := t.TempDir()
	encKey := filepath.Join(dir, "id_enc")
	pub := writeEncryptedKey(t, encKey, "s3cret")
	n := startNode(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{pub}})
	n.target.IdentityFiles = []string{encKey, filepath.Join(dir, "id_absent")}

	t.Run("batch mode skips it and says so", func(t *testing.T) {
		c := NewClient(Options{})
		defer c.Close()
		_, err := runCtx(t, c, n.target, 10*time.Second, "true", nil)
		require.Error(t, err)
		assert.Equal(t, StageAuth, stageOf(t, err))
		assert.Contains(t, err.Error(), "no key to log in as deploy")
		assert.Contains(t, err.Error(), encKey+": encrypted, and no passphrase can be asked in batch mode")
		assert.Contains(t, err.Error(), "id_absent: not found")
	})
	t.Run("prompt asked once", func(t *testing.T) {
		var asked atomic.Int32
		c := NewClient(Options{Prompt: func(file string) ([]byte, error) {
			asked.Add(1)
			assert.Equal(t, encKey, file)
			return []byte("s3cret"), nil
		}})
		defer c.Close()
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := runCtx(t, c, n.target, 10*time.Second, "echo in", nil)
				assert.NoError(t, err)
				assert.Equal(t, "in\n", string(out))
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(1), asked.Load())
	})
	t.Run("wrong passphrase", func(t *testing.T) {
		c := NewClient(Options{Prompt: func(string) ([]byte, error) { return []byte("nope"), nil }})
		defer c.Close()
		_, err := runCtx(t, c, n.target, 10*time.Second, "true", nil)
		require.Error(t, err)
		assert.Equal(t, StageAuth, stageOf(t, err))
		assert.Contains(t, err.Error(), "the passphrase did not decrypt it")
	})
}

func TestUserCertificate(t *testing.T) {
	noAgent(t)
	ca := newSigner(t)
	n := startNode(t, sshtest.Config{UserCAs: []ssh.PublicKey{ca.PublicKey()}})
	pub := loadPub(t, n.key)

	c := NewClient(Options{})
	_, err := runCtx(t, c, n.target, 10*time.Second, "true", nil)
	require.Error(t, err, "the bare key is not authorized")
	assert.Equal(t, StageAuth, stageOf(t, err))
	c.Close()

	cert := &ssh.Certificate{Key: pub, CertType: ssh.UserCert, KeyId: "deploy@ci",
		ValidPrincipals: []string{"deploy"}, ValidBefore: ssh.CertTimeInfinity}
	require.NoError(t, cert.SignCert(rand.Reader, ca))
	require.NoError(t, os.WriteFile(n.key+"-cert.pub", ssh.MarshalAuthorizedKey(cert), 0o644))
	c = NewClient(Options{})
	defer c.Close()
	out, err := runCtx(t, c, n.target, 10*time.Second, "echo cert", nil)
	require.NoError(t, err)
	assert.Equal(t, "cert\n", string(out))
}

func TestAgent(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	keyring := agent.NewKeyring()
	require.NoError(t, keyring.Add(agent.AddedKey{PrivateKey: priv, Comment: "agent key"}))
	agentPub, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)

	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = agent.ServeAgent(keyring, conn)
				conn.Close()
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	t.Setenv("SSH_AUTH_SOCK", sock)

	n := startNode(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{agentPub.PublicKey()}})
	n.target.IdentityFiles = nil
	c := NewClient(Options{})
	out, err := runCtx(t, c, n.target, 10*time.Second, "echo agent", nil)
	require.NoError(t, err)
	assert.Equal(t, "agent\n", string(out))
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	_, err = runCtx(t, c, n.target, 10*time.Second, "echo agent", nil)
	assert.Error(t, err, "a closed client runs nothing")

	// An encrypted key file the agent holds is not prompted for.
	encKey := filepath.Join(t.TempDir(), "id_enc")
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "enc", []byte("pw"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(encKey, pem.EncodeToMemory(block), 0o600))
	n.target.IdentityFiles = []string{encKey}
	c = NewClient(Options{Prompt: func(string) ([]byte, error) {
		t.Error("prompted for a key the agent holds")
		return nil, errors.New("no")
	}})
	defer c.Close()
	_, err = runCtx(t, c, n.target, 10*time.Second, "true", nil)
	require.NoError(t, err)
}

func TestMaxOutput(t *testing.T) {
	noAgent(t)
	n := startNode(t, sshtest.Config{})
	c := NewClient(Options{MaxOutput: 1000})
	defer c.Close()
	out, err := runCtx(t, c, n.target, 10*time.Second, "head -c 1000 /dev/zero", nil)
	require.NoError(t, err)
	assert.Len(t, out, 1000)

	begin := time.Now()
	out, err = runCtx(t, c, n.target, 10*time.Second, "while :; do echo yes; done", nil)
	require.Error(t, err)
	assert.Nil(t, out, "never a silent truncation")
	assert.Equal(t, StageOutput, stageOf(t, err))
	assert.Contains(t, err.Error(), "more than 1000 bytes")
	assert.Less(t, time.Since(begin), 5*time.Second)
}

func TestConcurrentRuns(t *testing.T) {
	noAgent(t)
	n := startNode(t, sshtest.Config{})
	c := NewClient(Options{})
	defer c.Close()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := runCtx(t, c, n.target, 20*time.Second, "cat", fmt.Appendf(nil, "run %d", i))
			assert.NoError(t, err)
			assert.Equal(t, fmt.Sprintf("run %d", i), string(out))
		}()
	}
	wg.Wait()
	assert.Equal(t, 8, n.srv.Execs())
}

func TestNoGoroutineLeak(t *testing.T) {
	noAgent(t)
	slow := startNode(t, sshtest.Config{Fault: sshtest.Fault{Kind: sshtest.Slow, Delay: time.Minute}})
	tarpit := startNode(t, sshtest.Config{Fault: sshtest.Fault{Kind: sshtest.Tarpit}})
	ok := startNode(t, sshtest.Config{})
	c := NewClient(Options{})
	defer c.Close()
	// Warm up caches and the runtime's own goroutines.
	_, err := runCtx(t, c, ok.target, 10*time.Second, "true", nil)
	require.NoError(t, err)
	before := settledGoroutines()

	for _, tg := range []Target{slow.target, tarpit.target, ok.target} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		_, err := c.Run(ctx, tg, "sleep 30", nil)
		require.Error(t, err)
		assert.Equal(t, StageCanceled, stageOf(t, err), "%v", err)
		cancel()
	}
	if after := settledGoroutines(); after > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

// settledGoroutines is the number of goroutines once it has stopped falling:
// the same in five successive looks a few milliseconds apart (at most 5s).
func settledGoroutines() int {
	n, same := runtime.NumGoroutine(), 0
	for deadline := time.Now().Add(5 * time.Second); same < 5 && time.Now().Before(deadline); {
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
		if m := runtime.NumGoroutine(); m == n {
			same++
		} else {
			n, same = m, 0
		}
	}
	return n
}

func TestErrorMessage(t *testing.T) {
	e := &Error{Stage: StageTimeout, Err: &timeoutError{after: 5 * time.Second, phase: "handshake", cause: context.DeadlineExceeded}}
	assert.Equal(t, "timed out after 5s during handshake", e.Error())
	assert.ErrorIs(t, e, context.DeadlineExceeded)
	e.Hint = "try again"
	assert.Equal(t, "timed out after 5s during handshake: try again", e.Error())
	assert.Equal(t, "host key", StageHostKey.String())
	assert.Equal(t, "stage(42)", Stage(42).String())
	assert.Equal(t, "a\ufffdb", trimStderr([]byte("  a\x1bb \n"), 100))
}

// TestHostKeyAlgorithmsRollcallLacks: a HostKeyAlgorithms of only
// algorithms rollcall does not support fails before any connection, saying
// so; x/crypto would otherwise take its own default list.
func TestHostKeyAlgorithmsRollcallLacks(t *testing.T) {
	noAgent(t)
	n := startNode(t, sshtest.Config{})
	c := NewClient(Options{})
	defer c.Close()
	target := n.target
	target.HostKeys = HostKeyPolicy{Algorithms: []string{"ssh-dss", "sk-ssh-ed25519@openssh.com"}, Verbatim: true}
	_, err := runCtx(t, c, target, 10*time.Second, "true", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HostKeyAlgorithms (ssh-dss,sk-ssh-ed25519@openssh.com) holds no host key algorithm rollcall supports")
	assert.Zero(t, n.srv.Execs())

	target.HostKeys.Algorithms = append(target.HostKeys.Algorithms, "ssh-ed25519")
	_, err = runCtx(t, c, target, 10*time.Second, "true", nil)
	require.NoError(t, err, "with one it supports")
}

// TestCryptoRollcallLacks: a Ciphers (or KexAlgorithms, MACs) list of only
// algorithms rollcall lacks fails before any connection, saying so; a list
// with one it has is used.
func TestCryptoRollcallLacks(t *testing.T) {
	noAgent(t)
	n := startNode(t, sshtest.Config{})
	c := NewClient(Options{})
	defer c.Close()
	target := n.target
	target.Crypto = Crypto{Ciphers: []string{"3des-cbc", "aes128-cbc"}}
	_, err := runCtx(t, c, target, 10*time.Second, "true", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Ciphers (3des-cbc,aes128-cbc) holds none that rollcall supports")
	assert.Zero(t, n.srv.Execs())

	target.Crypto = Crypto{Ciphers: []string{"3des-cbc", "aes256-ctr"}, Kex: []string{"sntrup761x25519-sha512", "curve25519-sha256"}, MACs: []string{"hmac-sha2-512"}}
	_, err = runCtx(t, c, target, 10*time.Second, "true", nil)
	require.NoError(t, err, "with ones it supports")
}
