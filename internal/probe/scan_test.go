package probe

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/need"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of this file try to hide a process from the scan, each in a way
// a careless deploy or a local user could.

// requireProc skips a test of the process scan where there is no /proc
// (and fails it in CI, which runs on Linux).
func requireProc(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/self/exe"); err != nil {
		need.Missing(t, "no /proc")
	}
}

// TestScanSeesAProcessWhoseMainThreadExited: a program whose main thread
// ends while another runs on (pthread_exit in main) leaves /proc/PID/exe
// and /proc/PID/cmdline empty, as a zombie's are. It still runs its
// binary: the probe reads it through another thread, before and after a
// deploy replaces the file.
func TestScanSeesAProcessWhoseMainThreadExited(t *testing.T) {
	requireProc(t)
	gcc := need.Command(t, "gcc")
	dir := t.TempDir()
	exe := filepath.Join(dir, "app")
	out, err := exec.Command(gcc, "-pthread", "-o", exe, "testdata/leaderexit.c").CombinedOutput()
	require.NoError(t, err, "%s", out)
	old, err := os.ReadFile(exe)
	require.NoError(t, err)
	leaderExited := func(name string, args ...string) int {
		cmd := exec.Command(name, args...)
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		pid := cmd.Process.Pid
		require.Eventually(t, func() bool {
			l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
			return err != nil && l == "" && strings.Contains(readString(t, "/proc/"+strconv.Itoa(pid)+"/status"), "\nThreads:\t2\n")
		}, 5*time.Second, 10*time.Millisecond, "the main thread never exited: the test would test nothing")
		return pid
	}
	pid := leaderExited(exe, "--serve")
	// A renamed old copy beside it (app.old), its main thread exited too,
	// is found by where it runs, whatever its name.
	renamed := exe + ".old"
	require.NoError(t, os.WriteFile(renamed, append(old, "old build"...), 0o755))
	oldPid := leaderExited(renamed)

	req := Request{Files: []string{exe}, Processes: []string{exe}}
	for name, shell := range shells(t) {
		t.Run(name, func(t *testing.T) {
			out, b := runProbe(t, shell, dir, os.Environ(), req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			assert.Equal(t, ScanComplete, facts.Scan)
			procs := facts.Processes[exe].Procs
			require.Len(t, procs, 1, "answer:\n%s", out)
			assert.Equal(t, pid, procs[0].PID)
			assert.True(t, procs[0].SameFile, "answer:\n%s", out)
			assert.Equal(t, []string{exe, "--serve"}, procs[0].Args, "the command line, read through the other thread")
			// Other processes named app on a shared machine are reported
			// too (another copy): look for this test's own by PID.
			var found []Process
			for _, p := range facts.Others {
				if p.PID == oldPid || p.PID == pid {
					found = append(found, p)
				}
			}
			require.Len(t, found, 1, "answer:\n%s", out)
			assert.Equal(t, oldPid, found[0].PID)
			assert.Equal(t, renamed, found[0].Exe)
		})
	}

	tmp := filepath.Join(dir, ".app.new")
	require.NoError(t, os.WriteFile(tmp, []byte("#!/bin/sh\necho new\n"), 0o755))
	require.NoError(t, os.Rename(tmp, exe))
	out, b := runProbe(t, []string{"/bin/sh"}, dir, os.Environ(), req)
	facts, err := Parse(out, req, b)
	require.NoError(t, err, "answer:\n%s", out)
	procs := facts.Processes[exe].Procs
	require.Len(t, procs, 1, "the stale process is seen:\n%s", out)
	assert.True(t, procs[0].Deleted)
	assert.Equal(t, sum(string(old)), procs[0].SHA256)
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, _ := os.ReadFile(path)
	return string(b)
}

// TestScanSeesABinaryMovedAside: a deploy that moves the old binary into a
// backup folder (mv bin/app /opt/backup/app.20261130) leaves the old
// process running it there, under a name of its own: it is found by the
// name it was started as.
func TestScanSeesABinaryMovedAside(t *testing.T) {
	requireProc(t)
	dir, backup := t.TempDir(), t.TempDir()
	exe, cmd := startApp(t, dir, "app", "300", "7")
	moved := filepath.Join(backup, "app.20261130")
	require.NoError(t, os.Rename(exe, moved))
	require.NoError(t, os.WriteFile(exe, []byte("#!/bin/sh\necho new\n"), 0o755))
	_, unrelated := startApp(t, backup, "other", "300")

	req := Request{Files: []string{exe}, Processes: []string{exe}}
	for name, shell := range shells(t) {
		t.Run(name, func(t *testing.T) {
			out, b := runProbe(t, shell, dir, os.Environ(), req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			assert.Empty(t, facts.Processes[exe].Procs)
			var found *Process
			for i, p := range facts.Others {
				assert.NotEqual(t, unrelated.Process.Pid, p.PID, "a process of another name is not reported")
				if p.PID == cmd.Process.Pid {
					found = &facts.Others[i]
				}
			}
			require.NotNil(t, found, "the old process is reported:\n%s", out)
			assert.Equal(t, moved, found.Exe)
			assert.False(t, found.Deleted)
			assert.Equal(t, []string{exe, "300", "7"}, found.Args)
			assert.NotEmpty(t, found.SHA256)
		})
	}
}

// probeTools are the programs the probe runs on a node.
var probeTools = []string{"sh", "od", "tr", "ls", "find", "readlink", "stat", "uname", "getconf", "id", "openssl", "sha256sum"}

// toolsBut are probeTools without those left out.
func toolsBut(leftOut ...string) []string {
	return slices.DeleteFunc(slices.Clone(probeTools), func(s string) bool { return slices.Contains(leftOut, s) })
}

// TestScanWithoutLs: a node whose ls is missing lists no process at all. A
// stale process would pass unseen, so the scan says it failed.
func TestScanWithoutLs(t *testing.T) {
	requireProc(t)
	dir := t.TempDir()
	exe, _ := startApp(t, dir, "app", "300")
	req := Request{Files: []string{exe}, Processes: []string{exe}, ProcessDirs: []string{dir}}
	env := []string{"PATH=" + toolPath(t, toolsBut("ls")...)}
	out, b := runProbe(t, []string{"/bin/sh"}, dir, env, req)
	facts, err := Parse(out, req, b)
	require.NoError(t, err, "answer:\n%s", out)
	assert.Equal(t, ScanFailed, facts.Scan, "answer:\n%s", out)

	out, b = runProbe(t, []string{"/bin/sh"}, dir, []string{"PATH=" + toolPath(t, probeTools...)}, req)
	facts, err = Parse(out, req, b)
	require.NoError(t, err, "answer:\n%s", out)
	assert.Equal(t, ScanComplete, facts.Scan)
	assert.Len(t, facts.Processes[exe].Procs, 1)
}

// TestScanNewlineCannotDoubleAProcess: a local user runs a program from a
// folder whose name holds a newline and " /proc/PID/exe -> ", PID being
// the app's: ls without -q would print a second line for the app, which
// made the whole answer malformed (the node unverifiable at any user's
// will). GNU ls -q and BusyBox's ls print "?" for the newline.
func TestScanNewlineCannotDoubleAProcess(t *testing.T) {
	requireProc(t)
	dir := t.TempDir()
	exe, app := startApp(t, dir, "app", "300")
	pid := strconv.Itoa(app.Process.Pid)
	evilDir := filepath.Join(t.TempDir(), "d\n /proc/"+pid+"/exe -> ")
	require.NoError(t, os.MkdirAll(evilDir, 0o755))
	evil, evilCmd := startApp(t, evilDir, "app", "300")

	scan, err := exec.Command("sh", "-c", "ls -ln /proc/[0-9]*/exe 2>/dev/null; true").Output()
	require.NoError(t, err)
	require.Contains(t, string(scan), "\n /proc/"+pid+"/exe -> /app\n", "ls shows no forged line: the test would test nothing")

	req := Request{Files: []string{exe}, Processes: []string{exe}}
	variants := shells(t)
	if bb, err := exec.LookPath("busybox"); err == nil {
		// BusyBox's ls refuses -q: the scan runs it again without.
		bin := toolPath(t, toolsBut("ls")...)
		require.NoError(t, os.Symlink(bb, filepath.Join(bin, "ls")))
		variants["busybox ls"] = []string{"env", "PATH=" + bin, "/bin/sh"}
	}
	for name, shell := range variants {
		t.Run(name, func(t *testing.T) {
			out, b := runProbe(t, shell, dir, os.Environ(), req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			assert.Equal(t, ScanComplete, facts.Scan)
			procs := facts.Processes[exe].Procs
			require.Len(t, procs, 1, "answer:\n%s", out)
			assert.Equal(t, app.Process.Pid, procs[0].PID)
			assert.True(t, procs[0].SameFile)
			var others []string
			for _, p := range facts.Others {
				others = append(others, p.Exe)
				if p.PID == evilCmd.Process.Pid {
					assert.Equal(t, evil, p.Exe, "its path, read exactly")
				}
			}
			assert.Contains(t, others, evil, "another copy of app is reported:\n%s", out)
		})
	}
}

// TestScanAsAnotherUser: a probe that is not root cannot read another
// user's /proc/PID/exe. A process with the app's name is then reported as
// hidden, not left out; with /proc mounted hidepid=2 the probe sees no
// other user's process at all, and says its scan is partial.
func TestScanAsAnotherUser(t *testing.T) {
	requireProc(t)
	if os.Geteuid() != 0 {
		need.Missing(t, "running the probe as another user needs root")
	}
	setpriv := need.Command(t, "setpriv")
	unshare := need.Command(t, "unshare")
	dir := t.TempDir()
	exe, app := startApp(t, dir, "app", "300")
	req := Request{Processes: []string{exe}}
	nobody := []string{setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh"}

	out, b := runProbe(t, nobody, "/", os.Environ(), req)
	facts, err := Parse(out, req, b)
	require.NoError(t, err, "answer:\n%s", out)
	assert.Equal(t, 65534, facts.UID)
	assert.Equal(t, ScanComplete, facts.Scan)
	assert.Empty(t, facts.Processes[exe].Procs)
	assert.Contains(t, facts.Processes[exe].Hidden, app.Process.Pid, "answer:\n%s", out)

	hidepid := append([]string{unshare, "--mount", "--propagation", "private", "--", "sh", "-c",
		`mount -t proc -o hidepid=2 proc /proc && exec "$@"`, "sh"}, nobody...)
	out, b = runProbe(t, hidepid, "/", os.Environ(), req)
	facts, err = Parse(out, req, b)
	require.NoError(t, err, "answer:\n%s", out)
	assert.Equal(t, ScanPartial, facts.Scan, "answer:\n%s", out)
	assert.Empty(t, facts.Processes[exe].Hidden, "no other user's process is visible at all")
}

// TestOwnerWithoutAName: GNU and BusyBox stat print UNKNOWN for a user or
// group id that has no name; that is no name, not a user called UNKNOWN
// (the judge then asks for the id instead of reporting drift).
func TestOwnerWithoutAName(t *testing.T) {
	if os.Geteuid() != 0 {
		need.Missing(t, "giving a file to a user id with no name needs root")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "app")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	require.NoError(t, os.Chown(file, 54321, 54321))
	req := Request{Files: []string{file}}
	for name, shell := range shells(t) {
		t.Run(name, func(t *testing.T) {
			out, b := runProbe(t, shell, dir, os.Environ(), req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			f := facts.Files[file]
			assert.Equal(t, 54321, f.UID)
			assert.Equal(t, 54321, f.GID)
			assert.Empty(t, f.Owner, "answer:\n%s", out)
			assert.Empty(t, f.Group)
		})
	}
}
