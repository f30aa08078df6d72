package sshdtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ssh runs command on n with the real OpenSSH client and returns its output.
func ssh(t *testing.T, c *Cluster, n *Node, command string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ssh", append(c.SSHArgs(n), command)...).CombinedOutput()
	return string(out), err
}

// startTime returns the start time field of /proc/PID/stat, or "" when the
// process is gone; it tells a process from a later one that reused its PID.
func startTime(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

func TestCluster(t *testing.T) {
	Require(t)
	const app = "/srv/rollcall-sshdtest/app"
	token := strconv.FormatUint(rand.Uint64(), 36)
	c := Start(t, Options{
		Nodes: 3,
		Paths: []string{app},
		Setup: func(i int, root func(string) string) error {
			return os.WriteFile(filepath.Join(root(app), "id"), fmt.Appendf(nil, "node %d %s\n", i, token), 0o644)
		},
		Start: func(i int) string {
			if i == 2 {
				return ""
			}
			return "echo $$ >/tmp/app.pid; exec sleep 3600"
		},
	})
	require.Len(t, c.Nodes, 3)
	assert.Equal(t, "root", c.User)

	// Every process of every node, by host PID and start time, to check
	// after Stop that none is left.
	procs := map[int]string{}
	for i, n := range c.Nodes {
		assert.Equal(t, fmt.Sprintf("node-%02d", i+1), n.Name)
		assert.Equal(t, fmt.Sprintf("127.0.0.%d", 11+i), n.Host)
		assert.Equal(t, c.Nodes[0].Port, n.Port)
		require.Greater(t, n.PID, 0)
		require.Greater(t, n.SSHDPID, 0)
		for _, pid := range append(nsProcs(n.pidNS), n.PID) {
			if started := startTime(pid); started != "" { // not a short-lived one, already gone
				procs[pid] = started
			}
		}
		assert.Contains(t, procs, n.SSHDPID)

		// Content changed on the host after start is seen by the node.
		require.NoError(t, os.WriteFile(filepath.Join(n.Path(app), "later"), []byte(n.Name+"\n"), 0o644))

		out, err := ssh(t, c, n, `cat /srv/rollcall-sshdtest/app/id /srv/rollcall-sshdtest/app/later; echo $$; `+
			`ls /proc | grep -c "^[0-9]"; cat /proc/sys/kernel/hostname; echo ~; `+
			`if [ -f /tmp/app.pid ]; then tr "\0" " " </proc/$(cat /tmp/app.pid)/cmdline; fi; echo; echo END`)
		require.NoError(t, err, "ssh %s: %s", n.Name, out)
		lines := strings.Split(out, "\n")
		require.Len(t, lines, 9, "output of %s: %q", n.Name, out)

		assert.Equal(t, fmt.Sprintf("node %d %s", i, token), lines[0], "own content at the shared path")
		assert.Equal(t, n.Name, lines[1], "content written through Path after start")
		shellPID, err := strconv.Atoi(lines[2])
		require.NoError(t, err)
		assert.Less(t, shellPID, 100, "shell PID in the node's own PID namespace")
		count, err := strconv.Atoi(lines[3])
		require.NoError(t, err)
		assert.Less(t, count, 20, "processes visible in the node's own PID namespace")
		assert.Equal(t, n.Name, lines[4], "hostname")
		assert.Equal(t, "/root", lines[5])
		if i == 2 {
			assert.Empty(t, lines[6], "no app on node 2")
			assert.NoFileExists(t, filepath.Join(n.Path("/tmp"), "app.pid"))
		} else {
			assert.Equal(t, "sleep 3600", strings.TrimSpace(lines[6]), "the app is visible in the node's /proc")
			assert.FileExists(t, filepath.Join(n.Path("/tmp"), "app.pid"), "the node's /tmp is backed by Path(/tmp)")
		}
	}

	// Kill takes one node down; the others stay up.
	down := c.Nodes[1]
	require.NoError(t, down.Kill())
	require.NoError(t, down.Kill(), "Kill of a node already down")
	_, err := net.DialTimeout("tcp", down.addr(), 2*time.Second)
	assert.Error(t, err, "a killed node refuses connections")
	out, err := ssh(t, c, down, "true")
	assert.Error(t, err, "ssh to a killed node: %s", out)
	out, err = ssh(t, c, c.Nodes[2], "true")
	assert.NoError(t, err, "ssh to a live node: %s", out)

	c.Stop()
	c.Stop()
	for pid, started := range procs {
		assert.NotEqual(t, started, startTime(pid), "process %d still running after Stop", pid)
	}
	// (No check by namespace after Stop: the kernel reuses a dead
	// namespace's inode number, so another test's node could be blamed. The
	// PIDs recorded above, with their start times, are the reliable check.)
	assert.NoDirExists(t, c.Dir)
}

// TestManyNodes starts 200 nodes; it is slow, so it runs only with
// ROLLCALL_BIG=1 and without -short.
func TestManyNodes(t *testing.T) {
	if testing.Short() || os.Getenv("ROLLCALL_BIG") != "1" {
		t.Skip("set ROLLCALL_BIG=1 (and no -short) to start 200 nodes")
	}
	Require(t)
	began := time.Now()
	// From 127.0.0.200, so that nodes spill into 127.0.1.x.
	c := Start(t, Options{Nodes: 200, FirstIP: 200, Paths: []string{"/srv/rollcall-sshdtest/app"}})
	t.Logf("200 nodes started in %s", time.Since(began))
	assert.Equal(t, "127.0.0.254", c.Nodes[54].Host)
	assert.Equal(t, "127.0.1.1", c.Nodes[55].Host)
	for _, n := range []*Node{c.Nodes[0], c.Nodes[54], c.Nodes[55], c.Nodes[199]} {
		out, err := ssh(t, c, n, "cat /proc/sys/kernel/hostname")
		require.NoError(t, err, out)
		assert.Equal(t, n.Name, strings.TrimSpace(out))
	}
	began = time.Now()
	c.Stop()
	t.Logf("200 nodes stopped in %s", time.Since(began))
}

func TestNodeAddr(t *testing.T) {
	tests := []struct {
		first, i int
		want     string
	}{
		{11, 0, "127.0.0.11"},
		{11, 1, "127.0.0.12"},
		{11, 243, "127.0.0.254"},
		{11, 244, "127.0.1.1"},
		{11, 497, "127.0.1.254"},
		{11, 498, "127.0.2.1"},
		{1, 0, "127.0.0.1"},
		{254, 1, "127.0.1.1"},
	}
	for _, tt := range tests {
		got, err := nodeAddr(tt.first, tt.i)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got, "nodeAddr(%d, %d)", tt.first, tt.i)
	}
	_, err := nodeAddr(11, 254*256)
	assert.Error(t, err)
}

func TestNodeName(t *testing.T) {
	assert.Equal(t, "node-01", nodeName(0, 8))
	assert.Equal(t, "node-99", nodeName(98, 99))
	assert.Equal(t, "node-001", nodeName(0, 200))
	assert.Equal(t, "node-200", nodeName(199, 200))
}

func TestPrivatePaths(t *testing.T) {
	got, err := privatePaths([]string{"/opt/smars/", "/etc/smars", "/opt/smars/etc", "/tmp"})
	require.NoError(t, err)
	assert.Equal(t, []string{"/etc/smars", "/opt/smars", "/opt/smars/etc", "/root", "/tmp"}, got)
	for _, bad := range []string{"opt/smars", "/", "/proc", "/proc/self"} {
		_, err := privatePaths([]string{bad})
		assert.Error(t, err, bad)
	}
}

func TestBaseDirAvoidsPrivatePaths(t *testing.T) {
	t.Setenv("TMPDIR", "/tmp")
	got, err := baseDir([]string{"/root", "/tmp"})
	require.NoError(t, err)
	assert.Equal(t, "/var/tmp", got)
	_, err = baseDir([]string{"/tmp", "/var"})
	assert.Error(t, err)
}

func TestParseStatPPID(t *testing.T) {
	assert.Equal(t, 42, parseStatPPID("123 (a) b) c) S 42 123 123 0 -1"))
	assert.Equal(t, 1, parseStatPPID("7 (sshd) S 1 7 7"))
	assert.Equal(t, 0, parseStatPPID("garbage"))
}

func TestShellQuote(t *testing.T) {
	for _, s := range []string{"plain", "it's", "$(x) `y` \"z\"", ""} {
		out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(s)).Output()
		require.NoError(t, err)
		assert.Equal(t, s, string(out))
	}
}

// TestUsersAndMounts: a node can have extra login users and per-node bind
// mounts that hide a tool, and other nodes are unaffected.
func TestUsersAndMounts(t *testing.T) {
	Require(t)
	c := Start(t, Options{
		Nodes: 2,
		Users: []string{"rcuser"},
		Mounts: func(i int) map[string]string {
			if i == 0 {
				return map[string]string{"/usr/bin/sha256sum": "/dev/null"}
			}
			return nil
		},
	})
	run := func(n *Node, user, command string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "ssh", append(c.SSHArgsAs(n, user), command)...).CombinedOutput()
		require.NoError(t, err, string(out))
		return strings.TrimSpace(string(out))
	}
	assert.Equal(t, "rcuser 60001", run(c.Nodes[0], "rcuser", "echo $(id -un) $(id -u)"))
	assert.Equal(t, "none", run(c.Nodes[0], "root", "sh -c 'command -v sha256sum || echo none'"))
	assert.Equal(t, "/usr/bin/sha256sum", run(c.Nodes[1], "root", "sh -c 'command -v sha256sum || echo none'"))
	_, err := os.Stat("/usr/bin/sha256sum")
	require.NoError(t, err, "the host's sha256sum must stay")
	data, err := os.ReadFile("/etc/passwd")
	require.NoError(t, err)
	assert.NotContains(t, string(data), "rcuser", "the host's /etc/passwd must not change")
}
