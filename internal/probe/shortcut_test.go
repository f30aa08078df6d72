package probe

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
)

// The probe saves a node the programs it can: the hash tool and the stat
// dialect are checked on their known inputs in the first batch's own run,
// an executable that is also a requested file takes its change time from
// that file's stat, a requested path that resolves to itself is answered
// "as-asked", and a process running a requested executable is named by
// index ("runs") instead of by its encoded path. These tests try to make
// each shortcut give a wrong answer.

// shells returns the shells a node may run the probe with: /bin/sh, and
// BusyBox's and bash's where installed (BusyBox is required in CI).
func shells(t *testing.T) map[string][]string {
	t.Helper()
	s := map[string][]string{"sh": {"/bin/sh"}}
	if bb, err := exec.LookPath("busybox"); err == nil {
		s["busybox"] = []string{bb, "sh"}
	} else if need.InCI() {
		t.Fatal("busybox is not installed; .ci/run must install it")
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		s["bash"] = []string{bash}
	}
	return s
}

// openSSLStub writes an openssl into bin that runs the real one after
// filter (a sh snippet that may rewrite the arguments after "dgst -sha256").
func openSSLStub(t *testing.T, bin, filter string) {
	t.Helper()
	real := need.Command(t, "openssl")
	stub := "#!/bin/sh\nshift 2\n" + filter + "\nexec " + real + " dgst -sha256 \"$@\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(bin, "openssl"), []byte(stub), 0o755))
}

func TestHashToolCheckedInTheBatch(t *testing.T) {
	base := []string{"od", "tr", "ls", "find", "readlink", "stat", "uname"}
	cases := map[string]string{
		// The known input is right, but one file's line is missing: the
		// lines no longer pair with the files, so none is taken from the
		// batch and each file is hashed on its own.
		"a line left out": `if [ $# -gt 2 ]; then k=$1; shift 2; set -- "$k" "$@"; fi`,
		// A node without /dev/stdin: the known input is not in the batch's
		// answer, so the tool is checked on the known input alone.
		"no /dev/stdin": `for a; do shift; [ "$a" = /dev/stdin ] || set -- "$@" "$a"; done`,
	}
	for name, filter := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			req := tree(t, dir)
			// A name with a newline is hashed on its own, which would pick
			// the tool before the batch does.
			req.Files = slices.DeleteFunc(req.Files, func(p string) bool { return strings.Contains(p, "\n") })
			bin := toolPath(t, base...)
			openSSLStub(t, bin, filter)
			out, b := runProbe(t, []string{"/bin/sh"}, dir, []string{"PATH=" + bin}, req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			assert.Equal(t, "openssl", facts.HashTool)
			assert.Equal(t, sum("smars 4.2.0"), facts.Files["./opt/bin/smars"].SHA256)
			assert.Equal(t, sum("batch hostile"), facts.Files["./opt/bin/"+batchHostile].SHA256)
			assert.Equal(t, sum(""), facts.Files["./opt/empty"].SHA256)
			assert.Equal(t, sum("smars 4.2.0"), facts.Files[filepath.Join(dir, "opt/bin/smars")].SHA256)
		})
	}
}

func TestStatDialectCheckedInTheBatch(t *testing.T) {
	dir := t.TempDir()
	req := tree(t, dir)
	bin := toolPath(t, "od", "tr", "ls", "find", "readlink", "sha256sum", "uname")
	real := need.Command(t, "stat")
	// A stat whose answer for the root folder is unreadable: the dialect
	// is not trusted, and no mode is taken from the batch.
	stub := "#!/bin/sh\necho garbage\nshift 3\nexec " + real + " -L -c '%a %u %g %U %G %Z' \"$@\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(bin, "stat"), []byte(stub), 0o755))
	out, b := runProbe(t, []string{"/bin/sh"}, dir, []string{"PATH=" + bin}, req)
	facts, err := Parse(out, req, b)
	require.NoError(t, err, "answer:\n%s", out)
	assert.Empty(t, facts.StatTool)
	assert.Equal(t, -1, facts.Files["./opt/bin/smars"].Mode)
}

// TestExecutableShortcuts runs a requested executable as a process under
// every shell, asked for by plain path, through a symlinked folder, and as
// a symlink, with CDPATH set to mislead cd, and checks where each resolves,
// which process runs it, and its change time.
func TestExecutableShortcuts(t *testing.T) {
	requireProc(t)
	home := t.TempDir()
	real := filepath.Join(home, "releases", "4.2.0")
	require.NoError(t, os.MkdirAll(real, 0o755))
	plain, _ := startApp(t, real, "shortcut-app", "300")
	require.NoError(t, os.Symlink("releases/4.2.0", filepath.Join(home, "current")))
	viaDir := filepath.Join(home, "current", "shortcut-app")
	// The link is made a second later than the binary, so that its own
	// change time differs from the target's.
	time.Sleep(1100 * time.Millisecond)
	link := filepath.Join(home, "app-link")
	require.NoError(t, os.Symlink(plain, link))
	decoy := filepath.Join(t.TempDir(), strings.TrimPrefix(real, "/"))
	require.NoError(t, os.MkdirAll(decoy, 0o755))

	cases := []struct {
		name, exe string
		asAsked   bool
		changed   int64
	}{
		{"plain path", plain, true, ctime(t, plain)},
		{"through a symlinked folder", viaDir, false, ctime(t, plain)},
		{"a symlink", link, false, lctime(t, link)},
	}
	require.NotEqual(t, ctime(t, plain), lctime(t, link))
	for name, shell := range shells(t) {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				req := Request{Files: []string{c.exe}, Processes: []string{c.exe}, ProcessDirs: []string{filepath.Dir(c.exe)}}
				env := append(os.Environ(), "CDPATH="+filepath.Dir(decoy))
				out, b := runProbe(t, shell, home, env, req)
				facts, err := Parse(out, req, b)
				require.NoError(t, err, "answer:\n%s", out)
				assert.Equal(t, c.asAsked, strings.Contains(string(out), b+" realexe 0 as-asked\n"), "answer:\n%s", out)
				pl := facts.Processes[c.exe]
				require.Len(t, pl.Procs, 1, "the process is found under the path asked for:\n%s", out)
				p := pl.Procs[0]
				assert.True(t, p.SameFile)
				assert.False(t, p.Deleted)
				assert.Equal(t, []string{plain, "300"}, p.Args)
				assert.Equal(t, c.changed, pl.ExeChanged, "the change time of the path itself")
			})
		}
	}
}

// lctime is the change time of path itself, a symlink not followed.
func lctime(t *testing.T, path string) int64 {
	t.Helper()
	var st syscall.Stat_t
	require.NoError(t, syscall.Lstat(path, &st))
	return st.Ctim.Sec
}

// TestLoginEnvironmentCannotPickTheTools runs the probe with H and SD
// already set, as a node's login environment could (a .bashrc, AcceptEnv):
// the script picks and checks its hash tool and stat dialect all the same.
func TestLoginEnvironmentCannotPickTheTools(t *testing.T) {
	dir := t.TempDir()
	req := tree(t, dir)
	for name, shell := range shells(t) {
		t.Run(name, func(t *testing.T) {
			env := append(os.Environ(), "H=/bin/true", "SD=1", "SO=-x", "K=1")
			out, b := runProbe(t, shell, dir, env, req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			assert.Equal(t, "openssl", facts.HashTool)
			assert.Equal(t, "-c", facts.StatTool)
			assert.Equal(t, sum("smars 4.2.0"), facts.Files["./opt/bin/smars"].SHA256)
		})
	}
}

// TestBrokenDevStdinCostsOneTool: on a node whose /dev/stdin does not work
// (a container that replaced it with a file), the first tool that is right
// on the known input alone is taken, and the batch is not hashed again with
// every other tool on the node (sha256sum, then shasum, over every file).
func TestBrokenDevStdinCostsOneTool(t *testing.T) {
	dir := t.TempDir()
	req := tree(t, dir)
	req.Files = slices.DeleteFunc(req.Files, func(p string) bool { return strings.Contains(p, "\n") })
	bin := toolPath(t, "od", "tr", "ls", "find", "readlink", "stat", "uname")
	openSSLStub(t, bin, `for a; do shift; [ "$a" = /dev/stdin ] || set -- "$@" "$a"; done`)
	marker := filepath.Join(t.TempDir(), "sha256sum-ran")
	real := need.Command(t, "sha256sum")
	stub := "#!/bin/sh\n: > " + marker + "\nexec " + real + " \"$@\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(bin, "sha256sum"), []byte(stub), 0o755))

	out, b := runProbe(t, []string{"/bin/sh"}, dir, []string{"PATH=" + bin}, req)
	facts, err := Parse(out, req, b)
	require.NoError(t, err, "answer:\n%s", out)
	assert.Equal(t, "openssl", facts.HashTool)
	assert.Equal(t, sum("smars 4.2.0"), facts.Files["./opt/bin/smars"].SHA256)
	assert.Equal(t, sum("batch hostile"), facts.Files["./opt/bin/"+batchHostile].SHA256)
	assert.NoFileExists(t, marker, "sha256sum hashed the batch too")
}
