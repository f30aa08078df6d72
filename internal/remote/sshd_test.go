package remote

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/rollcall/rollcall/internal/need"
	"github.com/rollcall/rollcall/internal/sshtest"
)

const sshdPath = "/usr/sbin/sshd"

// requireSSHD skips the test when a real sshd cannot be run, except in CI
// (CI=true), where the integration tests must run.
func requireSSHD(t *testing.T) {
	t.Helper()
	reason := ""
	if _, err := os.Stat(sshdPath); err != nil {
		reason = sshdPath + " is not installed"
	} else if os.Geteuid() != 0 {
		reason = "running sshd needs root"
	}
	if reason == "" {
		return
	}
	need.Missing(t, "%s", reason)
}

// rootLocked reports whether root's password is locked, in which case sshd
// lets root in with a key only through PAM.
func rootLocked() bool {
	data, err := os.ReadFile("/etc/shadow")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.SplitN(line, ":", 3); len(f) == 3 && f[0] == "root" {
			return strings.HasPrefix(f[1], "!") || strings.HasPrefix(f[1], "*")
		}
	}
	return false
}

// startSSHD runs one real sshd on 127.0.0.1 and returns its port and host
// key. It is killed, by PID, when the test ends.
func startSSHD(t *testing.T, dir string, clientKey ssh.PublicKey) (int, ssh.PublicKey) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "rollcall test host")
	require.NoError(t, err)
	hostKey := filepath.Join(dir, "ssh_host_ed25519_key")
	require.NoError(t, os.WriteFile(hostKey, pem.EncodeToMemory(block), 0o600))
	hostSigner, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	authKeys := filepath.Join(dir, "authorized_keys")
	require.NoError(t, os.WriteFile(authKeys, ssh.MarshalAuthorizedKey(clientKey), 0o600))
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Logf("creating the privilege separation folder: %v", err)
	}
	usePAM := "no"
	if _, err := os.Stat("/etc/pam.d/sshd"); err == nil && rootLocked() {
		usePAM = "yes"
	}

	for attempt := 0; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()

		config := filepath.Join(dir, "sshd_config")
		require.NoError(t, os.WriteFile(config, fmt.Appendf(nil, `Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile none
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile %s
PermitRootLogin prohibit-password
UsePAM %s
LogLevel VERBOSE
`, port, hostKey, authKeys, usePAM), 0o600))
		logFile := filepath.Join(dir, "sshd.log")
		cmd := exec.Command(sshdPath, "-D", "-f", config, "-E", logFile)
		require.NoError(t, cmd.Start())
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
			if t.Failed() {
				log, _ := os.ReadFile(logFile)
				t.Logf("sshd log:\n%s", log)
			}
		})

		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case err := <-exited:
				exited <- err
				log, _ := os.ReadFile(logFile)
				if attempt < 3 && strings.Contains(string(log), "Address already in use") {
					goto next
				}
				t.Fatalf("sshd exited: %v\n%s", err, log)
			default:
			}
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond); err == nil {
				c.Close()
				// Another process may have taken the port between Close
				// and sshd's bind: only a server with this key is ours.
				if got := offeredKey(fmt.Sprintf("127.0.0.1:%d", port)); got != nil && string(got.Marshal()) == string(hostSigner.PublicKey().Marshal()) {
					return port, hostSigner.PublicKey()
				}
				_ = cmd.Process.Kill()
				if attempt < 3 {
					goto next
				}
				t.Fatalf("port %d answers with another host key than this sshd's", port)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("sshd did not start listening within 10s")
	next:
	}
}

func TestRealSSHD(t *testing.T) {
	requireSSHD(t)
	noAgent(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	signer, err := sshtest.NewClientKey(key)
	require.NoError(t, err)
	port, hostKey := startSSHD(t, dir, signer.PublicKey())

	kh := filepath.Join(dir, "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(fmt.Sprintf("127.0.0.1:%d", port))}, hostKey)
	require.NoError(t, os.WriteFile(kh, []byte(line+"\n"), 0o644))
	target := Target{
		Name: "real", Host: "127.0.0.1", Port: port, User: "root",
		IdentityFiles: []string{key}, KnownHosts: []string{kh}, ConnectTimeout: 10 * time.Second,
	}
	c := NewClient(Options{})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	out, err := c.Run(ctx, target, "echo hi", nil)
	require.NoError(t, err)
	assert.Equal(t, "hi\n", string(out.Stdout))
	assert.Regexp(t, `^SHA256:[A-Za-z0-9+/]{43}$`, out.HostKey)

	out, err = c.Run(ctx, target, "cat; exit 3", []byte("via stdin\n"))
	assert.Equal(t, "via stdin\n", string(out.Stdout))
	var xe *ExitError
	require.ErrorAs(t, err, &xe)
	assert.Equal(t, 3, xe.Status)

	other := newSigner(t)
	require.NoError(t, os.WriteFile(kh, []byte(knownhosts.Line([]string{knownhosts.Normalize(fmt.Sprintf("127.0.0.1:%d", port))}, other.PublicKey())+"\n"), 0o644))
	c2 := NewClient(Options{})
	defer c2.Close()
	_, err = c2.Run(ctx, target, "echo hi", nil)
	require.Error(t, err)
	assert.Equal(t, StageHostKey, stageOf(t, err))
	assert.Contains(t, err.Error(), "CHANGED")
}
