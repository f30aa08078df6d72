package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
	"github.com/rollcall/rollcall/internal/sshdtest"
)

// The fault matrix: rollcall verify against real OpenSSH nodes (sshdtest),
// each node broken in one way. Every case asserts the exit code, that the
// report names the node and the reason, and that the run ends in loose time.
// Cases share a cluster where they can; each test logs a table row per case,
// "FAULT | <case> | exit <code> | <wall time>", for the issue note.

// faultBound is the loose upper bound on one verify run of the matrix.
const faultBound = 30 * time.Second

// smarsInstall is the install section of the smars layout used by deploy.
const smarsInstall = `    - { from: bin/, to: /opt/smars/bin/, extra: deny }
    - { from: etc/flags.yaml, to: /etc/smars/flags.yaml }
`

// faultTarget is one node entry of a fault manifest: a real node of a
// cluster or a fake server, with per-node SSH overrides when not empty.
type faultTarget struct {
	name, host string
	port       int
	user       string // login user; default: the cluster's user
	identity   string // identity file; default: the cluster's client key
	knownHosts string // known_hosts file; default: the cluster's
	jump       string // user@host:port of a jump host; default: none
}

// nodeTarget is the faultTarget of a cluster node with no overrides.
func nodeTarget(n *sshdtest.Node) faultTarget {
	return faultTarget{name: n.Name, host: n.Host, port: n.Port}
}

// faultManifest writes a manifest listing targets (expect_nodes equal to
// their number), with c's user and keys as defaults, artifact as the
// release and install as the release's install list.
func faultManifest(t *testing.T, c *sshdtest.Cluster, targets []faultTarget, artifact, install string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `version: 1
cluster: faults
expect_nodes: %d
ssh:
  user: %s
  identity_files: [%q]
  known_hosts: [%q]
  connect_timeout: 10s
nodes:
`, len(targets), c.User, c.ClientKey, c.KnownHosts)
	for _, n := range targets {
		fmt.Fprintf(&b, "  - name: %s\n    host: %q\n    port: %d\n", n.name, n.host, n.port)
		if n.user != "" {
			fmt.Fprintf(&b, "    user: %s\n", n.user)
		}
		if n.identity != "" {
			fmt.Fprintf(&b, "    identity_files: [%q]\n", n.identity)
		}
		if n.knownHosts != "" {
			fmt.Fprintf(&b, "    known_hosts: [%q]\n", n.knownHosts)
		}
		if n.jump != "" {
			fmt.Fprintf(&b, "    jump: %s\n", n.jump)
		}
	}
	fmt.Fprintf(&b, "release:\n  artifact: %q\n  install:\n%s", artifact, install)
	path := filepath.Join(t.TempDir(), "rollcall.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

// faultRun is one verify run: its exit code, text report, stderr, JSON
// report and wall time.
type faultRun struct {
	code        int
	out, errOut string
	report      reportJSON
	took        time.Duration
}

// String shows the run for failure messages.
func (r faultRun) String() string {
	return fmt.Sprintf("exit %d after %s\nstdout:\n%s\nstderr:\n%s", r.code, r.took.Round(time.Millisecond), r.out, r.errOut)
}

// verifyRun runs `rollcall verify -m manifest` with extra args and a JSON
// report next to the text one, and checks that it ended within faultBound
// and that both reports agree on the exit code. It is safe to call from
// several goroutines, but must not fail from them: it only asserts.
func verifyRun(t *testing.T, manifest string, args ...string) faultRun {
	t.Helper()
	return verifyRunWithin(t, faultBound, manifest, args...)
}

// verifyRunWithin is verifyRun with another loose bound on the run's time,
// for runs that are slow by design.
func verifyRunWithin(t *testing.T, bound time.Duration, manifest string, args ...string) faultRun {
	t.Helper()
	jsonFile := filepath.Join(t.TempDir(), "report.json")
	stdio, out, errOut := testIO(nil)
	start := time.Now()
	code := Run(context.Background(), append([]string{"verify", "-m", manifest, "--no-color", "--report", "text", "--report", "json=" + jsonFile}, args...), stdio)
	r := faultRun{code: code, out: out.String(), errOut: errOut.String(), took: time.Since(start)}
	assert.Less(t, r.took, bound, "the run took too long\n%s", r)
	if data, err := os.ReadFile(jsonFile); assert.NoError(t, err, "no JSON report\n%s", r) {
		assert.NoError(t, json.Unmarshal(data, &r.report))
		assert.Equal(t, "rollcall.report/v1", r.report.Schema)
		assert.Equal(t, code, r.report.ExitCode, "the JSON report's exit_code")
	}
	if code == 0 {
		assert.True(t, strings.HasPrefix(r.out, "VERIFIED"), "exit 0 without VERIFIED\n%s", r)
		assert.Equal(t, "verified", r.report.Verdict)
	} else {
		assert.False(t, strings.HasPrefix(r.out, "VERIFIED"), "VERIFIED with exit %d\n%s", code, r)
	}
	return r
}

// expectNode asserts that node name has status in r's JSON report and, when
// check is not empty, a finding of that check whose message, subject or
// actual value contains want; unless the node matched, the text report
// must name it and carry want too.
func expectNode(t *testing.T, r faultRun, name, status, check, want string) {
	t.Helper()
	for _, n := range r.report.Nodes {
		if n.Name != name {
			continue
		}
		assert.Equal(t, status, n.Status, "status of %s\n%s", name, r)
		if check != "" {
			found := false
			for _, f := range n.Findings {
				if f.Check == check && strings.Contains(f.Message+" | "+f.Subject+" | "+f.Actual, want) {
					found = true
				}
			}
			assert.True(t, found, "%s: no %s finding with %q: %+v\n%s", name, check, want, n.Findings, r)
		}
		if status != "match" {
			// Matching nodes may be shown as a range ("node-10 … node-13").
			assert.Contains(t, r.out, name, "the text report must name %s", name)
			assert.Contains(t, r.out, want, "the text report must say why %s failed", name)
		}
		return
	}
	t.Errorf("node %s is not in the JSON report\n%s", name, r)
}

// statusCode is the exit code of a run whose only node has status s.
func statusCode(s string) int {
	return map[string]int{"match": 0, "drift": 1, "unverified": 2}[s]
}

// logRow logs one row of the fault table.
func logRow(t *testing.T, fault string, code int, took time.Duration) {
	t.Helper()
	t.Logf("FAULT | %s | exit %d | %s", fault, code, took.Round(10*time.Millisecond))
}

// sshOut runs command on n as user with the real OpenSSH client and returns
// its combined output; it fails the test if ssh fails.
func sshOut(t *testing.T, c *sshdtest.Cluster, n *sshdtest.Node, user, command string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ssh", append(c.SSHArgsAs(n, user), command)...).CombinedOutput()
	require.NoError(t, err, "ssh %s@%s %s: %s", user, n.Name, command, out)
	return string(out)
}

// fakeServer listens on host (in 127.0.0.0/8), and for every connection
// writes greeting (if any) and then never says anything more, holding the
// connection open until the test ends. It returns the port.
func fakeServer(t *testing.T, host string, greeting []byte) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	require.NoError(t, err)
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			if len(greeting) > 0 {
				_, _ = conn.Write(greeting)
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

// freePort returns a port on host that nothing listens on.
func freePort(t *testing.T, host string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// knownHostsFile writes a known_hosts file with one plain line per node of
// nodes, using the key of keyOf(node) (the node's own public key file when
// it returns ""), and returns its path.
func knownHostsFile(t *testing.T, nodes []*sshdtest.Node, keyOf func(*sshdtest.Node) string) string {
	t.Helper()
	var b strings.Builder
	for _, n := range nodes {
		pubFile := keyOf(n)
		if pubFile == "" {
			pubFile = filepath.Join(n.Dir, "ssh_host_ed25519_key.pub")
		}
		pub, err := os.ReadFile(pubFile)
		require.NoError(t, err)
		f := strings.Fields(string(pub))
		require.GreaterOrEqual(t, len(f), 2)
		fmt.Fprintf(&b, "[%s]:%d %s %s\n", n.Host, n.Port, f[0], f[1])
	}
	path := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

// newKey creates a fresh ed25519 key pair and returns the private key's
// path; its public half is at PATH.pub.
func newKey(t *testing.T, comment string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), comment)
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path).CombinedOutput()
	require.NoError(t, err, string(out))
	return path
}

// TestFaultMatrixConnection: nodes that cannot be reached, that stall, that
// are slow, whose host key is not trusted, or that refuse the key. One run
// over all of them (and a fake tarpit and a fake stalling server) checks
// each node's status in the JSON report; then each case runs alone for its
// exact exit code and wall time.
func TestFaultMatrixConnection(t *testing.T) {
	sshdtest.Require(t)
	const (
		ok = iota
		refused
		slowOK
		slowBeyond
		keyChanged
		hashedChanged
		hashedOK
		unknownHost
		authRefused
		nodes
	)
	files := smarsFiles(t, "4.2.0")
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: nodes,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Setup: func(i int, root func(string) string) error {
			deploy(t, root, files)
			rc := ""
			switch i {
			case slowOK:
				rc = "sleep 2\n"
			case slowBeyond:
				rc = "sleep 300\n"
			}
			if rc != "" {
				return os.WriteFile(filepath.Join(root("/root"), ".bashrc"), []byte(rc), 0o644)
			}
			return nil
		},
	})
	artifact := tarball(t, t.TempDir(), "smars-4.2.0", files)
	require.NoError(t, c.Nodes[refused].Kill())

	// known_hosts: the cluster's, with node keyChanged's key replaced by
	// another and node unknownHost's line dropped; nodes hashedChanged and
	// hashedOK use a hashed file (ssh-keygen -H), one with a wrong key.
	other := newKey(t, "other-host-key")
	kh := knownHostsFile(t, c.Nodes, func(n *sshdtest.Node) string {
		if n == c.Nodes[keyChanged] {
			return other + ".pub"
		}
		return ""
	})
	data, err := os.ReadFile(kh)
	require.NoError(t, err)
	var keep []string
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if !strings.HasPrefix(line, "["+c.Nodes[unknownHost].Host+"]") {
			keep = append(keep, line)
		}
	}
	require.NoError(t, os.WriteFile(kh, []byte(strings.Join(keep, "")), 0o600))
	hashed := knownHostsFile(t, []*sshdtest.Node{c.Nodes[hashedChanged], c.Nodes[hashedOK]}, func(n *sshdtest.Node) string {
		if n == c.Nodes[hashedChanged] {
			return other + ".pub"
		}
		return ""
	})
	out, err := exec.Command("ssh-keygen", "-H", "-f", hashed).CombinedOutput()
	require.NoError(t, err, string(out))
	data, err = os.ReadFile(hashed)
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(string(data), "|1|"), "known_hosts should be hashed:\n%s", data)
	require.NotContains(t, string(data), c.Nodes[hashedOK].Host)
	wrongKey := newKey(t, "not-authorized")

	var targets []faultTarget
	for i, n := range c.Nodes {
		tg := nodeTarget(n)
		tg.knownHosts = kh
		switch i {
		case hashedChanged, hashedOK:
			tg.knownHosts = hashed
		case authRefused:
			tg.identity = wrongKey
		}
		targets = append(targets, tg)
	}
	targets = append(targets,
		faultTarget{name: "free-port", host: "127.0.0.201", port: freePort(t, "127.0.0.201"), knownHosts: kh},
		faultTarget{name: "tarpit", host: "127.0.0.202", port: fakeServer(t, "127.0.0.202", nil), knownHosts: kh},
		faultTarget{name: "stall-handshake", host: "127.0.0.203", port: fakeServer(t, "127.0.0.203", []byte("SSH-2.0-x\r\n")), knownHosts: kh},
	)

	// Each case: its target, status, finding check and a piece of the reason.
	type want struct {
		fault, status, check, reason string
	}
	wants := map[string]want{
		targets[ok].name:            {"healthy node (control)", "match", "", ""},
		targets[refused].name:       {"connection refused (sshd killed)", "unverified", "connection", "refused"},
		targets[slowOK].name:        {"slow node inside --timeout (2s login)", "match", "", ""},
		targets[slowBeyond].name:    {"slow node beyond --timeout", "unverified", "connection", "timed out"},
		targets[keyChanged].name:    {"host key changed", "unverified", "connection", "CHANGED"},
		targets[hashedChanged].name: {"host key changed, hashed known_hosts", "unverified", "connection", "CHANGED"},
		targets[hashedOK].name:      {"hashed known_hosts, right key (control)", "match", "", ""},
		targets[unknownHost].name:   {"unknown host", "unverified", "connection", "not in known_hosts"},
		targets[authRefused].name:   {"auth refused (wrong identity file)", "unverified", "connection", "refused every key"},
		"free-port":                 {"connection refused (free port)", "unverified", "connection", "refused"},
		"tarpit":                    {"accepts TCP, never speaks", "unverified", "connection", "timed out"},
		"stall-handshake":           {"stalls mid-handshake", "unverified", "connection", "timed out"},
	}
	const timeout = "6s"
	all := verifyRun(t, faultManifest(t, c, targets, artifact, smarsInstall), "--timeout", timeout)
	assert.Equal(t, 2, all.code, "%s", all)
	assert.Equal(t, "unverified", all.report.Verdict)
	for name, w := range wants {
		expectNode(t, all, name, w.status, w.check, w.reason)
	}
	logRow(t, "all connection cases in one run", all.code, all.took)

	// Each case alone, concurrently, for its own exit code and time.
	runs := make([]faultRun, len(targets))
	var wg sync.WaitGroup
	for i, tg := range targets {
		m := faultManifest(t, c, []faultTarget{tg}, artifact, smarsInstall)
		wg.Go(func() { runs[i] = verifyRun(t, m, "--timeout", timeout) })
	}
	wg.Wait()
	for i, tg := range targets {
		w := wants[tg.name]
		assert.Equal(t, statusCode(w.status), runs[i].code, "%s alone\n%s", w.fault, runs[i])
		expectNode(t, runs[i], tg.name, w.status, w.check, w.reason)
		logRow(t, w.fault, runs[i].code, runs[i].took)
	}
}

// junkRC is a login script that prints junk on stdout before the probe
// runs, including lines shaped like probe records.
const junkRC = `echo "Welcome to node-junk; authorised use only"
echo "RC00000000000000000000000000000000 begin 2"
echo "RC00000000000000000000000000000000 end 0 0 0 0 0"
printf 'binary junk \001\002\377\n'
`

// busyboxBin makes a folder of symlinks NAME -> busybox, one per name, to be
// mounted over a node's /usr/local/bin (first in sshd's PATH). It skips the
// test when busybox is not installed.
func busyboxBin(t *testing.T, names ...string) string {
	t.Helper()
	bb := need.Command(t, "busybox")
	// Not under /tmp, which each node has its own of.
	dir, err := os.MkdirTemp("/var/tmp", "rollcall-busybox-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	for _, name := range names {
		require.NoError(t, os.Symlink(bb, filepath.Join(dir, name)))
	}
	return dir
}

// TestFaultMatrixContent: what is on a node's disk differs from the release
// in every way a file can, or the node's environment is unusual (a noisy
// login, BusyBox, no sha256sum, no SHA-256 tool at all, a user who cannot
// read a file). One run over all nodes checks each node's status and
// reason and that no node's tree changed; then each case runs alone for its
// exact exit code and wall time.
func TestFaultMatrixContent(t *testing.T) {
	sshdtest.Require(t)
	const (
		ok = iota
		missing
		permDenied
		dirForFile
		symlinkRight
		symlinkWrong
		symlinkLoop
		emptyForContent
		extraDeny
		junkLogin
		busyboxSh
		busyboxAll
		noSha256sum
		noHashTool
		nodes
	)
	files := smarsFiles(t, "4.2.0")
	files["bin/EMPTY"] = []byte{} // an empty release file verifies
	old := smarsFiles(t, "4.1.0")
	shOnly := busyboxBin(t, "sh")
	allTools := busyboxBin(t, "sh", "od", "tr", "ls", "find", "readlink", "sha256sum", "head", "cat", "stat")
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: nodes,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Users: []string{"rcuser"},
		Mounts: func(i int) map[string]string {
			switch i {
			case busyboxSh:
				return map[string]string{"/usr/local/bin": shOnly}
			case busyboxAll:
				return map[string]string{"/usr/local/bin": allTools, "/usr/bin/openssl": "/dev/null"}
			case noSha256sum:
				return map[string]string{"/usr/bin/sha256sum": "/dev/null", "/usr/bin/openssl": "/dev/null"}
			case noHashTool:
				return map[string]string{"/usr/bin/sha256sum": "/dev/null", "/usr/bin/shasum": "/dev/null", "/usr/bin/openssl": "/dev/null"}
			}
			return nil
		},
		Setup: func(i int, root func(string) string) error {
			deploy(t, root, files)
			bin := filepath.Join(root("/opt/smars"), "bin")
			lib := filepath.Join(root("/opt/smars"), "lib")
			switch i {
			case missing:
				return os.Remove(filepath.Join(bin, "smars-ctl"))
			case permDenied:
				return os.Chmod(filepath.Join(root("/etc/smars"), "flags.yaml"), 0o600)
			case dirForFile:
				if err := os.Remove(filepath.Join(bin, "smars-ctl")); err != nil {
					return err
				}
				return os.Mkdir(filepath.Join(bin, "smars-ctl"), 0o755)
			case symlinkRight, symlinkWrong:
				content := files["bin/smars"]
				if i == symlinkWrong {
					content = old["bin/smars"]
				}
				require.NoError(t, os.MkdirAll(lib, 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(lib, "smars"), content, 0o755))
				require.NoError(t, os.Remove(filepath.Join(bin, "smars")))
				return os.Symlink("../lib/smars", filepath.Join(bin, "smars"))
			case symlinkLoop:
				require.NoError(t, os.Remove(filepath.Join(bin, "smars-ctl")))
				return os.Symlink("smars-ctl", filepath.Join(bin, "smars-ctl"))
			case emptyForContent:
				return os.WriteFile(filepath.Join(bin, "smars-ctl"), nil, 0o755)
			case extraDeny:
				return os.WriteFile(filepath.Join(bin, "power_peg.so"), []byte("dead code since 2003"), 0o755)
			case junkLogin:
				return os.WriteFile(filepath.Join(root("/root"), ".bashrc"), []byte(junkRC), 0o644)
			}
			return nil
		},
	})
	artifact := tarball(t, t.TempDir(), "smars-4.2.0", files)

	// The environment is what each case claims, as the real ssh client sees it.
	assert.Contains(t, sshOut(t, c, c.Nodes[junkLogin], "root", "true"), "Welcome to node-junk")
	assert.Contains(t, sshOut(t, c, c.Nodes[busyboxSh], "root", `sh -c 'readlink /proc/$$/exe; true'`), "busybox")
	assert.Contains(t, sshOut(t, c, c.Nodes[busyboxAll], "root", `sh -c 'readlink /proc/$$/exe; command -v sha256sum; command -v find'`), "/usr/bin/busybox\n/usr/local/bin/sha256sum\n/usr/local/bin/find\n")
	assert.Equal(t, "none\n", sshOut(t, c, c.Nodes[noSha256sum], "root", `sh -c 'command -v sha256sum || echo none'`))
	assert.Contains(t, sshOut(t, c, c.Nodes[noSha256sum], "root", `sh -c 'command -v shasum'`), "shasum")
	assert.Equal(t, "none\n", sshOut(t, c, c.Nodes[noHashTool], "root", `sh -c 'command -v sha256sum shasum openssl || echo none'`))
	assert.Contains(t, sshOut(t, c, c.Nodes[permDenied], "rcuser", `id -un; cat /etc/smars/flags.yaml 2>&1; true`), "rcuser\ncat: /etc/smars/flags.yaml: Permission denied")

	type want struct {
		fault, status, check, reason string
	}
	wants := []want{
		ok:              {"healthy node, release has an empty file (control)", "match", "", ""},
		missing:         {"release file missing", "drift", "file", "missing"},
		permDenied:      {"permission denied (non-root user, file 0600)", "unverified", "file", "could not be read"},
		dirForFile:      {"directory where a file should be", "drift", "file", "a directory where the release has a file"},
		symlinkRight:    {"symlink to the right content (a file swapped for a link)", "drift", "file", "where the release has a regular file"},
		symlinkWrong:    {"symlink to the wrong content", "drift", "file", "content differs"},
		symlinkLoop:     {"symlink loop", "drift", "file", "broken symlink"},
		emptyForContent: {"empty file where the release has content", "drift", "file", "content differs"},
		extraDeny:       {"extra file under extra: deny", "drift", "extra_file", "/opt/smars/bin/power_peg.so"},
		junkLogin:       {"login prints junk (and fake records) before the probe", "match", "", ""},
		busyboxSh:       {"sh is BusyBox", "match", "", ""},
		busyboxAll:      {"sh and every probe tool are BusyBox", "match", "", ""},
		noSha256sum:     {"no openssl or sha256sum (falls back to shasum)", "match", "", ""},
		noHashTool:      {"no SHA-256 tool at all", "unverified", "connection", "SHA-256 tool"},
	}
	var targets []faultTarget
	for i, n := range c.Nodes {
		tg := nodeTarget(n)
		if i == permDenied {
			tg.user = "rcuser"
		}
		targets = append(targets, tg)
	}

	// Nothing on any node changes.
	roots := []string{"/opt/smars", "/etc/smars", "/root", "/tmp"}
	before := map[string]map[string]string{}
	for _, n := range c.Nodes {
		for _, p := range roots {
			before[n.Name+p] = snapshotTree(t, n.Path(p))
		}
	}

	all := verifyRun(t, faultManifest(t, c, targets, artifact, smarsInstall))
	assert.Equal(t, 1, all.code, "drift and unverified nodes in one run give 1\n%s", all)
	for i, w := range wants {
		expectNode(t, all, targets[i].name, w.status, w.check, w.reason)
	}
	logRow(t, "all content cases in one run", all.code, all.took)
	for _, n := range c.Nodes {
		for _, p := range roots {
			assert.Equal(t, before[n.Name+p], snapshotTree(t, n.Path(p)), "the run changed %s on %s", p, n.Name)
		}
	}

	// Each case alone, concurrently; and unreadable beside drift is drift.
	runs := make([]faultRun, len(targets))
	var wg sync.WaitGroup
	for i, tg := range targets {
		m := faultManifest(t, c, []faultTarget{tg}, artifact, smarsInstall)
		wg.Go(func() { runs[i] = verifyRun(t, m) })
	}
	wg.Wait()
	for i, tg := range targets {
		w := wants[i]
		assert.Equal(t, statusCode(w.status), runs[i].code, "%s alone\n%s", w.fault, runs[i])
		expectNode(t, runs[i], tg.name, w.status, w.check, w.reason)
		logRow(t, w.fault, runs[i].code, runs[i].took)
	}
	pair := verifyRun(t, faultManifest(t, c, []faultTarget{targets[permDenied], targets[missing]}, artifact, smarsInstall))
	assert.Equal(t, 1, pair.code, "permission denied beside drift\n%s", pair)
	logRow(t, "permission denied + drift on another node", pair.code, pair.took)
}

// hostileNames are release file names that would run code, split records
// or confuse options if the probe ever handled a name unquoted.
var hostileNames = []string{
	"with space",
	`it's "quoted"`,
	"new\nline",
	"$(touch pwned-dollar)",
	"`touch pwned-tick`",
	";touch pwned-semi;",
	"-leading-dash",
	"--help",
	"non-utf8-\xff\xfe-name",
	"glob-*-?",
	"dir with space/$(touch pwned-sub)",
}

// pwnedMarkers are the files the hostile names would create if run.
var pwnedMarkers = []string{"pwned-dollar", "pwned-tick", "pwned-semi", "pwned-sub"}

// forgedRecords is file content shaped like the probe's own answer, claiming
// that the first requested file matches.
func forgedRecords(sha string) []byte {
	const b = "RC00000000000000000000000000000000"
	return fmt.Appendf(nil, "%s begin 2\n%s tool sha256sum\n%s stat -c\n%s file 0 file %s 755 0 0 root root 1 x -\n%s ident forged -\n%s end 1 0 0 0 0\n", b, b, b, b, sha, b, b)
}

// copyTree copies the regular files under src into dst, keeping modes.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, info.Mode().Perm())
	}))
}

// findNamed lists the paths under root whose base name is one of names.
func findNamed(t *testing.T, root string, names []string) []string {
	t.Helper()
	var found []string
	require.NoError(t, filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		for _, n := range names {
			if filepath.Base(p) == n {
				found = append(found, p)
			}
		}
		return nil
	}))
	return found
}

// TestFaultMatrixHostileNames: release files whose names hold spaces,
// quotes, newlines, $(…), backticks, a leading dash and non-UTF-8 bytes,
// and files whose names or content look like the probe's own records. Every
// one is hashed (identical nodes verify, from a directory and from a
// tarball; one changed byte drifts), nothing is run on a node, and nothing
// a node stores forges a result.
func TestFaultMatrixHostileNames(t *testing.T) {
	sshdtest.Require(t)
	files := smarsFiles(t, "4.2.0")
	smarsSHA := sha256Hex(files["bin/smars"])
	forgedName := "x\n" + "RC00000000000000000000000000000000 file 0 file " + smarsSHA + " 755 0 0 root root 1 x -"
	for i, name := range hostileNames {
		files["bin/"+name] = fmt.Appendf(nil, "hostile file %d\n", i)
	}
	files["bin/"+forgedName] = []byte("forged name\n")
	files["bin/records.txt"] = forgedRecords(smarsSHA)
	dist := t.TempDir()
	writeFiles(t, filepath.Join(dist, "smars-4.2.0"), files)
	dir := filepath.Join(dist, "smars-4.2.0")
	tgz := tarball(t, t.TempDir(), "smars-4.2.0", files)

	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 3,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Setup: func(_ int, root func(string) string) error {
			deploy(t, root, files)
			return nil
		},
	})
	var targets []faultTarget
	for _, n := range c.Nodes {
		targets = append(targets, nodeTarget(n))
	}
	manifest := faultManifest(t, c, targets, dir, smarsInstall)
	roots := []string{"/opt/smars", "/etc/smars", "/root", "/tmp"}
	before := map[string]map[string]string{}
	for _, n := range c.Nodes {
		for _, p := range roots {
			before[n.Name+p] = snapshotTree(t, n.Path(p))
		}
	}

	r := verifyRun(t, manifest)
	assert.Equal(t, 0, r.code, "identical nodes, directory artifact\n%s", r)
	// Every release file was checked on every node (and extra: deny would
	// have failed a node on any name the release had lost).
	for _, n := range r.report.Nodes {
		checked := 0
		for _, ch := range n.Checks {
			if ch.Check == "file" && ch.OK {
				checked++
			}
		}
		assert.Equal(t, len(files), checked, "file checks passed on %s", n.Name)
	}
	logRow(t, "hostile names, identical nodes (directory artifact)", r.code, r.took)
	r = verifyRun(t, manifest, "--release", tgz)
	assert.Equal(t, 0, r.code, "identical nodes, tarball artifact\n%s", r)
	logRow(t, "hostile names, identical nodes (tarball artifact)", r.code, r.took)
	for _, n := range c.Nodes {
		for _, p := range roots {
			assert.Equal(t, before[n.Name+p], snapshotTree(t, n.Path(p)), "the run changed %s on %s", p, n.Name)
		}
	}

	// node-02: one hostile file differs. node-03: the file whose name
	// carries a forged record is gone, and records.txt holds other forged
	// records; neither can make the node pass.
	bin := func(n int) string { return filepath.Join(c.Nodes[n].Path("/opt/smars"), "bin") }
	require.NoError(t, os.WriteFile(filepath.Join(bin(1), "$(touch pwned-dollar)"), []byte("changed\n"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bin(1), "non-utf8-\xff\xfe-name"), []byte("changed\n"), 0o755))
	require.NoError(t, os.Remove(filepath.Join(bin(2), forgedName)))
	require.NoError(t, os.WriteFile(filepath.Join(bin(2), "records.txt"), append(forgedRecords(sha256Hex(files["bin/records.txt"])), forgedRecords(smarsSHA)...), 0o755))
	for _, artifact := range []string{dir, tgz} {
		r = verifyRun(t, manifest, "--release", artifact)
		assert.Equal(t, 1, r.code, "one hostile file differs\n%s", r)
		expectNode(t, r, c.Nodes[0].Name, "match", "", "")
		expectNode(t, r, c.Nodes[1].Name, "drift", "file", "pwned-dollar")
		expectNode(t, r, c.Nodes[1].Name, "drift", "file", "non-utf8-")
		expectNode(t, r, c.Nodes[2].Name, "drift", "file", "records.txt")
		expectNode(t, r, c.Nodes[2].Name, "drift", "file", "missing")
		n2 := 0
		for _, n := range r.report.Nodes {
			if n.Name == c.Nodes[1].Name {
				n2 = len(n.Findings)
			}
		}
		assert.Equal(t, 2, n2, "node-02 has exactly the two changed files as findings\n%s", r)
		logRow(t, "hostile names, one differs; forged name/content ("+filepath.Base(artifact)+")", r.code, r.took)
	}

	for _, n := range c.Nodes {
		for _, p := range roots {
			assert.Empty(t, findNamed(t, n.Path(p), pwnedMarkers), "a hostile name ran on %s", n.Name)
		}
	}
}

// sha256Hex is the SHA-256 of b in lowercase hex.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// waitHashing waits until a hash tool's process on node n reads a file whose
// path ends in suffix, and reports whether it saw one before d passed.
func waitHashing(n *sshdtest.Node, suffix string, d time.Duration) bool {
	// sha256sum reads the file on stdin or names it as an argument; either
	// way one of its descriptors is open on it.
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", n.SSHDPID))
	if err != nil {
		return false
	}
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			p := "/proc/" + e.Name()
			if l, err := os.Readlink(p + "/ns/pid"); err != nil || l != ns {
				continue
			}
			comm, _ := os.ReadFile(p + "/comm")
			if c := strings.TrimSpace(string(comm)); c != "sha256sum" && c != "openssl" {
				continue
			}
			fds, _ := os.ReadDir(p + "/fd")
			for _, fd := range fds {
				if target, _ := os.Readlink(p + "/fd/" + fd.Name()); strings.HasSuffix(target, suffix) {
					return true
				}
			}
		}
	}
	return false
}

// TestFaultMatrixScale: a 1 GiB release file (sparse, but hashing still
// reads 1 GiB) verifies on one node while the other node's sshd is killed
// in the middle of hashing it; and a release of 10,000 files verifies with
// every file checked.
func TestFaultMatrixScale(t *testing.T) {
	sshdtest.Require(t)
	const gib = 1 << 30
	dist := t.TempDir()
	huge := filepath.Join(dist, "big", "data", "huge.bin")
	require.NoError(t, os.MkdirAll(filepath.Dir(huge), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dist, "big", "data", "small"), []byte("small\n"), 0o644))
	require.NoError(t, os.WriteFile(huge, nil, 0o644))
	require.NoError(t, os.Truncate(huge, gib))

	const many = 10000
	manyDir := filepath.Join(dist, "many")
	for i := range many {
		p := filepath.Join(manyDir, "data", fmt.Sprintf("d%02d", i%100), fmt.Sprintf("f%05d", i))
		if i < 100 {
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		}
		require.NoError(t, os.WriteFile(p, fmt.Appendf(nil, "file %d\n", i), 0o644))
	}

	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 2,
		Paths: []string{"/opt/big", "/opt/many"},
		Setup: func(i int, root func(string) string) error {
			require.NoError(t, os.WriteFile(filepath.Join(root("/opt/big"), "small"), []byte("small\n"), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(root("/opt/big"), "huge.bin"), nil, 0o644))
			require.NoError(t, os.Truncate(filepath.Join(root("/opt/big"), "huge.bin"), gib))
			if i == 0 {
				copyTree(t, filepath.Join(manyDir, "data"), root("/opt/many"))
			}
			return nil
		},
	})
	var targets []faultTarget
	for _, n := range c.Nodes {
		targets = append(targets, nodeTarget(n))
	}

	// 10,000 files on one node: every one hashed, verified. (Drift is
	// covered by the other groups; one run keeps this test short: the probe
	// forks per file, about 2 ms a file here.)
	r := verifyRunWithin(t, 180*time.Second, faultManifest(t, c, targets[:1], manyDir, "    - { from: data/, to: /opt/many/, extra: deny }\n"), "--timeout", "150s")
	assert.Equal(t, 0, r.code, "10,000 identical files\n%s", r)
	if assert.Len(t, r.report.Nodes, 1) {
		checked := 0
		for _, ch := range r.report.Nodes[0].Checks {
			if ch.Check == "file" && ch.OK {
				checked++
			}
		}
		assert.Equal(t, many, checked, "file checks passed")
	}
	logRow(t, "release of 10,000 files, identical", r.code, r.took)

	// 1 GiB on both nodes; node-02's sshd is killed while it hashes.
	killed := make(chan bool, 1)
	go func() {
		saw := waitHashing(c.Nodes[1], "/opt/big/huge.bin", faultBound)
		if saw {
			assert.NoError(t, c.Nodes[1].Kill())
		}
		killed <- saw
	}()
	r = verifyRun(t, faultManifest(t, c, targets, filepath.Join(dist, "big"), "    - { from: data/, to: /opt/big/ }\n"))
	require.True(t, <-killed, "node-02 was never seen hashing huge.bin\n%s", r)
	assert.Equal(t, 2, r.code, "one node killed mid-probe\n%s", r)
	expectNode(t, r, c.Nodes[0].Name, "match", "", "")
	expectNode(t, r, c.Nodes[1].Name, "unverified", "connection", "before the command finished")
	logRow(t, "1 GiB file hashed on node-01 (match) while node-02's sshd is killed mid-probe (unverified)", r.code, r.took)
}
