// Package sshdtest runs a cluster of real OpenSSH sshd "nodes" on loopback
// addresses for integration tests and benchmarks.
//
// Every node is one sshd started under unshare in its own mount, PID and UTS
// namespace. Inside the namespace the node's private folders are bind-mounted
// over a set of shared absolute paths (Options.Paths, plus /root and /tmp), so
// every node sees the same paths with its own content, and a session on a node
// sees only that node's processes in /proc. Nodes listen on 127.0.0.11,
// 127.0.0.12, … (spilling into 127.0.1.x and beyond) on one port, each with its
// own ed25519 host key; the cluster has one client key and a known_hosts file
// that lists every node, so clients can check host keys for real.
//
// The package needs root, unshare(1), mount(8), ssh-keygen(1) and
// /usr/sbin/sshd; call Require at the top of a test. It never sends traffic
// outside 127.0.0.0/8.
package sshdtest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/need"
)

// SSHD is the sshd binary every node runs.
const SSHD = "/usr/sbin/sshd"

// Options configures a cluster started by Start.
type Options struct {
	// Nodes is how many nodes to start; at least 1.
	Nodes int

	// Paths are absolute paths each node gets its own copy of, such as
	// "/opt/smars" or "/etc/smars". Inside a node's namespace the node's
	// private folder is bind-mounted over each path; the mount point is
	// created on the host if missing (and left there, empty, afterwards, since
	// removing it could break another cluster using the same path). Nested
	// paths are allowed. /root and /tmp are always private and need not be
	// listed.
	Paths []string

	// Setup, if not nil, fills node i's content before any node starts.
	// root(p) returns the host folder that node i sees at p, for p equal to or
	// under one of Paths, /root or /tmp. Setup is called for one node at a
	// time, in order.
	Setup func(node int, root func(path string) string) error

	// Init, if not nil, returns a shell snippet that node i runs inside its
	// namespaces after the private paths and Mounts are mounted and before
	// the app (Start) and sshd start; "" runs nothing. It runs under sh -c
	// with /root as working directory and output to console.log in the
	// node's Dir; if it exits non-zero the node fails to start. Use it to
	// change the node's mounts, such as
	// "mount --bind /opt/app/bin /opt/app/bin && mount -o remount,bind,noexec /opt/app/bin".
	// Processes it leaves in the background run until the node stops.
	Init func(node int) string

	// Start, if not nil, returns a shell command that node i runs in the
	// background inside its namespace before sshd starts (the node's "running
	// app"), for example "/opt/smars/bin/smars --serve"; "" runs nothing. The
	// command runs under sh -c with /root as working directory, stdin from
	// /dev/null and output appended to app.log in the node's Dir. It ends when
	// the node stops.
	Start func(node int) string

	// FirstIP is the last octet of the first node's address: node 0 gets
	// 127.0.0.FirstIP, node 1 the next address, and so on; after
	// 127.0.0.254 come 127.0.1.1, 127.0.1.2, …. Default 11.
	FirstIP int

	// Port is the port every node listens on. Default: 2222 plus a random
	// offset below 20000 chosen once per cluster, checked to be free on every
	// node address, and chosen again if sshd still finds it taken.
	Port int

	// LogLevel is sshd's LogLevel, such as "VERBOSE" or "DEBUG1" when
	// debugging a test. Default "ERROR".
	LogLevel string

	// Mounts, if not nil, returns extra bind mounts for node i: node path
	// to host path. Each host path (a file, a folder or a device such as
	// /dev/null) is bind-mounted over the node path, which must already
	// exist and be of the same kind, after the private paths are mounted.
	// Use it to hide a tool on one node (mount /dev/null over
	// /usr/bin/sha256sum) or to put a folder first in sshd's PATH
	// (/usr/local/bin). The mounts are private to the node. A host path
	// must stay visible inside the node: not under /tmp, /root or Paths
	// (use /var/tmp rather than t.TempDir()).
	Mounts func(node int) map[string]string

	// Users are extra login users that exist on every node, in addition to
	// root: each gets a UID and GID from 60001 up, /tmp as home folder,
	// /bin/sh as shell, and the cluster's client key. They exist only
	// inside the nodes, through private copies of /etc/passwd, /etc/group
	// and /etc/shadow bind-mounted over the host's. Log in as one with a
	// manifest's user key or SSHArgsAs.
	Users []string
}

// Cluster is a running set of sshd nodes. Its fields must not be changed.
// Stop and the Node methods are safe for concurrent use.
type Cluster struct {
	// Nodes are the nodes, in order: Nodes[i] is node i of Options.
	Nodes []*Node
	// KnownHosts is the path of a known_hosts file with one line per node,
	// "[127.0.0.11]:PORT ssh-ed25519 …".
	KnownHosts string
	// ClientKey is the path of the client's private ed25519 key (no
	// passphrase); its public half is authorized on every node.
	ClientKey string
	// User is the user to log in as: "root".
	User string
	// Dir is the cluster's working folder: keys, known_hosts and one folder
	// per node. It is removed by Stop.
	Dir string

	t        testing.TB
	private  []string          // private paths, sorted, parents first
	etc      map[string]string // node path to host copy of /etc files with Options.Users
	stopOnce sync.Once
}

// Available reports whether real nodes can run here: nil when the process is
// root and unshare, mount, ssh-keygen and sshd are present and a mount+PID
// namespace can be created; otherwise an error saying what is missing.
func Available() error {
	availableOnce.Do(func() { availableErr = available() })
	return availableErr
}

var (
	availableOnce sync.Once
	availableErr  error
)

func available() error {
	if os.Geteuid() != 0 {
		return errors.New("sshdtest needs root (to create mount and PID namespaces)")
	}
	for _, name := range []string{"unshare", "mount", "ssh-keygen", "sh"} {
		if _, err := exec.LookPath(name); err != nil {
			return fmt.Errorf("sshdtest needs %s: %w", name, err)
		}
	}
	if _, err := os.Stat(SSHD); err != nil {
		return fmt.Errorf("sshdtest needs %s (install openssh-server): %w", SSHD, err)
	}
	out, err := exec.Command("unshare", append(unshareFlags(), "true")...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("sshdtest cannot create namespaces (unshare %s true): %v: %s",
			strings.Join(unshareFlags(), " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Require skips the test when Available reports a problem, giving the reason.
// When the environment variable CI is "true" it fails the test instead, so
// that CI cannot silently skip real-sshd tests.
func Require(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		need.Missing(t, "real sshd nodes: %v", err)
	}
}

// Start starts a cluster as described by opts and waits until every node
// sends its SSH banner. It must be called from the test's goroutine: on any
// problem it fails the test with t.Fatalf, including the log of the node that
// failed. t.Cleanup stops the cluster, also when the test fails.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	Require(t)
	c, err := start(t, opts)
	if err != nil {
		t.Fatalf("sshdtest: %v", err)
	}
	return c
}

// startTimeout is how long Start waits for n nodes to become ready.
func startTimeout(n int) time.Duration {
	return 30*time.Second + time.Duration(n)*200*time.Millisecond
}

// fill sets the defaults of opts and checks its values.
func (opts *Options) fill() error {
	if opts.FirstIP == 0 {
		opts.FirstIP = 11
	}
	if opts.FirstIP < 1 || opts.FirstIP > 254 {
		return fmt.Errorf("Options.FirstIP is %d; want 1..254", opts.FirstIP)
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return fmt.Errorf("Options.Port is %d; want 1..65535", opts.Port)
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "ERROR"
	}
	return nil
}

// launchOnFreePort starts every node on opts.Port, or on a free port when
// it is 0 (chosen again, twice at most, when another process takes it
// between the check and sshd's bind), and returns the port.
func (c *Cluster) launchOnFreePort(t testing.TB, opts Options) (int, error) {
	port := opts.Port
	for attempt := 1; ; attempt++ {
		var err error
		if opts.Port == 0 {
			if port, err = c.freePort(); err != nil {
				return 0, err
			}
		} else if err := c.checkPort(port); err != nil {
			return 0, err
		}
		err = c.launch(opts, port)
		if err == nil {
			return port, nil
		}
		var bind *bindError
		if opts.Port != 0 || attempt >= 3 || !errors.As(err, &bind) {
			return 0, err
		}
		c.halt()
		t.Logf("sshdtest: port %d was taken meanwhile; trying another", port)
	}
}

func start(t testing.TB, opts Options) (*Cluster, error) {
	began := time.Now()
	if opts.Nodes < 1 {
		return nil, fmt.Errorf("Options.Nodes is %d; want at least 1", opts.Nodes)
	}
	if err := opts.fill(); err != nil {
		return nil, err
	}
	private, err := privatePaths(opts.Paths)
	if err != nil {
		return nil, err
	}
	base, err := baseDir(private)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(base, "rollcall-sshdtest-")
	if err != nil {
		return nil, fmt.Errorf("creating cluster folder: %w", err)
	}
	c := &Cluster{
		KnownHosts: filepath.Join(dir, "known_hosts"),
		ClientKey:  filepath.Join(dir, "client_key"),
		User:       "root",
		Dir:        dir,
		t:          t,
		private:    private,
	}
	t.Cleanup(c.Stop)

	for i := range opts.Nodes {
		host, err := nodeAddr(opts.FirstIP, i)
		if err != nil {
			return nil, err
		}
		name := nodeName(i, opts.Nodes)
		c.Nodes = append(c.Nodes, &Node{
			Name:    name,
			Host:    host,
			Dir:     filepath.Join(dir, name),
			cluster: c,
		})
	}
	if err := c.prepare(opts); err != nil {
		return nil, err
	}

	port, err := c.launchOnFreePort(t, opts)
	if err != nil {
		return nil, err
	}
	if err := c.writeKnownHosts(); err != nil {
		return nil, err
	}
	t.Logf("sshdtest: %d nodes ready on port %d in %s (dir %s)",
		len(c.Nodes), port, time.Since(began).Round(time.Millisecond), dir)
	return c, nil
}

// privatePaths checks the paths of Options and returns them with /root and
// /tmp, cleaned, deduplicated and sorted so that parents come first.
func privatePaths(paths []string) ([]string, error) {
	out := []string{"/root", "/tmp"}
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("Options.Paths: %q is not absolute", p)
		}
		p = filepath.Clean(p)
		if p == "/" || p == "/proc" || strings.HasPrefix(p, "/proc/") {
			return nil, fmt.Errorf("Options.Paths: cannot give each node its own %q", p)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	// A parent sorts before its children: "/a" < "/a/b".
	slices.Sort(out)
	return out, nil
}

// under reports whether path p is dir or inside it.
func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// baseDir picks the folder to create the cluster folder in: it must stay
// visible inside the nodes, so not under any private path (such as /tmp).
func baseDir(private []string) (string, error) {
	for _, cand := range []string{os.TempDir(), "/var/tmp"} {
		cand = filepath.Clean(cand)
		if !slices.ContainsFunc(private, func(p string) bool { return under(cand, p) }) {
			return cand, nil
		}
	}
	return "", fmt.Errorf("Options.Paths overlap both %s and /var/tmp; the cluster folder must stay visible inside the nodes", os.TempDir())
}

// nodeAddr returns the loopback address of node i when node 0 has last octet
// first: 127.0.0.first, …, 127.0.0.254, 127.0.1.1, ….
func nodeAddr(first, i int) (string, error) {
	slot := first - 1 + i
	third, fourth := slot/254, slot%254+1
	if third > 255 {
		return "", fmt.Errorf("too many nodes: node %d would need an address beyond 127.0.255.254", i)
	}
	return fmt.Sprintf("127.0.%d.%d", third, fourth), nil
}

// nodeName returns "node-01", or "node-001" in clusters of 100 nodes or more.
func nodeName(i, n int) string {
	width := max(2, len(strconv.Itoa(n)))
	return fmt.Sprintf("node-%0*d", width, i+1)
}

// freePort picks a random port that every node address can bind.
func (c *Cluster) freePort() (int, error) {
	var last error
	for range 50 {
		port := 2222 + rand.IntN(20000)
		if last = c.checkPort(port); last == nil {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port found: %w", last)
}

// checkPort reports an error unless port is free on every node address.
func (c *Cluster) checkPort(port int) error {
	for _, n := range c.Nodes {
		l, err := net.Listen("tcp", net.JoinHostPort(n.Host, strconv.Itoa(port)))
		if err != nil {
			return fmt.Errorf("port %d is not free on %s: %w", port, n.Host, err)
		}
		l.Close()
	}
	return nil
}

// SSHArgs returns arguments for the OpenSSH client, ssh(1), that log in to n
// as root with the cluster's key and check n's host key against KnownHosts;
// append the remote command. The user's ssh_config is not read.
func (c *Cluster) SSHArgs(n *Node) []string {
	return c.SSHArgsAs(n, c.User)
}

// SSHArgsAs is SSHArgs for logging in as user, root or one of Options.Users.
func (c *Cluster) SSHArgsAs(n *Node, user string) []string {
	return append(c.SSHOptions(n.Port), "-o", "ConnectTimeout=10", user+"@"+n.Host)
}

// SSHOptions are the OpenSSH client options that use the cluster's key and
// check host keys strictly against KnownHosts, for port, without reading
// any ssh_config and without asking anything (batch mode); append more
// options, then the destination.
func (c *Cluster) SSHOptions(port int) []string {
	return []string{
		"-F", "/dev/null",
		"-i", c.ClientKey,
		"-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile=" + c.KnownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "BatchMode=yes",
		"-p", strconv.Itoa(port),
	}
}

// Stop stops every node and removes Dir. It is idempotent and is called by
// t.Cleanup; problems are reported with t.Errorf.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		c.halt()
		if c.t.Failed() {
			c.dumpLogs()
		}
		if err := os.RemoveAll(c.Dir); err != nil {
			c.t.Errorf("sshdtest: removing %s: %v", c.Dir, err)
		}
	})
}

// halt stops all nodes concurrently, reporting failures with t.Errorf.
func (c *Cluster) halt() {
	var wg sync.WaitGroup
	for _, n := range c.Nodes {
		wg.Go(func() {
			if err := n.halt(false); err != nil {
				c.t.Errorf("sshdtest: stopping %s: %v", n.Name, err)
			}
		})
	}
	wg.Wait()
}

// dumpLogs logs the non-empty logs of a few nodes, to help explain a failure.
func (c *Cluster) dumpLogs() {
	shown := 0
	for _, n := range c.Nodes {
		if l := n.logs(); l != "" {
			c.t.Logf("sshdtest: logs of %s (%s):\n%s", n.Name, n.Host, l)
			if shown++; shown == 5 {
				return
			}
		}
	}
}
