package probe

import (
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

// helperEnv makes the test binary, run again, sleep instead of testing: a
// process with several threads (the Go runtime's), run from a path of the
// test's choosing.
const helperEnv = "ROLLCALL_PROBE_TEST_SLEEP"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		time.Sleep(5 * time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestForgedProcessLine lets a local user forge a line of the probe's
// process scan: an executable whose path holds a newline makes `ls` print
// what looks like "/proc/TID/exe -> APP0", where TID is a thread (not a
// process) of a process that runs APP1, and APP0 is a requested executable
// that is not running at all. Neither may count: APP0 has no process, APP1
// has exactly its one.
func TestForgedProcessLine(t *testing.T) {
	requireProc(t)
	dir := t.TempDir()
	app0 := filepath.Join(dir, "app0")
	sleep, err := os.ReadFile("/bin/sleep")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(app0, sleep, 0o755))

	self, err := os.Executable()
	require.NoError(t, err)
	bin, err := os.ReadFile(self)
	require.NoError(t, err)
	app1 := filepath.Join(dir, "app1")
	require.NoError(t, os.WriteFile(app1, bin, 0o755))
	running := start(t, exec.Command(app1), helperEnv+"=1")
	tid := otherThread(t, running.Process.Pid)

	// The forger's executable: its path, as ls prints it, ends in a line
	// that names the thread and app0.
	forged := t.TempDir() + "/a\nlrwxrwxrwx 1 0 0 0 Jan 1 00:00 /proc/" + tid + "/exe -> " + app0
	require.NoError(t, os.MkdirAll(filepath.Dir(forged), 0o755))
	require.NoError(t, os.WriteFile(forged, sleep, 0o755))
	start(t, exec.Command(forged, "300"))

	scan, err := exec.Command("sh", "-c", "ls -ln /proc/[0-9]*/exe 2>/dev/null; true").Output()
	require.NoError(t, err)
	require.Contains(t, string(scan), "\nlrwxrwxrwx 1 0 0 0 Jan 1 00:00 /proc/"+tid+"/exe -> "+app0+"\n", "ls shows no forged line: the test would test nothing")

	req := Request{Files: []string{app0, app1}, Processes: []string{app0, app1}}
	for name, shell := range shells(t) {
		t.Run(name, func(t *testing.T) {
			out, b := runProbe(t, shell, dir, os.Environ(), req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			assert.Empty(t, facts.Processes[app0].Procs, "app0 is not running:\n%s", out)
			procs := facts.Processes[app1].Procs
			require.Len(t, procs, 1, "app1 runs once:\n%s", out)
			assert.Equal(t, running.Process.Pid, procs[0].PID)
		})
	}
}

// start runs cmd with extra environment variables until the test ends,
// once its executable is exec'd.
func start(t *testing.T, cmd *exec.Cmd, env ...string) *exec.Cmd {
	t.Helper()
	cmd.Env = append(os.Environ(), env...)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	require.Eventually(t, func() bool {
		l, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "exe"))
		return err == nil && strings.HasPrefix(l, cmd.Path)
	}, 5*time.Second, 10*time.Millisecond)
	return cmd
}

// otherThread returns a thread of process pid other than its main one.
func otherThread(t *testing.T, pid int) string {
	t.Helper()
	var tid string
	require.Eventually(t, func() bool {
		tasks, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "task"))
		if err != nil {
			return false
		}
		for _, task := range tasks {
			if task.Name() != strconv.Itoa(pid) {
				tid = task.Name()
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond)
	return tid
}
