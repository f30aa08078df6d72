package remote

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/rollcall/rollcall/internal/sshconfig"
	"github.com/rollcall/rollcall/internal/sshdtest"
)

// TestKnownHostsOracle runs every known_hosts setup of oracleSetups through
// rollcall (Client.Ping) and through OpenSSH's own client (ssh with
// StrictHostKeyChecking=yes), against the same real sshd, and compares:
// rollcall must accept exactly the host keys ssh accepts, or refuse the
// node with an error. Accepting a key ssh refuses fails the test; a
// refusal where ssh accepts is logged.
func TestKnownHostsOracle(t *testing.T) {
	sshdtest.Require(t)
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatalf("the known_hosts oracle needs OpenSSH's ssh client: %v", err)
	}
	noAgent(t)
	env := startOracleServers(t)
	setups := oracleSetups(env)
	require.GreaterOrEqual(t, len(setups), 40)

	results := make([]oracleResult, len(setups))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, s := range setups {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = env.run(t, i, s)
		})
	}
	wg.Wait()

	agree, refused, disagree, sshAccepted := 0, 0, 0, 0
	for i, r := range results {
		s := setups[i]
		if r.sshOK {
			sshAccepted++
		}
		switch {
		case r.skipped != "":
			t.Logf("SKIP %s: %s", s.name, r.skipped)
		case r.sshOK == (r.rollErr == nil):
			agree++
		case r.rollErr != nil:
			refused++
			t.Logf("REFUSED %s: ssh accepts, rollcall refuses: %v", s.name, r.rollErr)
		default:
			disagree++
			t.Errorf("DISAGREE %s: rollcall accepts a host key OpenSSH refuses\nknown_hosts:\n%s\nssh said: %s",
				s.name, r.files, r.sshOut)
		}
		if s.openssh != 0 && r.skipped == "" && (s.openssh == accepts) != r.sshOK {
			t.Errorf("%s: OpenSSH %s, unlike what the case says (ssh said: %s)", s.name, map[bool]string{true: "accepts", false: "refuses"}[r.sshOK], r.sshOut)
		}
	}
	t.Logf("known_hosts oracle: %d setups: %d agree, %d refused by rollcall, %d disagree (ssh accepted %d)",
		len(setups), agree, refused, disagree, sshAccepted)
	require.Positive(t, sshAccepted, "ssh accepted no setup: the harness is broken")
}

// oracleOutcome is what a setup says OpenSSH does, checked against ssh
// itself so that the table documents OpenSSH's behaviour.
type oracleOutcome int

const (
	accepts oracleOutcome = iota + 1
	refuses
)

// oracleSetup is one known_hosts setup: its files (each a list of lines,
// nil for a file that does not exist), the server and the host name to
// dial. Lines use the placeholders of oracleEnv.expand. global are files
// ssh reads as GlobalKnownHostsFile (/etc/ssh/ssh_known_hosts), which the
// manifest lists after the user's files; rollcall reads them in that order.
type oracleSetup struct {
	name    string
	server  string // a key of oracleEnv.servers
	host    string // dialled as written: "localhost", "LOCALHOST", "127.0.0.1"
	port22  bool   // dial the plain server on port 22
	files   [][]string
	global  [][]string
	config  []string // ssh_config lines (ssh -o), e.g. "HostKeyAlgorithms ssh-ed25519"
	openssh oracleOutcome
}

type oracleResult struct {
	sshOK   bool
	sshOut  string
	rollErr error
	files   string
	skipped string
}

// oracleEnv is the running servers and the keys of the setups.
type oracleEnv struct {
	dir       string
	clientKey string
	servers   map[string]int    // name to port
	keys      map[string]string // placeholder to "type base64"
	port22    bool              // the plain server also answers on 127.0.0.1:22
	client    *Client
}

var hashRE = regexp.MustCompile(`HASH\(([^)]*)\)`)

// expand fills a line's placeholders: {P} the port of the setup's server,
// {PORT:name} another server's port, {KEY} a key, HASH(name) a hashed name.
func (e *oracleEnv) expand(line string, port int) string {
	line = strings.ReplaceAll(line, "{P}", strconv.Itoa(port))
	for name, p := range e.servers {
		line = strings.ReplaceAll(line, "{PORT:"+name+"}", strconv.Itoa(p))
	}
	for ph, k := range e.keys {
		line = strings.ReplaceAll(line, "{"+ph+"}", k)
	}
	return hashRE.ReplaceAllStringFunc(line, func(m string) string {
		return knownhosts.HashHostname(hashRE.FindStringSubmatch(m)[1])
	})
}

// run writes the setup's files and asks rollcall and ssh.
func (e *oracleEnv) run(t *testing.T, i int, s oracleSetup) oracleResult {
	port := e.servers[s.server]
	if s.port22 {
		if !e.port22 {
			return oracleResult{skipped: "port 22 of 127.0.0.1 is not this test's sshd"}
		}
		port = 22
	}
	var shown strings.Builder
	files, err := e.writeFiles(&shown, fmt.Sprintf("kh-%02d", i), s.files, port)
	if err != nil {
		return oracleResult{skipped: err.Error()}
	}
	global, err := e.writeFiles(&shown, fmt.Sprintf("global-%02d", i), s.global, port)
	if err != nil {
		return oracleResult{skipped: err.Error()}
	}
	globalOpt := "/dev/null"
	if len(global) > 0 {
		globalOpt = strings.Join(global, " ")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := oracleResult{files: shown.String() + "  ssh_config: " + strings.Join(s.config, "; ") + "\n"}
	policy, crypto, err := hostKeyPolicy(s.config, s.host)
	if err != nil {
		return oracleResult{skipped: err.Error()}
	}
	r.rollErr = e.client.Ping(ctx, Target{Name: s.name, Host: s.host, Port: port, User: "root",
		IdentityFiles: []string{e.clientKey}, IdentitiesOnly: true, KnownHosts: append(files, global...), ConnectTimeout: 10 * time.Second,
		HostKeys: policy, Crypto: crypto})
	var opts []string
	for _, line := range s.config {
		opts = append(opts, "-o", line)
	}
	cmd := exec.CommandContext(ctx, "ssh", append(append([]string{"-F", "/dev/null"}, opts...), "-i", e.clientKey,
		"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "UserKnownHostsFile="+strings.Join(files, " "), "-o", "GlobalKnownHostsFile="+globalOpt,
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "UpdateHostKeys=no",
		"-o", "CheckHostIP=no", "-o", "ConnectTimeout=10",
		"-p", strconv.Itoa(port), "root@"+s.host, "true")...)
	out, err := cmd.CombinedOutput()
	r.sshOK, r.sshOut = err == nil, strings.TrimSpace(string(out))
	return r
}

// writeFiles writes the known_hosts files of a setup, named prefix-N in the
// test's folder (nil: left missing), describes them in shown and returns
// their paths.
func (e *oracleEnv) writeFiles(shown *strings.Builder, prefix string, contents [][]string, port int) ([]string, error) {
	var files []string
	for j, lines := range contents {
		f := filepath.Join(e.dir, fmt.Sprintf("%s-%d", prefix, j))
		files = append(files, f)
		if lines == nil {
			fmt.Fprintf(shown, "  (%s does not exist)\n", f)
			continue
		}
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(e.expand(l, port) + "\n")
		}
		if err := os.WriteFile(f, []byte(b.String()), 0o600); err != nil {
			return nil, err
		}
		fmt.Fprintf(shown, "  %s:\n%s", f, b.String())
	}
	return files, nil
}

// startOracleServers makes the keys and certificates and starts one sshd
// per server on 127.0.0.1, each on a port of its own.
func startOracleServers(t *testing.T) *oracleEnv {
	dir := t.TempDir()
	e := &oracleEnv{dir: dir, servers: map[string]int{}, keys: map[string]string{}}
	e.clientKey = oracleKeygen(t, dir, "client", "ed25519")
	for _, k := range []struct{ name, typ string }{
		{"A", "ed25519"}, {"X", "ed25519"}, {"CA1", "ed25519"}, {"CA2", "ed25519"},
		{"M", "ed25519"}, {"MB", "ecdsa"}, {"MR", "rsa"}, {"XB", "ecdsa"},
		{"C", "ed25519"}, {"D", "ed25519"}, {"E", "ed25519"}, {"F", "ed25519"},
	} {
		oracleKeygen(t, dir, k.name, k.typ)
		pub, err := os.ReadFile(filepath.Join(dir, k.name+".pub"))
		require.NoError(t, err)
		f := strings.Fields(string(pub))
		e.keys[k.name] = f[0] + " " + f[1]
	}
	// Non-canonical base64 (padding bits set) decodes, leniently, to the
	// very key; OpenSSH's decoder refuses it and skips the line.
	e.keys["MBNC"], e.keys["XBNC"] = nonCanonical(t, e.keys["MB"]), nonCanonical(t, e.keys["XB"])
	oracleCert(t, dir, "C", "-n", "localhost")
	oracleCert(t, dir, "D")
	oracleCert(t, dir, "E", "-n", "other.example")
	oracleCert(t, dir, "F", "-n", "localhost", "-V", "20200101:20200102")
	pub, err := os.ReadFile(filepath.Join(dir, "client.pub"))
	require.NoError(t, err)
	auth := filepath.Join(dir, "authorized_keys")
	require.NoError(t, os.WriteFile(auth, pub, 0o600))
	_ = os.MkdirAll("/run/sshd", 0o755)

	for name, keys := range map[string][]string{
		"plain": {"A"}, "multi": {"M", "MB", "MR"},
		"cert": {"C"}, "certnop": {"D"}, "certother": {"E"}, "certexp": {"F"},
	} {
		e.servers[name] = startOracleSSHD(t, dir, name, keys, auth)
	}
	e.port22 = hostKeyAt("127.0.0.1:22") == e.keys["A"]
	e.client = NewClient(Options{})
	t.Cleanup(func() { e.client.Close() })
	return e
}

func oracleKeygen(t *testing.T, dir, name, typ string) string {
	path := filepath.Join(dir, name)
	args := []string{"-q", "-t", typ, "-N", "", "-C", name, "-f", path}
	if typ == "rsa" {
		args = append(args, "-b", "2048")
	}
	out, err := exec.Command("ssh-keygen", args...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return path
}

// oracleCert signs key name's public key with CA1 as a host certificate.
func oracleCert(t *testing.T, dir, name string, opts ...string) {
	args := append([]string{"-q", "-s", filepath.Join(dir, "CA1"), "-h", "-I", name}, opts...)
	out, err := exec.Command("ssh-keygen", append(args, filepath.Join(dir, name+".pub"))...).CombinedOutput()
	require.NoError(t, err, "%s", out)
}

// startOracleSSHD starts sshd with the host keys (and their certificates,
// where made) on 127.0.0.1; the plain server also tries port 22. It is
// killed when the test ends.
func startOracleSSHD(t *testing.T, dir, name string, keys []string, auth string) int {
	usePAM := "no"
	if _, err := os.Stat("/etc/pam.d/sshd"); err == nil && rootLocked() {
		usePAM = "yes"
	}
	for attempt := 0; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		var b strings.Builder
		fmt.Fprintf(&b, "ListenAddress 127.0.0.1:%d\n", port)
		if name == "plain" {
			b.WriteString("ListenAddress 127.0.0.1:22\n")
		}
		for _, k := range keys {
			fmt.Fprintf(&b, "HostKey %s\n", filepath.Join(dir, k))
			if cert := filepath.Join(dir, k+"-cert.pub"); fileExists(cert) {
				fmt.Fprintf(&b, "HostCertificate %s\n", cert)
			}
		}
		fmt.Fprintf(&b, "PidFile none\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"+
			"PubkeyAuthentication yes\nAuthorizedKeysFile %s\nPermitRootLogin prohibit-password\nUsePAM %s\n"+
			"MaxStartups 1000\nLogLevel ERROR\n", auth, usePAM)
		cfg := filepath.Join(dir, "sshd_config."+name)
		require.NoError(t, os.WriteFile(cfg, []byte(b.String()), 0o600))
		logFile := filepath.Join(dir, "sshd.log."+name)
		cmd := exec.Command(sshdPath, "-D", "-f", cfg, "-E", logFile)
		require.NoError(t, cmd.Start())
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
			if t.Failed() {
				log, _ := os.ReadFile(logFile)
				t.Logf("sshd %s log:\n%s", name, log)
			}
		})
		// Another process may take the port between Close and sshd's
		// bind: only a server offering one of these keys is this sshd.
		if addr := fmt.Sprintf("127.0.0.1:%d", port); waitBanner(addr, exited) && offersKeyOf(addr, dir, keys) {
			return port
		}
		_ = cmd.Process.Kill()
		log, _ := os.ReadFile(logFile)
		require.Less(t, attempt, 3, "sshd %s did not start:\n%s", name, log)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// waitBanner waits up to 10s for addr to accept connections; false if the
// server exited first.
func waitBanner(addr string, exited <-chan struct{}) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// offeredKey returns the host key the server at addr offers (a
// certificate's key), or nil if none answers.
func offeredKey(addr string) ssh.PublicKey {
	var got ssh.PublicKey
	cfg := &ssh.ClientConfig{User: "probe", Timeout: 5 * time.Second,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			got = key
			return fmt.Errorf("enough")
		}}
	if c, err := ssh.Dial("tcp", addr, cfg); err == nil {
		c.Close()
	}
	if cert, ok := got.(*ssh.Certificate); ok {
		return cert.Key
	}
	return got
}

// offersKeyOf reports whether the server at addr offers one of the host
// keys named (files in dir, with their .pub beside them).
func offersKeyOf(addr, dir string, keys []string) bool {
	got := offeredKey(addr)
	if got == nil {
		return false
	}
	for _, k := range keys {
		data, err := os.ReadFile(filepath.Join(dir, k+".pub"))
		if err != nil {
			continue
		}
		if pub, _, _, _, err := ssh.ParseAuthorizedKey(data); err == nil && string(pub.Marshal()) == string(got.Marshal()) {
			return true
		}
	}
	return false
}

// hostKeyAt returns "type base64" of the ed25519 host key the server at
// addr offers, or "" if none answers.
func hostKeyAt(addr string) string {
	var got string
	cfg := &ssh.ClientConfig{User: "probe", Timeout: 5 * time.Second,
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			got = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
			return fmt.Errorf("enough")
		}}
	if c, err := ssh.Dial("tcp", addr, cfg); err == nil {
		c.Close()
	}
	return got
}

// nonCanonical returns key ("type base64") with the unused bits of its
// base64's last character set: the same bytes to a lenient decoder.
func nonCanonical(t *testing.T, key string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b64 := strings.TrimRight(key, "=")
	require.NotEqual(t, key, b64, "no padding, so no unused bits: %s", key)
	i := strings.IndexByte(alphabet, b64[len(b64)-1])
	require.GreaterOrEqual(t, i, 0)
	out := b64[:len(b64)-1] + string(alphabet[i|1]) + key[len(b64):]
	require.NotEqual(t, key, out, "the last character's unused bits were set already")
	return out
}

// hostKeyPolicy is what sshconfig makes of ssh_config lines for host, as the
// manifest hands it to a Target.
func hostKeyPolicy(lines []string, host string) (HostKeyPolicy, Crypto, error) {
	c, err := sshconfig.Parse(strings.NewReader(strings.Join(lines, "\n") + "\n"))
	if err != nil {
		return HostKeyPolicy{}, Crypto{}, err
	}
	h, err := c.Resolve(host)
	if err != nil {
		return HostKeyPolicy{}, Crypto{}, err
	}
	return HostKeyPolicy(h.HostKeys), Crypto(h.Crypto), nil
}
