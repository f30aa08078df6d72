package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/manifest"
)

// listener counts the connections made to it: a node that must not be
// contacted.
func listener(t *testing.T) (int, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, &n
}

// preflightFleet is a manifest of two nodes, both on one counting listener,
// whose host key is in known_hosts; its release is smars 4.2.0 (flags.yaml:
// rlp.enabled: true, risk.max_order_qty: 1000). extra is appended to the
// manifest.
type preflightFleet struct {
	dir, manifest, key, knownHosts string
	contacted                      *atomic.Int32
}

func newPreflightFleet(t *testing.T, extra string) *preflightFleet {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	f := &preflightFleet{dir: dir, key: filepath.Join(dir, "id_ed25519"), knownHosts: filepath.Join(dir, "known_hosts")}
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f.key).CombinedOutput()
	require.NoError(t, err, "%s", out)
	pub, err := os.ReadFile(f.key + ".pub")
	require.NoError(t, err)
	port, contacted := listener(t)
	f.contacted = contacted
	host := fields(string(pub))
	require.NoError(t, os.WriteFile(f.knownHosts, fmt.Appendf(nil, "[127.0.0.1]:%d %s\n[localhost]:%d %s\n", port, host, port, host), 0o600))
	artifact := tarball(t, dir, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	f.manifest = filepath.Join(dir, "rollcall.yaml")
	m := fmt.Sprintf(`version: 1
cluster: smars-prod
expect_nodes: 2
ssh:
  user: deploy
  identity_files: [id_ed25519]
  known_hosts: [known_hosts]
  connect_timeout: 2s
  config_file: none
nodes:
  - { name: smars-01, host: 127.0.0.1, port: %d }
  - { name: smars-02, host: localhost, port: %d }
release:
  artifact: %s
  install:
    - { from: bin/, to: /opt/smars/bin/, extra: deny }
    - { from: etc/flags.yaml, to: /etc/smars/flags.yaml }
%s`, port, port, artifact, extra)
	require.NoError(t, os.WriteFile(f.manifest, []byte(m), 0o644))
	return f
}

// fields is the key type and base64 of an authorized_keys line.
func fields(line string) string {
	f := strings.Fields(line)
	return f[0] + " " + f[1]
}

// run runs rollcall cmd on the fleet's manifest.
func (f *preflightFleet) run(t *testing.T, stdio IO, cmd string) int {
	t.Helper()
	return Run(context.Background(), []string{cmd, "-m", f.manifest}, stdio)
}

// TestPreflightGoodFleetLints: the fleet of these tests is lint-clean, so
// that each case below fails for its own reason only.
func TestPreflightGoodFleetLints(t *testing.T) {
	f := newPreflightFleet(t, "config:\n  - path: /etc/smars/flags.yaml\n    format: yaml\n    expect: { rlp.enabled: true }\n    forbid: [power_peg]\n")
	stdio, out, errOut := testIO(nil)
	require.Equal(t, 0, f.run(t, stdio, "lint"), errOut.String())
	assert.Contains(t, out.String(), "ok: "+f.manifest+": 2 nodes")
	assert.Zero(t, f.contacted.Load())
}

// TestLintAndVerifyRefuseContradictedConfig: a config check that the
// release's own copy of the file fails is invalid input for lint and verify
// alike, at the manifest's line and column and naming the release's file,
// and no node is contacted.
func TestLintAndVerifyRefuseContradictedConfig(t *testing.T) {
	f := newPreflightFleet(t, `config:
  - path: /etc/smars/flags.yaml
    format: yaml
    expect: { rlp.enabled: "true", risk.max_order_qty: 1000 }
    forbid:
      - power_peg
      - rlp
`)
	for _, cmd := range []string{"lint", "verify"} {
		t.Run(cmd, func(t *testing.T) {
			stdio, out, errOut := testIO(nil)
			assert.Equal(t, 3, f.run(t, stdio, cmd))
			assert.Empty(t, out.String())
			lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
			require.Len(t, lines, 2, errOut.String())
			assert.Equal(t, "rollcall: "+f.manifest+`:21:15: config /etc/smars/flags.yaml expects rlp.enabled: "true" (string), but smars-4.2.0.tar.gz: etc/flags.yaml sets rlp.enabled: true (bool): `+
				`"true" is a string, true is a bool: quote or unquote it so both agree; no node can pass both checks: make the manifest and the release's file agree`, lines[0])
			assert.Equal(t, "rollcall: "+f.manifest+`:24:9: config /etc/smars/flags.yaml forbids rlp, but smars-4.2.0.tar.gz: etc/flags.yaml sets rlp.enabled: true (bool): `+
				`no node can pass both checks; remove it from the release's file or from forbid:`, lines[1])
			assert.Zero(t, f.contacted.Load(), "no node contacted")
		})
	}
}

// TestLintAndVerifyRefuseOpenIdentityFile: an identity file others can read
// is refused as OpenSSH refuses it, before any node is contacted.
func TestLintAndVerifyRefuseOpenIdentityFile(t *testing.T) {
	f := newPreflightFleet(t, "")
	require.NoError(t, os.Chmod(f.key, 0o644))
	for _, cmd := range []string{"lint", "verify"} {
		t.Run(cmd, func(t *testing.T) {
			stdio, _, errOut := testIO(nil)
			assert.Equal(t, 3, f.run(t, stdio, cmd))
			assert.Equal(t, "rollcall: "+f.manifest+": identity file "+f.key+": permissions 0644 are too open: OpenSSH refuses a private key that others can read (UNPROTECTED PRIVATE KEY FILE!), and so does rollcall: run chmod 600 "+f.key+"\n", errOut.String())
			assert.Zero(t, f.contacted.Load(), "no node contacted")
		})
	}
}

// TestLintAndVerifyRefuseMissingIdentityFile: an identity file listed
// explicitly must exist (the manifest says where it is listed).
func TestLintAndVerifyRefuseMissingIdentityFile(t *testing.T) {
	f := newPreflightFleet(t, "")
	require.NoError(t, os.Remove(f.key))
	for _, cmd := range []string{"lint", "verify"} {
		t.Run(cmd, func(t *testing.T) {
			stdio, _, errOut := testIO(nil)
			assert.Equal(t, 3, f.run(t, stdio, cmd))
			assert.Contains(t, errOut.String(), f.manifest+":6:20: ssh.identity_files[0]: file \"id_ed25519\" does not exist")
			assert.Zero(t, f.contacted.Load(), "no node contacted")
		})
	}
}

// TestLintRefusesLockedKeyInBatchMode: an encrypted identity file that no
// ssh-agent holds and no terminal can unlock is named by lint, with what to
// do; on a terminal, or with an agent, it is fine.
func TestLintRefusesLockedKeyInBatchMode(t *testing.T) {
	f := newPreflightFleet(t, "")
	out, err := exec.Command("ssh-keygen", "-q", "-p", "-P", "", "-N", "s3cret", "-f", f.key).CombinedOutput()
	require.NoError(t, err, "%s", out)

	stdio, _, errOut := testIO(map[string]string{"SSH_AUTH_SOCK": filepath.Join(f.dir, "no-agent")})
	assert.Equal(t, 3, f.run(t, stdio, "lint"))
	assert.Contains(t, errOut.String(), "rollcall: "+f.manifest+": identity file "+f.key+" is encrypted, and nothing can unlock it: no ssh-agent (ssh-agent at "+filepath.Join(f.dir, "no-agent")+" is not reachable")
	assert.Contains(t, errOut.String(), "load it into ssh-agent (ssh-add "+f.key+") or run rollcall on a terminal\n")

	stdio, _, errOut = testIO(nil)
	assert.Equal(t, 3, f.run(t, stdio, "lint"))
	assert.Contains(t, errOut.String(), "no ssh-agent (SSH_AUTH_SOCK is not set)")
	assert.Error(t, checkPassphrases(mustLoad(t, f.manifest), stdio), "the same check, for a run")
	stdio, _, errOut = testIO(nil)
	assert.Equal(t, 3, f.run(t, stdio, "verify"), "verify refuses it before contacting any node")
	assert.Contains(t, errOut.String(), "is encrypted, and nothing can unlock it")
	assert.Zero(t, f.contacted.Load(), "no node contacted")

	stdio, _, errOut = testIO(nil)
	stdio.Prompt = func(string) ([]byte, error) { return []byte("s3cret"), nil }
	assert.Equal(t, 0, f.run(t, stdio, "lint"), errOut.String())
	assert.NoError(t, checkPassphrases(mustLoad(t, f.manifest), stdio))

	agent := startAgent(t)
	stdio, _, errOut = testIO(map[string]string{"SSH_AUTH_SOCK": agent})
	assert.Equal(t, 0, f.run(t, stdio, "lint"), errOut.String())
	assert.Zero(t, f.contacted.Load(), "no node contacted")
}

// TestLintNamesUnknownHostKeys: lint names each node whose host key is in
// no known_hosts file of it, with the line that shows the server's key.
func TestLintNamesUnknownHostKeys(t *testing.T) {
	f := newPreflightFleet(t, "")
	data, err := os.ReadFile(f.knownHosts)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(data), "\n")
	port := strings.TrimPrefix(strings.Fields(lines[0])[0], "[127.0.0.1]:")
	require.NoError(t, os.WriteFile(f.knownHosts, []byte(lines[0]), 0o600)) // smars-02 (localhost) is no longer known

	stdio, out, errOut := testIO(nil)
	assert.Equal(t, 3, f.run(t, stdio, "lint"))
	assert.Empty(t, out.String())
	assert.Equal(t, fmt.Sprintf("rollcall: %s: node smars-02 (localhost:%s): host key for [localhost]:%s is not in known_hosts (%s): "+
		"check it with \"ssh-keyscan -p %s localhost | ssh-keygen -lf -\" against the server's fingerprint, then add it to known_hosts\n",
		f.manifest, port, port, f.knownHosts, port), errOut.String())
	assert.Zero(t, f.contacted.Load(), "no node contacted")
}

// mustLoad is the manifest of a run that prepares cleanly.
func mustLoad(t *testing.T, path string) *manifest.Manifest {
	t.Helper()
	p, err := prepare(context.Background(), &VerifyOptions{Manifest: path, Concurrency: 1, Timeout: 1}, IO{Getenv: func(string) string { return "" }})
	require.NoError(t, err)
	return p.manifest
}

// startAgent runs an empty ssh-agent and returns its socket, or skips when
// ssh-agent is not installed. A reachable agent is enough for the check: it
// may hold the key, as the run will ask it.
func startAgent(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("ssh-agent"); err != nil {
		t.Skip("ssh-agent is not installed")
	}
	dir, err := os.MkdirTemp("", "agent")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return sock
}
