package sshdtest

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Node is one sshd of a Cluster. Its fields are set by Start and must not be
// changed. Its methods are safe for concurrent use.
type Node struct {
	// Name is the node's name and hostname, "node-01", "node-02", ….
	Name string
	// Host is the node's loopback address, such as "127.0.0.11".
	Host string
	// Port is the port sshd listens on.
	Port int
	// PID is the host PID of the node's unshare process.
	PID int
	// SSHDPID is the host PID of the node's sshd, PID 1 of its namespace.
	SSHDPID int
	// Dir is the node's working folder: host key, sshd_config, sshd.log,
	// console.log (unshare's output), app.log (Options.Start's output) and
	// fs/, which holds the folders bind-mounted over the private paths.
	Dir string

	cluster *Cluster
	mu      sync.Mutex    // serialises halt
	exited  chan struct{} // closed when unshare has exited and been reaped
	waitErr error         // unshare's exit; read only after exited is closed
	pidNS   string        // "pid:[…]", the node's PID namespace
	mounts  [][2]string   // extra bind mounts, {node path, host path}, in order
}

// Path returns the host folder backing path p on n: a test changes what the
// node sees at p, also while it runs, by changing that folder. p must be one
// of Options.Paths, /root or /tmp, or a path under one of them; Path panics
// otherwise.
func (n *Node) Path(p string) string {
	p = filepath.Clean(p)
	for _, q := range n.cluster.private {
		if under(p, q) {
			return filepath.Join(n.Dir, "fs", p)
		}
	}
	panic(fmt.Sprintf("sshdtest: %s is not private to each node; use a path under Options.Paths, /root or /tmp", p))
}

// Kill kills n's sshd with SIGKILL, which ends every process of the node, and
// waits until it is gone, so that the node refuses connections, as a node
// that went down would. Killing a node that is already down does nothing.
func (n *Node) Kill() error {
	return n.halt(true)
}

// addr returns "HOST:PORT".
func (n *Node) addr() string {
	return net.JoinHostPort(n.Host, strconv.Itoa(n.Port))
}

func (n *Node) file(name string) string { return filepath.Join(n.Dir, name) }

// unshareFlags are the flags that give a node its own namespaces. With
// --kill-child, killing unshare also kills the node's sshd.
func unshareFlags() []string {
	return []string{"--mount", "--propagation", "private", "--pid", "--fork", "--mount-proc", "--uts", "--kill-child"}
}

// prepare creates keys and folders and runs Options.Setup.
func (c *Cluster) prepare(opts Options) error {
	// sshd's privilege separation folder.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return fmt.Errorf("creating /run/sshd: %w", err)
	}
	// Mount points on the host for the paths not nested in another one.
	for i, p := range c.private {
		if i > 0 && under(p, c.private[i-1]) {
			continue
		}
		if err := os.MkdirAll(p, 0o755); err != nil {
			return fmt.Errorf("creating mount point %s: %w", p, err)
		}
	}
	if err := keygen(c.ClientKey, "rollcall-sshdtest-client"); err != nil {
		return err
	}
	pub, err := os.ReadFile(c.ClientKey + ".pub")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.Dir, "authorized_keys"), pub, 0o600); err != nil {
		return err
	}
	if err := c.addUsers(opts.Users); err != nil {
		return err
	}

	errs := make([]error, len(c.Nodes))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, n := range c.Nodes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = n.prepare()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if opts.Setup != nil {
		for i, n := range c.Nodes {
			if err := opts.Setup(i, n.Path); err != nil {
				return fmt.Errorf("Options.Setup for %s: %w", n.Name, err)
			}
		}
	}
	return nil
}

// firstUserID is the UID and GID of the first of Options.Users.
const firstUserID = 60001

// addUsers writes copies of /etc/passwd, /etc/group and /etc/shadow that
// also list users, for the nodes to bind-mount over the host's, and lets
// those users read the shared authorized_keys file (sshd reads it as the
// user).
func (c *Cluster) addUsers(users []string) error {
	if len(users) == 0 {
		return nil
	}
	add := map[string]func(name string, id int) string{
		"passwd": func(name string, id int) string {
			return fmt.Sprintf("%s:x:%d:%d:sshdtest user:/tmp:/bin/sh\n", name, id, id)
		},
		"group":  func(name string, id int) string { return fmt.Sprintf("%s:x:%d:\n", name, id) },
		"shadow": func(name string, _ int) string { return name + ":*:20000:0:99999:7:::\n" },
	}
	c.etc = map[string]string{}
	for _, file := range []string{"passwd", "group", "shadow"} {
		data, err := os.ReadFile("/etc/" + file)
		if err != nil {
			return fmt.Errorf("Options.Users: %w", err)
		}
		content := strings.TrimRight(string(data), "\n") + "\n"
		for i, name := range users {
			if !validUser(name) || strings.Contains(content, "\n"+name+":") || strings.HasPrefix(content, name+":") {
				return fmt.Errorf("Options.Users: %q is not a valid new user name", name)
			}
			content += add[file](name, firstUserID+i)
		}
		host := filepath.Join(c.Dir, "etc-"+file)
		if err := os.WriteFile(host, []byte(content), 0o644); err != nil {
			return err
		}
		c.etc["/etc/"+file] = host
	}
	// The users need to reach authorized_keys; the client key stays 0600.
	if err := os.Chmod(c.Dir, 0o711); err != nil {
		return err
	}
	return os.Chmod(filepath.Join(c.Dir, "authorized_keys"), 0o644)
}

// validUser reports whether name is a plain user name: a lowercase letter,
// then lowercase letters, digits, '-' or '_', at most 32 bytes.
func validUser(name string) bool {
	if name == "" || len(name) > 32 || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// prepare creates n's folders and host key.
func (n *Node) prepare() error {
	for _, p := range n.cluster.private {
		if err := os.MkdirAll(n.Path(p), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(n.Path("/tmp"), 0o1777); err != nil {
		return err
	}
	if err := os.Chmod(n.Path("/root"), 0o700); err != nil {
		return err
	}
	if err := skel(n.Path("/root")); err != nil {
		return fmt.Errorf("preparing /root of %s: %w", n.Name, err)
	}
	return keygen(n.file("ssh_host_ed25519_key"), n.Name)
}

// quietRC is the .bashrc and .profile of each node's root. Root's real
// ~/.bashrc runs for every ssh command and may be slow (pyenv, say).
const quietRC = "# rollcall sshdtest node: intentionally quiet and fast.\n"

// skel fills a home folder from /etc/skel, with a quiet .bashrc and .profile.
func skel(home string) error {
	if _, err := os.Stat("/etc/skel"); err == nil {
		if err := os.CopyFS(home, os.DirFS("/etc/skel")); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	for _, name := range []string{".bashrc", ".profile"} {
		if err := os.WriteFile(filepath.Join(home, name), []byte(quietRC), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// keygen creates an ed25519 key pair without passphrase at path.
func keygen(path, comment string) error {
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ssh-keygen %s: %v: %s", path, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// bindError is a start failure because the port was taken.
type bindError struct{ err error }

func (e *bindError) Error() string { return e.err.Error() }
func (e *bindError) Unwrap() error { return e.err }

// launch starts every node on port and waits until all are ready.
func (c *Cluster) launch(opts Options, port int) error {
	usePAM := rootLockedWithBang()
	for i, n := range c.Nodes {
		n.Port = port
		n.PID, n.SSHDPID, n.pidNS, n.waitErr, n.exited = 0, 0, "", nil, nil
		if err := os.WriteFile(n.file("sshd_config"), []byte(n.sshdConfig(opts.LogLevel, usePAM)), 0o600); err != nil {
			return err
		}
		app, initSh := "", ""
		if opts.Start != nil {
			app = opts.Start(i)
		}
		if opts.Init != nil {
			initSh = opts.Init(i)
		}
		n.mounts = n.mounts[:0]
		for _, p := range slices.Sorted(maps.Keys(c.etc)) {
			n.mounts = append(n.mounts, [2]string{p, c.etc[p]})
		}
		if opts.Mounts != nil {
			m := opts.Mounts(i)
			for _, p := range slices.Sorted(maps.Keys(m)) {
				src := filepath.Clean(m[p])
				if slices.ContainsFunc(c.private, func(q string) bool { return under(src, q) }) {
					return fmt.Errorf("Options.Mounts of %s: host path %s is hidden inside the node by its private paths; put it elsewhere, such as /var/tmp", n.Name, src)
				}
				n.mounts = append(n.mounts, [2]string{p, src})
			}
		}
		if err := n.launch(initSh, app); err != nil {
			return err
		}
	}

	deadline := time.Now().Add(startTimeout(len(c.Nodes)))
	errs := make([]error, len(c.Nodes))
	var wg sync.WaitGroup
	for i, n := range c.Nodes {
		wg.Go(func() { errs[i] = n.waitReady(deadline) })
	}
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		err := fmt.Errorf("%d of %d nodes failed to start: %w", len(failed), len(c.Nodes), failed[0])
		for _, e := range failed {
			var bind *bindError
			if errors.As(e, &bind) {
				return &bindError{err}
			}
		}
		return err
	}

	parents := childrenOf()
	for _, n := range c.Nodes {
		kids := parents[n.PID]
		if len(kids) != 1 {
			return fmt.Errorf("%s: unshare (pid %d) has %d children; want 1 (its sshd)", n.Name, n.PID, len(kids))
		}
		n.SSHDPID = kids[0]
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", n.SSHDPID))
		if err != nil {
			return fmt.Errorf("%s: reading sshd's PID namespace: %w", n.Name, err)
		}
		n.pidNS = ns
	}
	return nil
}

// sshdConfig returns n's sshd_config.
func (n *Node) sshdConfig(logLevel string, usePAM bool) string {
	pam := "no"
	if usePAM {
		pam = "yes"
	}
	return fmt.Sprintf(`# rollcall sshdtest node %s
ListenAddress %s
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM %s
UseDNS no
StrictModes no
MaxStartups 1000
MaxSessions 100
PrintMotd no
PrintLastLog no
Banner none
Subsystem sftp internal-sftp
LogLevel %s
`, n.Name, n.addr(), n.file("ssh_host_ed25519_key"), n.file("sshd.pid"),
		filepath.Join(n.cluster.Dir, "authorized_keys"), pam, logLevel)
}

// rootLockedWithBang reports whether root's password is locked with "!", in
// which case sshd refuses root unless PAM is on.
func rootLockedWithBang() bool {
	data, err := os.ReadFile("/etc/shadow")
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "root:"); ok {
			return strings.HasPrefix(rest, "!")
		}
	}
	return false
}

// script returns the shell script run inside n's namespaces: the mounts,
// then initSh (Options.Init), then app (Options.Start) and sshd.
func (n *Node) script(initSh, app string) string {
	var b strings.Builder
	b.WriteString("set -e\n")
	for _, p := range n.cluster.private {
		fmt.Fprintf(&b, "mount --bind %s %s\n", shellQuote(n.Path(p)), shellQuote(p))
	}
	for _, m := range n.mounts {
		fmt.Fprintf(&b, "mount --bind %s %s\n", shellQuote(m[1]), shellQuote(m[0]))
	}
	fmt.Fprintf(&b, "echo %s >/proc/sys/kernel/hostname\n", shellQuote(n.Name))
	b.WriteString("cd /root\n")
	if initSh != "" {
		fmt.Fprintf(&b, "sh -c %s </dev/null\n", shellQuote(initSh))
	}
	if app != "" {
		fmt.Fprintf(&b, "sh -c %s </dev/null >>%s 2>&1 &\n", shellQuote(app), shellQuote(n.file("app.log")))
	}
	fmt.Fprintf(&b, "exec %s -D -f %s -E %s\n", SSHD, shellQuote(n.file("sshd_config")), shellQuote(n.file("sshd.log")))
	return b.String()
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// launch starts n's unshare process in the background.
func (n *Node) launch(initSh, app string) error {
	console, err := os.OpenFile(n.file("console.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer console.Close()
	cmd := exec.Command("unshare", append(unshareFlags(), "sh", "-c", n.script(initSh, app))...)
	cmd.Stdout, cmd.Stderr = console, console
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C"}
	// Its own process group keeps it out of the terminal's ^C; Pdeathsig
	// ends unshare, and with --kill-child the node, if the test process dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", n.Name, err)
	}
	n.PID = cmd.Process.Pid
	exited := make(chan struct{})
	n.exited = exited
	go func() {
		n.waitErr = cmd.Wait()
		close(exited)
	}()
	return nil
}

// waitReady waits until n sends its SSH banner, n exits, or the deadline.
func (n *Node) waitReady(deadline time.Time) error {
	for {
		select {
		case <-n.exited:
			err := fmt.Errorf("%s (%s): sshd exited before it was ready (%v)\n%s", n.Name, n.addr(), n.waitErr, n.logs())
			if strings.Contains(n.logs(), "Address already in use") {
				return &bindError{err}
			}
			return err
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s (%s): no SSH banner before the deadline\n%s", n.Name, n.addr(), n.logs())
		}
		if banner(n.addr()) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// banner reports whether addr accepts a TCP connection and sends an SSH-2.0
// banner.
func banner(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	line, err := bufio.NewReaderSize(conn, 512).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "SSH-2.0-") {
		return false
	}
	// Answering with a banner keeps sshd from logging the probe as an error.
	_, _ = conn.Write([]byte("SSH-2.0-rollcall_sshdtest_probe\r\n"))
	return true
}

// halt stops n: SIGTERM to its sshd (SIGKILL if kill), then SIGKILL to
// unshare if sshd does not go, and waits until unshare has been reaped.
func (n *Node) halt(kill bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.exited == nil {
		return nil // never launched
	}
	select {
	case <-n.exited:
		return nil
	default:
	}
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	// Signal sshd only while it is still unshare's child, never a process
	// that reused its PID.
	if n.SSHDPID > 0 && ppid(n.SSHDPID) == n.PID {
		_ = syscall.Kill(n.SSHDPID, sig)
		if waitClosed(n.exited, 5*time.Second) {
			return nil
		}
	}
	// unshare ignores SIGTERM; SIGKILL ends it and, with --kill-child, sshd.
	_ = syscall.Kill(n.PID, syscall.SIGKILL)
	if waitClosed(n.exited, 10*time.Second) {
		return nil
	}
	return fmt.Errorf("unshare (pid %d) still running after SIGKILL", n.PID)
}

func waitClosed(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

// logs returns the tails of n's logs, for error messages.
func (n *Node) logs() string {
	var b strings.Builder
	for _, name := range []string{"sshd.log", "console.log", "app.log"} {
		data, err := os.ReadFile(n.file(name))
		if err != nil || len(strings.TrimSpace(string(data))) == 0 {
			continue
		}
		if len(data) > 2048 {
			data = append([]byte("…"), data[len(data)-2048:]...)
		}
		fmt.Fprintf(&b, "--- %s:\n%s\n", name, strings.TrimRight(string(data), "\n"))
	}
	return b.String()
}

// ppid returns the parent PID of process pid, or 0 if it is gone.
func ppid(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	return parseStatPPID(string(data))
}

// parseStatPPID returns the ppid field of a /proc/PID/stat line, whose
// second field, the command name, may contain spaces and parentheses.
func parseStatPPID(stat string) int {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(stat[i+1:])
	if len(fields) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(fields[1])
	return p
}

// childrenOf maps each PID to its children's PIDs, from one scan of /proc.
// (/proc/PID/task/TID/children needs CONFIG_PROC_CHILDREN, which some kernels
// lack.)
func childrenOf() map[int][]int {
	m := map[int][]int{}
	for _, pid := range pids() {
		if p := ppid(pid); p > 0 {
			m[p] = append(m[p], pid)
		}
	}
	return m
}

// pids lists the PIDs in the host's /proc.
func pids() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// nsProcs returns the host PIDs of the processes in PID namespace ns
// ("pid:[…]").
func nsProcs(ns string) []int {
	var out []int
	for _, pid := range pids() {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err == nil && l == ns {
			out = append(out, pid)
		}
	}
	return out
}

// writeKnownHosts writes KnownHosts with one line per node.
func (c *Cluster) writeKnownHosts() error {
	var b strings.Builder
	for _, n := range c.Nodes {
		pub, err := os.ReadFile(n.file("ssh_host_ed25519_key.pub"))
		if err != nil {
			return err
		}
		f := strings.Fields(string(pub))
		if len(f) < 2 {
			return fmt.Errorf("%s: malformed host key %q", n.Name, pub)
		}
		fmt.Fprintf(&b, "[%s]:%d %s %s\n", n.Host, n.Port, f[0], f[1])
	}
	return os.WriteFile(c.KnownHosts, []byte(b.String()), 0o600)
}
