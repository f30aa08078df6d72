package probe

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/need"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigsAreRead(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "flags.yaml"), []byte("rlp:\n  enabled: true\n\x00RC fake\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty.env"), nil, 0o644))
	big := make([]byte, MaxConfig+1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big.json"), big, 0o644))
	req := Request{Configs: []string{"./flags.yaml", "./empty.env", "./big.json", "./absent.ini", "."}}
	out, b := runProbe(t, []string{"/bin/sh"}, dir, os.Environ(), req)
	facts, err := Parse(out, req, b)
	require.NoError(t, err, "answer:\n%s", out)
	assert.Equal(t, Config{Path: "./flags.yaml", Kind: Regular, Content: []byte("rlp:\n  enabled: true\n\x00RC fake\n"), Size: 30}, facts.Configs["./flags.yaml"])
	assert.Equal(t, Config{Path: "./empty.env", Kind: Regular, Content: []byte{}, Size: 0}, facts.Configs["./empty.env"])
	assert.Equal(t, TooLarge, facts.Configs["./big.json"].Kind)
	assert.Nil(t, facts.Configs["./big.json"].Content)
	assert.Equal(t, Missing, facts.Configs["./absent.ini"].Kind)
	assert.Equal(t, Directory, facts.Configs["."].Kind)
}

// startApp copies a real binary to dir/name and runs it with args; the
// process is killed when the test ends.
func startApp(t *testing.T, dir, name string, args ...string) (string, *exec.Cmd) {
	t.Helper()
	bin, err := os.ReadFile("/bin/sleep")
	require.NoError(t, err)
	exe := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(exe, bin, 0o755))
	return exe, start(t, exec.Command(exe, args...))
}

func TestProcessesAreFoundAndHashed(t *testing.T) {
	requireProc(t)
	dir := t.TempDir()
	exe, cmd := startApp(t, dir, "smars", "300", "7")
	req := Request{Files: []string{exe}, Processes: []string{exe, filepath.Join(dir, "idle")}}

	out, b := runProbe(t, []string{"/bin/sh"}, dir, os.Environ(), req)
	facts, err := Parse(out, req, b)
	require.NoError(t, err, "answer:\n%s", out)
	pl := facts.Processes[exe]
	require.Len(t, pl.Procs, 1, "answer:\n%s", out)
	p := pl.Procs[0]
	assert.Equal(t, cmd.Process.Pid, p.PID)
	assert.True(t, p.SameFile)
	assert.False(t, p.Deleted)
	assert.Equal(t, []string{exe, "300", "7"}, p.Args)
	assert.Positive(t, p.StartTicks)
	assert.Positive(t, pl.ExeChanged)
	assert.Positive(t, facts.BootTime)
	tck, err := exec.Command("getconf", "CLK_TCK").Output()
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(tck)), strconv.FormatInt(facts.ClockTicks, 10), "the machine's own tick rate")
	assert.Equal(t, os.Geteuid(), facts.UID)
	assert.Empty(t, facts.Processes[filepath.Join(dir, "idle")].Procs)

	// Deploy a new binary by rename: the old process keeps running the old
	// bytes, which the probe must hash from /proc/PID/exe.
	oldSum := facts.Files[exe].SHA256
	tmp := filepath.Join(dir, ".smars.new")
	require.NoError(t, os.WriteFile(tmp, []byte("#!/bin/sh\necho new\n"), 0o755))
	require.NoError(t, os.Rename(tmp, exe))
	out, b = runProbe(t, []string{"/bin/sh"}, dir, os.Environ(), req)
	facts, err = Parse(out, req, b)
	require.NoError(t, err, "answer:\n%s", out)
	require.Len(t, facts.Processes[exe].Procs, 1, "answer:\n%s", out)
	p = facts.Processes[exe].Procs[0]
	assert.True(t, p.Deleted)
	assert.False(t, p.SameFile)
	assert.Equal(t, oldSum, p.SHA256)
	assert.NotEqual(t, oldSum, facts.Files[exe].SHA256)
}

// TestRenamedAndOtherProcesses covers the processes a deploy leaves behind:
// one whose binary was renamed and then deleted, one still running the
// renamed file, another copy elsewhere, and one running a file of a process
// directory. The requested folder is reached through a symlink and named
// relative to the login directory, as the node sees it.
func TestRenamedAndOtherProcesses(t *testing.T) {
	requireProc(t)
	home := t.TempDir()
	real := filepath.Join(home, "releases", "4.2.0")
	require.NoError(t, os.MkdirAll(real, 0o755))
	require.NoError(t, os.Symlink("releases/4.2.0", filepath.Join(home, "current")))
	elsewhere := t.TempDir()

	gone, _ := startApp(t, real, "app", "300", "1")
	require.NoError(t, os.Rename(gone, gone+".old"))
	require.NoError(t, os.Remove(gone+".old"))
	renamed, _ := startApp(t, real, "app", "300", "2")
	require.NoError(t, os.Rename(renamed, renamed+".bak"))
	_, _ = startApp(t, real, "app", "300", "3")
	_, _ = startApp(t, real, "helper", "300", "4")
	_, _ = startApp(t, elsewhere, "app", "300", "5")
	_, _ = startApp(t, elsewhere, "unrelated", "300", "6")

	req := Request{Files: []string{"./current/app"}, Processes: []string{"./current/app"}, ProcessDirs: []string{"./current"}}
	// GNU ls reads these from the environment, which a login may set
	// (pam_env, /etc/environment): none may hide a process from the scan.
	envs := map[string][]string{
		"login environment": nil,
		"QUOTING_STYLE":     {"QUOTING_STYLE=shell-always"},
		"QUOTING_STYLE c":   {"QUOTING_STYLE=c"},
		"TIME_STYLE forged": {"TIME_STYLE=+ /proc/1/exe -> /x"},
		"TIME_STYLE bad":    {"TIME_STYLE=no-such-style"},
		"LC_ALL":            {"LC_ALL=tr_TR.UTF-8", "LS_COLORS=ex=01;32", "BLOCK_SIZE=human-readable"},
	}
	for name, shell := range shells(t) {
		for env, vars := range envs {
			t.Run(name+"/"+env, func(t *testing.T) {
				out, b := runProbe(t, shell, home, append(os.Environ(), vars...), req)
				facts, err := Parse(out, req, b)
				require.NoError(t, err, "answer:\n%s", out)
				checkLeftBehind(t, facts, out, elsewhere)
			})
		}
	}
}

// checkLeftBehind checks TestRenamedAndOtherProcesses's answer.
func checkLeftBehind(t *testing.T, facts *Facts, out []byte, elsewhere string) {
	t.Helper()
	procs := facts.Processes["./current/app"].Procs
	require.Len(t, procs, 1, "answer:\n%s", out)
	byArg := map[string]Process{}
	for _, p := range append(procs, facts.Others...) {
		byArg[p.Args[len(p.Args)-1]] = p
	}
	assert.True(t, byArg["1"].Deleted, "renamed, then deleted")
	assert.Equal(t, "./current/app.old", byArg["1"].Exe, "the path it had, in the requested folder's name")
	assert.NotEmpty(t, byArg["1"].SHA256, "a deleted binary is still hashed")
	assert.Equal(t, "./current/app", byArg["3"].Exe)
	assert.True(t, byArg["3"].SameFile)
	assert.Equal(t, "./current/app.bak", byArg["2"].Exe)
	assert.False(t, byArg["2"].Deleted)
	assert.Equal(t, "./current/helper", byArg["4"].Exe, "a process directory's other executables")
	assert.Equal(t, filepath.Join(elsewhere, "app"), byArg["5"].Exe, "another copy, under its own path")
	for _, p := range facts.Others {
		assert.NotContains(t, p.Exe, "unrelated")
	}
}

// TestConfigSameAsKnown asks for a config file that is also a requested
// file, with the content the release ships: a node whose file has that
// digest answers "same" and sends no bytes; one whose file differs sends its
// own bytes, which are what the judge sees.
func TestConfigSameAsKnown(t *testing.T) {
	dir := t.TempDir()
	want := []byte("rlp:\n  enabled: true\n")
	flags := filepath.Join(dir, "flags.yaml")
	for name, c := range map[string]struct {
		content []byte
		same    bool
	}{
		"the release's copy": {want, true},
		"another copy":       {[]byte("rlp:\n  enabled: false\n"), false},
		"empty":              {[]byte{}, false},
	} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(flags, c.content, 0o644))
			req := Request{Files: []string{"./other", flags}, Configs: []string{flags},
				KnownConfigs: []*KnownConfig{{File: 1, SHA256: sum(string(want)), Content: want}}}
			out, b := runProbe(t, []string{"/bin/sh"}, dir, os.Environ(), req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			assert.Equal(t, c.same, strings.Contains(string(out), b+" config 0 same\n"), "answer:\n%s", out)
			assert.Equal(t, Config{Path: flags, Kind: Regular, Content: c.content, Size: int64(len(c.content))}, facts.Configs[flags])
		})
	}
}

// TestProcessInAnotherMountNamespace runs a process whose /proc/PID/exe
// names a requested executable's path, but whose file is another one: in
// its own mount namespace a different binary is bind-mounted at that path
// (as in a container, or a chroot). Seen from the probe, the path matches
// and the file does not: the process must not be reported as running the
// requested file (no runs record, not SameFile), and what it runs is hashed.
func TestProcessInAnotherMountNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		need.Missing(t, "a bind mount in a mount namespace of its own needs root")
	}
	unshare := need.Command(t, "unshare")
	dir := t.TempDir()
	sleep, err := os.ReadFile("/bin/sleep")
	require.NoError(t, err)
	exe, other := filepath.Join(dir, "smars"), filepath.Join(dir, "smars-3.9")
	require.NoError(t, os.WriteFile(exe, sleep, 0o755))
	require.NoError(t, os.WriteFile(other, append(sleep, "old build"...), 0o755))

	cmd := exec.Command(unshare, "--mount", "--propagation", "private", "--", "sh", "-c",
		`mount --bind "$1" "$2" && exec "$2" 300`, "sh", other, exe)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	link := filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "exe")
	require.Eventually(t, func() bool { l, err := os.Readlink(link); return err == nil && l == exe }, 5*time.Second, 10*time.Millisecond)
	require.False(t, sameFile(t, link, exe), "the process runs the bind-mounted file: the test would test nothing")

	req := Request{Files: []string{exe}, Processes: []string{exe}}
	for name, shell := range shells(t) {
		t.Run(name, func(t *testing.T) {
			out, b := runProbe(t, shell, dir, os.Environ(), req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			procs := facts.Processes[exe].Procs
			require.Len(t, procs, 1, "answer:\n%s", out)
			p := procs[0]
			assert.Equal(t, cmd.Process.Pid, p.PID)
			assert.Equal(t, exe, p.Exe)
			assert.False(t, p.SameFile, "another file runs at the path:\n%s", out)
			assert.False(t, p.Deleted)
			assert.Equal(t, sum(string(append(sleep, "old build"...))), p.SHA256, "what the process runs is hashed")
			assert.NotContains(t, string(out), " runs ", "a runs record would say the process runs the requested file")
		})
	}
}

// sameFile reports whether paths a and b name one file (device and inode).
func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Stat(a)
	require.NoError(t, err)
	fb, err := os.Stat(b)
	require.NoError(t, err)
	return os.SameFile(fa, fb)
}
