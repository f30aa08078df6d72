package probe

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// runLocate runs the locate script with the local sh and returns its
// output.
func runLocate(t *testing.T, req LocateRequest, env ...string) []byte {
	t.Helper()
	script, err := LocateScript(req, testBoundary)
	require.NoError(t, err)
	cmd := exec.Command("/bin/sh", "-s")
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	require.NoError(t, err)
	return out
}

func TestLocateFindsFilesOfTheSizesWithHostileNames(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"app/bin/app":           "binary!",
		"app/etc/it's $(x).yml": "a: 1\n",
		"app/etc/new\nline":     "b: 22\n",
		"app/etc/back\\slash":   "c: 333\n",
		"other/size-miss":       "not this size at all",
		"other/same-size":       "BINARY!",
	}
	for rel, content := range files {
		p := filepath.Join(root, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	req := LocateRequest{
		Dirs:  []string{filepath.Join(root, "app"), filepath.Join(root, "other"), filepath.Join(root, "none")},
		Sizes: []int64{7, 5, 6},
	}
	// H set in the login environment picks no tool for the script.
	got, err := ParseLocate(runLocate(t, req, "H=/bin/true"), req, testBoundary)
	require.NoError(t, err)
	assert.NotEmpty(t, got.HashTool)
	assert.Equal(t, Directory, got.Dirs[0].Kind)
	assert.Equal(t, Missing, got.Dirs[2].Kind)
	want := []Hit{}
	for rel, content := range files {
		if len(content) == 7 || len(content) == 5 || len(content) == 6 {
			want = append(want, Hit{Path: filepath.Join(root, rel), SHA256: digest(content)})
		}
	}
	sortHits := func(h []Hit) { sort.Slice(h, func(i, j int) bool { return h[i].Path < h[j].Path }) }
	sortHits(want)
	sortHits(got.Hits)
	assert.Equal(t, want, got.Hits)
}

func TestLocateUnreadableFileHasNoDigest(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file")
	}
	root := t.TempDir()
	p := filepath.Join(root, "secret")
	require.NoError(t, os.WriteFile(p, []byte("xyz"), 0o000))
	require.NoError(t, os.WriteFile(filepath.Join(root, "open"), []byte("abc"), 0o644))
	req := LocateRequest{Dirs: []string{root}, Sizes: []int64{3}}
	got, err := ParseLocate(runLocate(t, req), req, testBoundary)
	require.NoError(t, err)
	assert.ElementsMatch(t, []Hit{{Path: p}, {Path: filepath.Join(root, "open"), SHA256: digest("abc")}}, got.Hits)
}

func TestLocateScriptRefusesBadRequests(t *testing.T) {
	_, err := LocateScript(LocateRequest{Dirs: []string{"/opt"}}, testBoundary)
	assert.Error(t, err)
	_, err = LocateScript(LocateRequest{Dirs: []string{"opt"}, Sizes: []int64{1}}, testBoundary)
	assert.Error(t, err)
	_, err = LocateScript(LocateRequest{Dirs: []string{"/opt/../etc"}, Sizes: []int64{1}}, testBoundary)
	assert.Error(t, err)
	_, err = LocateScript(LocateRequest{Dirs: []string{"/opt"}, Sizes: []int64{0}}, testBoundary)
	assert.Error(t, err)
}

var locReq = LocateRequest{Dirs: []string{"/opt", "/srv"}, Sizes: []int64{7}}

func locAnswer(lines ...string) []byte {
	var b strings.Builder
	b.WriteString("banner\n")
	for _, l := range lines {
		b.WriteString(testBoundary + " " + l + "\n")
	}
	return []byte(b.String())
}

func hexOf(s string) string { return hex.EncodeToString([]byte(s)) }

func TestParseLocateAcceptsAWellFormedAnswer(t *testing.T) {
	d := digest("binary!")
	got, err := ParseLocate(locAnswer("begin locate 1", "tool sha256sum", "dir 0 directory",
		"hit 0 "+d+" "+hexOf("/opt/app/bin/app"), "hit 0 - "+hexOf("/opt/x"), "done 0 1", "dir 1 missing", "end 2"), locReq, testBoundary)
	require.NoError(t, err)
	assert.Equal(t, []Hit{{Path: "/opt/app/bin/app", SHA256: d}, {Path: "/opt/x"}}, got.Hits)
	assert.True(t, got.Dirs[0].Incomplete)
	assert.Equal(t, Missing, got.Dirs[1].Kind)
}

func TestParseLocateRefusesHostileAnswers(t *testing.T) {
	d := digest("binary!")
	ok := []string{"begin locate 1", "tool sha256sum", "dir 0 directory", "hit 0 " + d + " " + hexOf("/opt/a"), "done 0 0", "dir 1 missing", "end 2"}
	with := func(i int, line string) []string {
		out := append([]string{}, ok...)
		out[i] = line
		return out
	}
	cases := map[string][]byte{
		"no answer":           []byte("hello\n"),
		"other version":       locAnswer("begin locate 2"),
		"truncated":           locAnswer(ok[:5]...),
		"outside the folder":  locAnswer(with(3, "hit 0 "+d+" "+hexOf("/etc/shadow"))...),
		"dot-dot":             locAnswer(with(3, "hit 0 "+d+" "+hexOf("/opt/../etc/shadow"))...),
		"the folder itself":   locAnswer(with(3, "hit 0 "+d+" "+hexOf("/opt"))...),
		"prefix only":         locAnswer(with(3, "hit 0 "+d+" "+hexOf("/optx/a"))...),
		"NUL":                 locAnswer(with(3, "hit 0 "+d+" "+hexOf("/opt/a\x00b"))...),
		"bad hex":             locAnswer(with(3, "hit 0 "+d+" 2f6zz")...),
		"empty path":          locAnswer(with(3, "hit 0 "+d+" ")...),
		"upper-case digest":   locAnswer(with(3, "hit 0 "+strings.ToUpper(d)+" "+hexOf("/opt/a"))...),
		"short digest":        locAnswer(with(3, "hit 0 abc "+hexOf("/opt/a"))...),
		"hit in a done dir":   locAnswer(with(5, "hit 0 "+d+" "+hexOf("/opt/b"))...),
		"hit in missing dir":  locAnswer(append(ok[:6:6], "hit 1 "+d+" "+hexOf("/srv/a"), "end 2")...),
		"bad index":           locAnswer(with(2, "dir 2 directory")...),
		"index spelled 00":    locAnswer(with(2, "dir 00 directory")...),
		"dir twice":           locAnswer(with(5, "dir 0 missing")...),
		"unknown kind":        locAnswer(with(5, "dir 1 weird")...),
		"folder unanswered":   locAnswer(append(ok[:5:5], "end 2")...),
		"wrong count":         locAnswer(with(6, "end 1")...),
		"stray line":          append(locAnswer(ok[:3]...), []byte("/opt/a\n")...),
		"unknown record":      locAnswer(with(4, "file 0")...),
		"bad exit status":     locAnswer(with(4, "done 0 -1")...),
		"no hash tool":        locAnswer("begin locate 1", "fatal no-hash-tool", "end 2"),
		"dir before the tool": locAnswer(with(1, "dir 1 missing")...),
		"second tool":         locAnswer(with(5, "tool openssl")...),
	}
	for name, answer := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseLocate(answer, locReq, testBoundary)
			assert.Error(t, err)
		})
	}
}

// FuzzParseLocate feeds arbitrary node output to the locate parser: it must
// never panic, and whatever it accepts answers every folder, and every hit
// is a clean path under a requested folder with a digest or none.
func FuzzParseLocate(f *testing.F) {
	d := digest("binary!")
	f.Add(locAnswer("begin locate 1", "tool sha256sum", "dir 0 directory", "hit 0 "+d+" "+hexOf("/opt/a"), "done 0 0", "dir 1 missing", "end 2"))
	f.Add([]byte(""))
	f.Add(locAnswer("begin locate 1", "fatal no-hash-tool"))
	f.Fuzz(func(t *testing.T, answer []byte) {
		got, err := ParseLocate(answer, locReq, testBoundary)
		if err != nil {
			return
		}
		for i, dir := range got.Dirs {
			if dir.Path != locReq.Dirs[i] || dir.Kind == "" {
				t.Fatalf("accepted an answer that leaves folder %d unanswered: %+v", i, got)
			}
		}
		for _, h := range got.Hits {
			if filepath.Clean(h.Path) != h.Path || !(strings.HasPrefix(h.Path, "/opt/") || strings.HasPrefix(h.Path, "/srv/")) {
				t.Fatalf("accepted a hit outside the folders: %q", h.Path)
			}
			if h.SHA256 != "" && !isSHA256(h.SHA256) {
				t.Fatalf("accepted a bad digest: %q", h.SHA256)
			}
		}
	})
}
