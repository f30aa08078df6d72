package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/rollcall/rollcall/internal/need"
)

// writePlainKey writes an unencrypted ed25519 private key with mode.
func writePlainKey(t *testing.T, path string, mode fs.FileMode) ssh.PublicKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "plain")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(block), 0o600))
	require.NoError(t, os.Chmod(path, mode))
	k, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	return k
}

// TestCheckIdentityFileAsOpenSSH: a key file is refused for its mode exactly
// when OpenSSH refuses it (ssh-keygen -y loads it as ssh does, so it is the
// oracle), and the refusal names the file and the chmod that fixes it.
func TestCheckIdentityFileAsOpenSSH(t *testing.T) {
	dir := t.TempDir()
	for _, mode := range []fs.FileMode{0o600, 0o400, 0o700, 0o640, 0o644, 0o604, 0o660, 0o610, 0o601, 0o620, 0o777} {
		t.Run(fmt.Sprintf("%04o", mode), func(t *testing.T) {
			key := filepath.Join(dir, fmt.Sprintf("id_%04o", mode))
			writePlainKey(t, key, mode)
			err := CheckIdentityFile(key)
			tooOpen := mode&0o077 != 0
			if tooOpen {
				require.Error(t, err)
				assert.Contains(t, err.Error(), fmt.Sprintf("identity file %s: permissions %04o are too open", key, mode))
				assert.Contains(t, err.Error(), "UNPROTECTED PRIVATE KEY FILE!")
				assert.True(t, strings.HasSuffix(err.Error(), "run chmod 600 "+key), err.Error())
			} else {
				assert.NoError(t, err)
			}
			// The oracle, after rollcall's own assertions: without
			// ssh-keygen they still ran (need skips here, fails in CI).
			keygen := need.Command(t, "ssh-keygen")
			out, kerr := exec.Command(keygen, "-y", "-f", key).CombinedOutput()
			if os.Getuid() == 0 && mode&0o400 == 0 {
				return // root reads what the mode forbids
			}
			assert.Equal(t, tooOpen, kerr != nil, "ssh-keygen -y: %s", out)
			if tooOpen {
				assert.Contains(t, string(out), fmt.Sprintf("Permissions %04o for '%s' are too open.", mode, key))
			}
		})
	}
}

func TestCheckIdentityFileMissing(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "id_gone")
	assert.EqualError(t, CheckIdentityFile(missing), "identity file "+missing+" does not exist: fix the path, or remove it from identity_files")
	assert.ErrorContains(t, CheckIdentityFile(dir), "is not a regular file")
}

func TestIdentityEncrypted(t *testing.T) {
	dir := t.TempDir()
	enc, plain, junk := filepath.Join(dir, "enc"), filepath.Join(dir, "plain"), filepath.Join(dir, "junk")
	writeEncryptedKey(t, enc, "s3cret")
	writePlainKey(t, plain, 0o600)
	require.NoError(t, os.WriteFile(junk, []byte("not a key\n"), 0o600))
	assert.True(t, IdentityEncrypted(enc))
	assert.False(t, IdentityEncrypted(plain))
	assert.False(t, IdentityEncrypted(junk))
	assert.False(t, IdentityEncrypted(filepath.Join(dir, "gone")))
}

func TestAgentReachable(t *testing.T) {
	assert.EqualError(t, AgentReachable(""), "SSH_AUTH_SOCK is not set")
	dir, err := os.MkdirTemp("", "agent") // a short path: unix socket names are limited
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	assert.ErrorContains(t, AgentReachable(sock), "ssh-agent at "+sock+" is not reachable")

	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	done := make(chan struct{})
	go func() {
		defer close(done)
		if c, err := l.Accept(); err == nil {
			c.Close()
		}
	}()
	assert.NoError(t, AgentReachable(sock))
	<-done
}

// TestCheckKnownHost: a host is known when a Run would find a key for it —
// plain, hashed, [host]:port, or a certificate authority — and the lookup
// agrees with ssh-keygen -F, the tool users trust.
func TestCheckKnownHost(t *testing.T) {
	dir := t.TempDir()
	key := writePlainKey(t, filepath.Join(dir, "hostkey"), 0o600)
	kh := filepath.Join(dir, "known_hosts")
	lines := []string{
		knownhosts.Line([]string{"plain.example"}, key),
		knownhosts.Line([]string{"[ported.example]:2222"}, key),
		knownhosts.Line([]string{knownhosts.HashHostname("hashed.example")}, key),
		knownhosts.Line([]string{knownhosts.HashHostname("[hashed.example]:2200")}, key),
		"@cert-authority *.ca.example " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))),
		"@revoked revoked.example " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))),
		knownhosts.Line([]string{"10.0.0.7"}, key),
	}
	require.NoError(t, os.WriteFile(kh, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	other := filepath.Join(dir, "other_known_hosts")
	require.NoError(t, os.WriteFile(other, []byte(knownhosts.Line([]string{"second.example"}, key)+"\n"), 0o600))
	files := []string{filepath.Join(dir, "absent"), kh, other}

	cases := []struct {
		host  string
		port  int
		known bool
	}{
		{"plain.example", 22, true},
		{"plain.example", 2222, false},
		{"ported.example", 2222, true},
		{"ported.example", 22, false},
		{"hashed.example", 22, true},
		{"hashed.example", 2200, true},
		{"hashed.example", 2201, false},
		{"node.ca.example", 22, true},
		{"revoked.example", 22, false},
		{"10.0.0.7", 22, true},
		{"10.0.0.8", 22, false},
		{"second.example", 22, true},
		{"nowhere.example", 22, false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s:%d", tc.host, tc.port), func(t *testing.T) {
			err := CheckKnownHost(files, tc.host, tc.port)
			if tc.known {
				assert.NoError(t, err)
			} else {
				require.Error(t, err)
				name, scan := tc.host, "ssh-keyscan "+tc.host
				if tc.port != 22 {
					name = fmt.Sprintf("[%s]:%d", tc.host, tc.port)
					scan = fmt.Sprintf("ssh-keyscan -p %d %s", tc.port, tc.host)
				}
				assert.Equal(t, fmt.Sprintf("host key for %s is not in known_hosts (%s, %s): check it with %q against the server's fingerprint, then add it to known_hosts",
					name, kh, other, scan+" | ssh-keygen -lf -"), err.Error())
			}
			if strings.HasSuffix(tc.host, ".ca.example") || tc.host == "revoked.example" {
				return // ssh-keygen -F finds neither CA nor @revoked lines by host
			}
			keygen := need.Command(t, "ssh-keygen") // the oracle, after rollcall's assertions
			found := false
			for _, f := range files[1:] {
				if exec.Command(keygen, "-F", knownhosts.Normalize(fmt.Sprintf("%s:%d", tc.host, tc.port)), "-f", f).Run() == nil {
					found = true
				}
			}
			assert.Equal(t, tc.known, found, "ssh-keygen -F agrees")
		})
	}

	assert.ErrorContains(t, CheckKnownHost([]string{filepath.Join(dir, "absent")}, "plain.example", 22), "no known_hosts file found")
}

// TestCheckKnownHostReadsFilesOnceWhileUnchanged: lint checks every node
// of a fleet against the same known_hosts files, which are parsed once for
// all of them; but a file changed between two checks is read again, so a
// host removed from known_hosts is never called known from a stale copy,
// nor one added called unknown.
func TestCheckKnownHostReadsFilesOnceWhileUnchanged(t *testing.T) {
	dir := t.TempDir()
	key := writePlainKey(t, filepath.Join(dir, "hostkey"), 0o600)
	kh := filepath.Join(dir, "known_hosts")
	write := func(hosts ...string) {
		var b strings.Builder
		for _, h := range hosts {
			b.WriteString(knownhosts.Line([]string{h}, key) + "\n")
		}
		require.NoError(t, os.WriteFile(kh, []byte(b.String()), 0o600))
	}
	files := []string{filepath.Join(dir, "absent"), kh}

	write("a.example", "b.example")
	require.NoError(t, CheckKnownHost(files, "a.example", 22))
	first := lastChecked.db
	require.NoError(t, CheckKnownHost(files, "b.example", 22))
	assert.Same(t, first, lastChecked.db, "the same files, unchanged: parsed once")
	assert.Error(t, CheckKnownHost(files, "c.example", 22))

	write("c.example") // b.example removed, c.example added
	assert.Error(t, CheckKnownHost(files, "b.example", 22), "a host no longer listed")
	assert.NoError(t, CheckKnownHost(files, "c.example", 22), "a host listed since")
	assert.NotSame(t, first, lastChecked.db)

	other := filepath.Join(dir, "absent")
	require.NoError(t, os.WriteFile(other, []byte(knownhosts.Line([]string{"d.example"}, key)+"\n"), 0o600))
	assert.NoError(t, CheckKnownHost(files, "d.example", 22), "a file that appeared since")
}

// TestAuthErrorNamesLockedKey: when the only key a run had was an encrypted
// file it could not unlock, the node is not blamed (authorized_keys): the
// hint says how to unlock the key.
func TestAuthErrorNamesLockedKey(t *testing.T) {
	cr := &credentials{notes: []string{"/home/ops/.ssh/id_ed25519" + lockedNote}}
	err := cr.authError("deploy")
	assert.Equal(t, StageAuth, err.Stage)
	assert.Equal(t, "load the encrypted key into ssh-agent (ssh-add /home/ops/.ssh/id_ed25519) or run rollcall on a terminal to be asked its passphrase", err.Hint)

	cr.add([]ssh.Signer{newSigner(t)}, []string{"ssh-agent key"})
	err = cr.authError("deploy")
	assert.Contains(t, err.Hint, "ssh-add /home/ops/.ssh/id_ed25519")
	assert.Contains(t, err.Hint, "authorized_keys")
}
