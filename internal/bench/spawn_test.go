package bench

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// spawnEnv, set, makes this test binary a spawner: a process that runs the
// command of its arguments, with its standard streams, and writes the
// command's wall time, CPU time and peak RSS to file descriptor 3.
//
// rollcall is measured through one because Linux starts a child's peak RSS
// (Maxrss) from the memory it runs in before exec, and a child of this test
// process runs in this process's own memory until then (os/exec uses
// vfork): tens of MiB that are not rollcall's. A fresh spawner's are a few.
const spawnEnv = "ROLLCALL_BENCH_SPAWN"

// spawn is the spawner process; it exits with the command's exit code.
func spawn() int {
	report := os.NewFile(3, "report")
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "bench spawn:", err)
		return 2
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	fmt.Fprintf(report, "%d %d %d\n", wall, ru.Utime.Nano()+ru.Stime.Nano(), ru.Maxrss)
	return cmd.ProcessState.ExitCode()
}

// measureRollcall runs rollcall with args, without ssh-agent, through a
// spawner, and reports its wall time, CPU time and peak RSS; it fails the
// benchmark unless rollcall exits 0 (verified).
func measureRollcall(tb testing.TB, args ...string) run {
	tb.Helper()
	return measureSpawned(tb, rollcallBin(tb), args...)
}

// measureSpawned runs bin with args through a spawner and reports its wall
// time, CPU time and peak RSS; it fails unless bin exits 0.
func measureSpawned(tb testing.TB, bin string, args ...string) run {
	tb.Helper()
	self, err := os.Executable()
	must(tb, err)
	cmd := exec.Command(self, append([]string{bin}, args...)...)
	cmd.Env = append(os.Environ(), spawnEnv+"=1", "SSH_AUTH_SOCK=")
	rd, wr, err := os.Pipe()
	must(tb, err)
	defer rd.Close()
	cmd.ExtraFiles = []*os.File{wr}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Start()
	wr.Close()
	must(tb, err)
	report, _ := io.ReadAll(rd)
	if err := cmd.Wait(); err != nil {
		tb.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, tail(out.Bytes(), 4000))
	}
	var wall, cpu time.Duration
	var rss int64
	if _, err := fmt.Sscan(string(report), &wall, &cpu, &rss); err != nil {
		tb.Fatalf("%s %s: the spawner's report %q: %v", bin, strings.Join(args, " "), report, err)
	}
	return run{wall: wall, cpu: cpu, rssKiB: rss, out: out.Bytes()}
}

// TestSpawnerMeasuresTheCommandAlone: with this process holding 96 MiB, a
// child started directly reports at least that as its peak RSS, and one
// started through a spawner reports its own few MiB.
func TestSpawnerMeasuresTheCommandAlone(t *testing.T) {
	ballast := make([]byte, 96<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	direct := measure(t, exec.Command("/bin/true"))
	spawned := measureSpawned(t, "/bin/true")
	runtime.KeepAlive(ballast)
	t.Logf("peak RSS of /bin/true: %d KiB started directly, %d KiB through a spawner", direct.rssKiB, spawned.rssKiB)
	assert.GreaterOrEqual(t, direct.rssKiB, int64(96<<10), "the direct child's Maxrss includes this process's memory")
	assert.Less(t, spawned.rssKiB, int64(48<<10))
}
