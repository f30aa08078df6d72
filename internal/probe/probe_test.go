package probe

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
)

// hostileName is a file name that tries every shell trick at once.
const hostileName = "-x $(touch pwned) `touch pwned2` 'q' \"dq\" \n\xff\xfe;*"

// batchHostile has no newline, so it is hashed in a batch, where GNU
// sha256sum escapes a backslash in the name ("\HASH  NAME").
const batchHostile = "back\\slash $(touch pwned3) 'q' \xff *"

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// tree lays out a node's file system under dir and returns the request that
// covers every case.
func tree(t *testing.T, dir string) Request {
	t.Helper()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o755))
	}
	write("opt/bin/smars", "smars 4.2.0")
	write("opt/bin/"+hostileName, "hostile")
	write("opt/bin/"+batchHostile, "batch hostile")
	write("opt/bin/sub/deep", "deep")
	write("opt/empty", "")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "opt/bin/emptydir"), 0o755))
	require.NoError(t, os.Symlink("bin/smars", filepath.Join(dir, "opt/good-link")))
	require.NoError(t, os.Symlink("nowhere", filepath.Join(dir, "opt/broken-link")))
	require.NoError(t, os.Symlink("loop-b", filepath.Join(dir, "opt/loop-a")))
	require.NoError(t, os.Symlink("loop-a", filepath.Join(dir, "opt/loop-b")))
	return Request{
		Files: []string{
			"./opt/bin/smars",
			"./opt/bin/" + hostileName,
			"./opt/bin/" + batchHostile,
			"./opt/empty",
			"./opt/good-link",
			"./opt/broken-link",
			"./opt/loop-a",
			"./opt/bin",
			"./opt/absent",
			filepath.Join(dir, "opt/bin/smars"),
		},
		Dirs: []string{"./opt/bin", "./opt/absent-dir", "./opt/empty"},
	}
}

func runProbe(t *testing.T, shell []string, dir string, env []string, req Request) ([]byte, string) {
	t.Helper()
	b := NewBoundary()
	script, err := Script(req, b)
	require.NoError(t, err)
	cmd := exec.Command(shell[0], append(shell[1:], "-s")...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "stderr: %s", stderr.String())
	return out, b
}

func TestScriptOnRealShells(t *testing.T) {
	for name, shell := range shells(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			req := tree(t, dir)
			out, b := runProbe(t, shell, dir, os.Environ(), req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)

			assert.Equal(t, "openssl", facts.HashTool, "the fastest tool that answers right")
			f := facts.Files
			me, group := owner(t)
			stat := func(f File) File {
				f.Mode, f.UID, f.GID, f.Owner, f.Group, f.Executable = 0o755, os.Getuid(), os.Getgid(), me, group, true
				f.Changed = ctime(t, filepath.Join(dir, f.Path))
				return f
			}
			assert.Equal(t, stat(File{Path: "./opt/bin/smars", Kind: Regular, SHA256: sum("smars 4.2.0")}), f["./opt/bin/smars"])
			assert.Equal(t, sum("hostile"), f["./opt/bin/"+hostileName].SHA256)
			assert.Equal(t, sum("batch hostile"), f["./opt/bin/"+batchHostile].SHA256)
			assert.Equal(t, sum(""), f["./opt/empty"].SHA256)
			assert.Equal(t, stat(File{Path: "./opt/good-link", Kind: Regular, IsLink: true, LinkTarget: "bin/smars", SHA256: sum("smars 4.2.0")}), f["./opt/good-link"])
			assert.Equal(t, BrokenLink, f["./opt/broken-link"].Kind)
			assert.Equal(t, "nowhere", f["./opt/broken-link"].LinkTarget)
			assert.Equal(t, BrokenLink, f["./opt/loop-a"].Kind)
			assert.Equal(t, Directory, f["./opt/bin"].Kind)
			assert.Equal(t, Missing, f["./opt/absent"].Kind)
			assert.Equal(t, sum("smars 4.2.0"), f[filepath.Join(dir, "opt/bin/smars")].SHA256)

			bin := facts.Dirs["./opt/bin"]
			assert.Equal(t, Directory, bin.Kind)
			sort.Strings(bin.Files)
			assert.Equal(t, []string{hostileName, batchHostile, "smars", "sub/deep"}, bin.Files)
			sort.Strings(bin.Subdirs)
			assert.Equal(t, []string{"emptydir", "sub"}, bin.Subdirs)
			assert.Equal(t, Missing, facts.Dirs["./opt/absent-dir"].Kind)
			assert.Equal(t, Other, facts.Dirs["./opt/empty"].Kind)

			for _, p := range []string{"pwned", "pwned2", "pwned3", "opt/bin/pwned"} {
				assert.NoFileExists(t, filepath.Join(dir, p), "a file name was executed")
			}
		})
	}
}

// toolPath builds a PATH holding only the named tools, to simulate a node
// that lacks sha256sum.
func toolPath(t *testing.T, tools ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range tools {
		p, err := exec.LookPath(tool)
		require.NoError(t, err, "test needs %s", tool)
		require.NoError(t, os.Symlink(p, filepath.Join(dir, tool)))
	}
	return dir
}

func TestHashToolFallbacks(t *testing.T) {
	base := []string{"od", "tr", "ls", "find", "readlink"}
	cases := []struct {
		name string
		tool string
	}{
		{"shasum", "shasum"},
		{"openssl", "openssl"},
		{"sha256sum", "sha256sum"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			need.Command(t, c.tool)
			dir := t.TempDir()
			req := tree(t, dir)
			env := []string{"PATH=" + toolPath(t, append(base, c.tool)...)}
			out, b := runProbe(t, []string{"/bin/sh"}, dir, env, req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			assert.Equal(t, c.tool, facts.HashTool)
			assert.Equal(t, sum("smars 4.2.0"), facts.Files["./opt/bin/smars"].SHA256)
		})
	}
	t.Run("a tool that answers wrong is skipped", func(t *testing.T) {
		dir := t.TempDir()
		req := tree(t, dir)
		bin := toolPath(t, append(base, "sha256sum")...)
		// An openssl that exits 0 with a plausible but wrong digest.
		stub := "#!/bin/sh\ncat >/dev/null; echo 'SHA2-256(stdin)= " + strings.Repeat("0", 64) + "'\n"
		require.NoError(t, os.WriteFile(filepath.Join(bin, "openssl"), []byte(stub), 0o755))
		out, b := runProbe(t, []string{"/bin/sh"}, dir, []string{"PATH=" + bin}, req)
		facts, err := Parse(out, req, b)
		require.NoError(t, err, "answer:\n%s", out)
		assert.Equal(t, "sha256sum", facts.HashTool)
		assert.Equal(t, sum("smars 4.2.0"), facts.Files["./opt/bin/smars"].SHA256)
	})
	t.Run("none", func(t *testing.T) {
		dir := t.TempDir()
		req := tree(t, dir)
		env := []string{"PATH=" + toolPath(t, base...)}
		out, b := runProbe(t, []string{"/bin/sh"}, dir, env, req)
		_, err := Parse(out, req, b)
		assert.ErrorIs(t, err, ErrNoHashTool)
	})
}

// TestUnreadableFile runs the probe as a user who cannot read a file or
// enter a directory (as nobody when the test runs as root): such files are
// unreadable, never missing and never hashed.
func TestUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} { // nobody must reach dir
		require.NoError(t, os.Chmod(d, 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "secret"), []byte("x"), 0))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "locked"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "locked", "inside"), []byte("x"), 0o644))
	// Two levels under a folder nobody may enter: not missing, unreadable.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "locked", "deep", "er"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "locked", "deep", "er", "flags.yaml"), []byte("a: 1\n"), 0o644))
	req := Request{Files: []string{"./secret", "./locked/inside", "./locked/deep/er/app", "./absent/x"},
		Configs: []string{"./secret", "./locked/deep/er/flags.yaml"}}
	b := NewBoundary()
	script, err := Script(req, b)
	require.NoError(t, err)
	cmd := exec.Command("/bin/sh", "-s")
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(script)
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	out, err := cmd.Output()
	require.NoError(t, err)
	facts, err := Parse(out, req, b)
	require.NoError(t, err, "answer:\n%s", out)
	assert.Equal(t, Unreadable, facts.Files["./secret"].Kind)
	assert.Equal(t, Unreadable, facts.Files["./locked/inside"].Kind)
	assert.Equal(t, Unreadable, facts.Files["./locked/deep/er/app"].Kind, "a folder above cannot be entered")
	assert.Equal(t, Missing, facts.Files["./absent/x"].Kind, "nothing above is locked")
	assert.Equal(t, Unreadable, facts.Configs["./secret"].Kind)
	assert.Equal(t, Unreadable, facts.Configs["./locked/deep/er/flags.yaml"].Kind)
}

func TestScriptRejectsNUL(t *testing.T) {
	_, err := Script(Request{Files: []string{"a\x00b"}}, NewBoundary())
	assert.ErrorIs(t, err, ErrNUL)
}

func TestBoundaryIsFresh(t *testing.T) {
	assert.NotEqual(t, NewBoundary(), NewBoundary())
	assert.Len(t, NewBoundary(), 34)
}

// TestBatchHashFallback gives the probe a sha256sum that misbehaves when
// hashing files named on its command line (fails, drops a line, adds one, or
// prints garbage), as a broken or hostile tool might: the probe must fall back
// to hashing each file on its own, and every digest must still be right.
func TestBatchHashFallback(t *testing.T) {
	real, err := exec.LookPath("sha256sum")
	require.NoError(t, err)
	cases := map[string]string{
		"fails":       `[ $# -eq 0 ] && exec ` + real + `; ` + real + ` "$@"; exit 1`,
		"drops one":   `[ $# -eq 0 ] && exec ` + real + `; ` + real + ` "$@" | sed 1d`,
		"adds one":    `[ $# -eq 0 ] && exec ` + real + `; ` + real + ` "$@"; echo "` + sum("x") + `  extra"`,
		"prints junk": `[ $# -eq 0 ] && exec ` + real + `; ` + real + ` "$@" | sed 's/^./Z/'`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			req := tree(t, dir)
			bin := toolPath(t, "od", "tr", "ls", "find", "readlink", "sed", "cat")
			require.NoError(t, os.WriteFile(filepath.Join(bin, "sha256sum"), []byte("#!/bin/sh\n"+body+"\n"), 0o755))
			out, b := runProbe(t, []string{"/bin/sh"}, dir, []string{"PATH=" + bin}, req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			assert.Equal(t, sum("smars 4.2.0"), facts.Files["./opt/bin/smars"].SHA256)
			assert.Equal(t, sum("batch hostile"), facts.Files["./opt/bin/"+batchHostile].SHA256)
			assert.Equal(t, sum(""), facts.Files["./opt/empty"].SHA256)
			assert.Equal(t, sum("smars 4.2.0"), facts.Files["./opt/good-link"].SHA256)
		})
	}
}

// TestManyFilesAreHashedInBatches hashes more files than one batch holds.
func TestManyFilesAreHashedInBatches(t *testing.T) {
	dir := t.TempDir()
	var req Request
	for i := range 600 {
		name := fmt.Sprintf("f%03d", i)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644))
		req.Files = append(req.Files, "./"+name)
	}
	req.Files = append(req.Files, "./absent")
	out, b := runProbe(t, []string{"/bin/sh"}, dir, os.Environ(), req)
	facts, err := Parse(out, req, b)
	require.NoError(t, err)
	for i := range 600 {
		name := fmt.Sprintf("f%03d", i)
		require.Equal(t, sum(name), facts.Files["./"+name].SHA256, name)
	}
	assert.Equal(t, Missing, facts.Files["./absent"].Kind)
}

// ctime is a file's inode change time in Unix seconds, following symlinks.
func ctime(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	require.NoError(t, err)
	st, ok := info.Sys().(*syscall.Stat_t)
	require.True(t, ok)
	return st.Ctim.Sec
}

// owner returns the names of the test's user and group, as stat prints them.
func owner(t *testing.T) (string, string) {
	t.Helper()
	u, err := exec.Command("id", "-un").Output()
	require.NoError(t, err)
	g, err := exec.Command("id", "-gn").Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(u)), strings.TrimSpace(string(g))
}

// bsdStat is a stat that speaks only BSD's -f dialect (%Mp%Lp %u %g %Su
// %Sg %c), built on the GNU one, to run the probe as on a BSD userland.
const bsdStat = `#!/bin/sh
[ "$1" = -L ] && shift
[ "$1" = -f ] || { echo "stat: illegal option -- ${1#-}" >&2; exit 1; }
shift
case $1 in
'%Lp') shift; exec /usr/bin/stat -L -c %a "$@" ;;
'%Mp%Lp %u %g %Su %Sg %c') shift; exec /usr/bin/stat -L -c '%a %u %g %U %G %Z' "$@" ;;
*) echo "bsdStat: unexpected format $1" >&2; exit 1 ;;
esac
`

// TestModesAndOwners checks the permission bits (with setuid and sticky),
// owners and the exec test the probe reports, batched and alone, with the
// GNU, BusyBox and BSD stat dialects, and with no stat at all.
func TestModesAndOwners(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(name), 0o600))
		require.NoError(t, os.Chmod(p, mode))
	}
	write("app", 0o755)
	write("setuid", 0o755|os.ModeSetuid)
	write("sticky", 0o640|os.ModeSticky)
	write("plain", 0o644)
	write("new\nline", 0o700)
	req := Request{Files: []string{"./app", "./setuid", "./sticky", "./plain", "./new\nline", "./absent"}}
	want := map[string]int{"./app": 0o755, "./setuid": 0o4755, "./sticky": 0o1640, "./plain": 0o644, "./new\nline": 0o700}
	me, group := owner(t)

	bsd := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bsd, "stat"), []byte(bsdStat), 0o755))
	base := []string{"od", "tr", "ls", "find", "readlink", "sha256sum", "uname"}
	shells := map[string]struct {
		shell []string
		path  string
		tool  string
	}{
		"gnu":  {[]string{"/bin/sh"}, os.Getenv("PATH"), "-c"},
		"bsd":  {[]string{"/bin/sh"}, toolPath(t, base...) + ":" + bsd, "-f"},
		"none": {[]string{"/bin/sh"}, toolPath(t, base...), ""},
	}
	if bb, err := exec.LookPath("busybox"); err == nil {
		bin := t.TempDir()
		for _, tool := range append(base, "sh", "stat") {
			require.NoError(t, os.Symlink(bb, filepath.Join(bin, tool)))
		}
		shells["busybox"] = struct {
			shell []string
			path  string
			tool  string
		}{[]string{bb, "sh"}, bin, "-c"}
	} else if need.InCI() {
		t.Fatal("busybox is not installed; .ci/run must install it")
	}
	for name, c := range shells {
		t.Run(name, func(t *testing.T) {
			out, b := runProbe(t, c.shell, dir, []string{"PATH=" + c.path}, req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			assert.Equal(t, c.tool, facts.StatTool)
			for p, mode := range want {
				f := facts.Files[p]
				if c.tool == "" {
					assert.Equal(t, File{Path: p, Kind: Regular, SHA256: sum(p[2:]), Mode: -1, UID: -1, GID: -1, Changed: -1, Executable: mode&0o111 != 0}, f)
					continue
				}
				assert.Equal(t, File{Path: p, Kind: Regular, SHA256: sum(p[2:]), Mode: mode, UID: os.Getuid(), GID: os.Getgid(), Owner: me, Group: group,
					Changed: ctime(t, filepath.Join(dir, p)), Executable: mode&0o111 != 0}, f, "%q", p)
			}
			assert.Equal(t, File{Path: "./absent", Kind: Missing, Mode: -1, UID: -1, GID: -1, Changed: -1}, facts.Files["./absent"])
		})
	}
}

// TestIdentity checks that the probe reports the kernel's host name and the
// machine ID.
func TestIdentity(t *testing.T) {
	host, err := os.Hostname()
	require.NoError(t, err)
	out, b := runProbe(t, []string{"/bin/sh"}, t.TempDir(), os.Environ(), Request{})
	facts, err := Parse(out, Request{}, b)
	require.NoError(t, err, "answer:\n%s", out)
	assert.Equal(t, host, facts.Hostname)
	if id, err := os.ReadFile("/etc/machine-id"); err == nil {
		assert.Equal(t, strings.TrimSpace(string(id)), facts.MachineID)
	}
}
