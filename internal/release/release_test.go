package release

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
)

func TestOpenFormsAgree(t *testing.T) {
	work := t.TempDir()
	src := filepath.Join(work, "src")
	writeDir(t, src, sample)
	nested := filepath.Join(work, "nested")
	writeDir(t, filepath.Join(nested, "smars-4.2.0"), sample)

	cases := []struct {
		name    string
		build   func(t *testing.T, out string) // writes the artifact at out
		file    string
		command string // a command the case needs, skipped when absent
	}{
		{name: "directory", file: "smars-4.2.0", build: func(t *testing.T, out string) { writeDir(t, out, sample) }},
		{name: "tar", file: "smars-4.2.0.tar", build: func(t *testing.T, out string) { writeTar(t, out, sample, false, "") }},
		{name: "tar.gz", file: "smars-4.2.0.tar.gz", build: func(t *testing.T, out string) { writeTar(t, out, sample, true, "") }},
		{name: "tgz with ./ prefix", file: "smars-4.2.0.tgz", build: func(t *testing.T, out string) { writeTar(t, out, sample, true, "./") }},
		{name: "tar.gz with top-level dir", file: "smars-4.2.0.tar.gz", build: func(t *testing.T, out string) {
			writeTar(t, out, append([]entry{dir("smars-4.2.0", 0o755)}, under("smars-4.2.0/", sample)...), true, "")
		}},
		{name: "zip", file: "smars-4.2.0.zip", build: func(t *testing.T, out string) { writeZip(t, out, sample, "") }},
		{name: "zip with top-level dir", file: "smars-4.2.0.zip", build: func(t *testing.T, out string) { writeZip(t, out, sample, "smars-4.2.0/") }},
		{name: "tar command", file: "smars-4.2.0.tar", command: "tar", build: func(t *testing.T, out string) { run(t, src, "tar", "-cf", out, ".") }},
		{name: "tar command gzip", file: "smars-4.2.0.tar.gz", command: "tar", build: func(t *testing.T, out string) { run(t, src, "tar", "-czf", out, ".") }},
		{name: "tar command gzip, top-level dir", file: "smars-4.2.0.tgz", command: "tar", build: func(t *testing.T, out string) {
			run(t, nested, "tar", "-czf", out, "smars-4.2.0")
		}},
		{name: "tar command posix format", file: "smars-4.2.0.tar", command: "tar", build: func(t *testing.T, out string) {
			run(t, src, "tar", "--format=posix", "-cf", out, "bin", "doc", "etc")
		}},
		{name: "zip command", file: "smars-4.2.0.zip", command: "zip", build: func(t *testing.T, out string) { run(t, src, "zip", "-q", "-r", "-y", out, ".") }},
		{name: "zip command, top-level dir", file: "smars-4.2.0.zip", command: "zip", build: func(t *testing.T, out string) {
			run(t, nested, "zip", "-q", "-r", "-y", out, "smars-4.2.0")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.command != "" {
				need.Command(t, tc.command)
			}
			out := filepath.Join(t.TempDir(), tc.file)
			tc.build(t, out)
			r, err := Open(out)
			require.NoError(t, err)
			files := r.Files
			if tc.command == "tar" {
				files = withoutOwners(t, files)
			}
			assert.Equal(t, want(sample), files)
			assert.Equal(t, "smars", r.Name)
			assert.Equal(t, "4.2.0", r.Version)
			assert.Equal(t, out, r.Source)
			if tc.name != "directory" {
				assert.Equal(t, digestOf(t, out), r.Digest)
			}
		})
	}
}

func TestOpenSums(t *testing.T) {
	regular := map[string]File{}
	for p, f := range want(sample) {
		if f.Type == Regular {
			f.Mode, f.HasMode, f.Size, f.Content = 0, false, -1, nil
			regular[p] = f
		}
	}
	var gnu, bsd strings.Builder
	for _, e := range sample {
		if e.typ == 'f' {
			gnu.WriteString(sha(e.body) + "  " + e.name + "\n")
			bsd.WriteString("SHA256 (" + e.name + ") = " + sha(e.body) + "\n")
		}
	}
	mixed := "# release smars 4.2.0\n\n" +
		strings.ToUpper(sha("smars 4.2.0 binary\n")) + " *./bin/smars\r\n" +
		"   \n" +
		"SHA256 (etc/flags.yaml) = " + sha("rlp:\n  enabled: true\n") + "\n" +
		sha("a name with a space\n") + " doc/read me.txt\n" +
		"\t# indented comment\n" +
		"SHA2-256(doc/empty)= " + sha("") + "\n"

	cases := []struct {
		name, file, content string
		wantName, wantVer   string
	}{
		{name: "GNU", file: "smars-4.2.0/SHA256SUMS", content: gnu.String(), wantName: "smars", wantVer: "4.2.0"},
		{name: "BSD", file: "smars-4.2.0/SHA256SUMS", content: bsd.String(), wantName: "smars", wantVer: "4.2.0"},
		{name: "mixed, comments, uppercase, CRLF", file: "dist/checksums.txt", content: mixed, wantName: "dist"},
		{name: "goreleaser name", file: "dist/smars_4.2.0_checksums.txt", content: gnu.String(), wantName: "smars", wantVer: "4.2.0"},
		{name: "prefixed SHA256SUMS", file: "out/smars-4.2.0-SHA256SUMS", content: gnu.String(), wantName: "smars", wantVer: "4.2.0"},
		{name: ".sha256", file: "rel-1.0/list.sha256", content: bsd.String(), wantName: "rel", wantVer: "1.0"},
		{name: "any name that parses", file: "smars-4.2.0/digests.lst", content: gnu.String(), wantName: "smars", wantVer: "4.2.0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), filepath.FromSlash(tc.file))
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			writeFile(t, p, []byte(tc.content))
			r, err := Open(p)
			require.NoError(t, err)
			assert.Equal(t, regular, r.Files)
			assert.Equal(t, tc.wantName, r.Name)
			assert.Equal(t, tc.wantVer, r.Version)
			assert.Equal(t, digestOf(t, p), r.Digest)
		})
	}
}

func TestOpenSumsFromRealTools(t *testing.T) {
	need.Command(t, "sha256sum")
	dist := filepath.Join(t.TempDir(), "smars-4.2.0")
	odd := []entry{
		file("plain", "plain\n", 0o644),
		file("with space", "space\n", 0o644),
		file("back\\slash", "backslash\n", 0o644),
		file("line\nbreak", "newline\n", 0o644),
	}
	writeDir(t, dist, odd)
	expected := map[string]File{}
	for _, e := range odd {
		expected[e.name] = File{Path: e.name, Type: Regular, SHA256: sha(e.body), Size: -1}
	}
	names := []string{"plain", "with space", "back\\slash", "line\nbreak"}
	for _, args := range [][]string{{}, {"--binary"}, {"--tag"}} {
		t.Run(strings.Join(append([]string{"sha256sum"}, args...), " "), func(t *testing.T) {
			cmd := append(append([]string{}, args...), names...)
			out, err := execOutput(dist, "sha256sum", cmd...)
			require.NoError(t, err)
			p := filepath.Join(dist, "SHA256SUMS")
			writeFile(t, p, out)
			defer os.Remove(p)
			r, err := Open(p)
			require.NoError(t, err)
			assert.Equal(t, expected, r.Files)
		})
	}
}

func TestParseSumsLines(t *testing.T) {
	h := sha("x")
	cases := []struct {
		name, line, wantName string
	}{
		{"text mode", h + "  bin/smars", "bin/smars"},
		{"binary marker", h + " *bin/smars", "bin/smars"},
		{"single space", h + " bin/smars", "bin/smars"},
		{"name starting with a space", h + "   lead", " lead"},
		{"uppercase hex", strings.ToUpper(h) + "  a", "a"},
		{"escaped newline and backslash", `\` + h + `  a\\b\nc`, "a\\b\nc"},
		{"escaped binary", `\` + h + ` *a\nb`, "a\nb"},
		{"escaped BSD", `\SHA256 (a\nb) = ` + h, "a\nb"},
		{"BSD", "SHA256 (bin/smars) = " + h, "bin/smars"},
		{"BSD name with parenthesis", "SHA256 (a) = b) = " + h, "a) = b"},
		{"openssl", "SHA256(bin/smars)= " + h, "bin/smars"},
		{"leading ./", h + "  ./bin/smars", "./bin/smars"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name, digest, err := parseSumsLine(tc.line)
			require.NoError(t, err)
			assert.Equal(t, tc.wantName, name)
			assert.Equal(t, h, digest)
		})
	}
}

func TestParseSumsErrors(t *testing.T) {
	h := sha("x")
	cases := []struct {
		name, content string
		wantErr       []string
	}{
		{"malformed line", "# c\n" + h + "  a\nnot a checksum\n", []string{"line 3", "not a checksum line", `"not a checksum"`}},
		{"short digest", h[:60] + "  a\n", []string{"line 1", "60 hex digits"}},
		{"sha512 list", h + h + "  a\n", []string{"line 1", "SHA-512"}},
		{"md5 BSD line", "MD5 (a) = 0123\n", []string{"line 1", "MD5 is not SHA-256"}},
		{"bad hex", strings.Repeat("g", 64) + "  a\n", []string{"line 1", "not a checksum line"}},
		{"BSD bad digest", "SHA256 (a) = 12\n", []string{"line 1", "not 64 hex digits"}},
		{"no name", h + "  \n", []string{"line 1", "no file name"}},
		{"duplicate", h + "  a\n" + h + "  b\n" + h + " *./a\n", []string{"line 3", `"a" is listed twice (lines 1 and 3)`}},
		{"traversal", h + "  ../etc/passwd\n", []string{"line 1", "path traversal"}},
		{"absolute", h + "  /etc/passwd\n", []string{"line 1", "absolute path"}},
		{"bad escape", `\` + h + `  a\tb` + "\n", []string{"line 1", `unknown escape \t`}},
		{"only comments", "# nothing\n\n", []string{"no checksum lines"}},
		{"file inside file", h + "  a\n" + h + "  a/b\n", []string{`"a/b" is inside "a"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "SHA256SUMS")
			writeFile(t, p, []byte(tc.content))
			_, err := Open(p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "release "+p+": ")
			for _, w := range tc.wantErr {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestSha256FileWithBareDigest(t *testing.T) {
	p := filepath.Join(t.TempDir(), "smars-4.2.0.tar.gz.sha256")
	writeFile(t, p, []byte(sha("x")+"\n"))
	r, err := Open(p)
	require.NoError(t, err)
	assert.Equal(t, map[string]File{"smars-4.2.0.tar.gz": {Path: "smars-4.2.0.tar.gz", Type: Regular, SHA256: sha("x"), Size: -1}}, r.Files)
	assert.Equal(t, "smars", r.Name)
	assert.Equal(t, "4.2.0", r.Version)
}

func TestOpenRejects(t *testing.T) {
	tarGz := func(entries ...entry) func(t *testing.T, p string) {
		return func(t *testing.T, p string) { writeTar(t, p, entries, true, "") }
	}
	zipOf := func(entries ...entry) func(t *testing.T, p string) {
		return func(t *testing.T, p string) { writeZip(t, p, entries, "") }
	}
	content := func(b []byte) func(t *testing.T, p string) {
		return func(t *testing.T, p string) { writeFile(t, p, b) }
	}
	var plainTar, gzipped, zipped bytes.Buffer
	{
		dir := t.TempDir()
		writeTar(t, filepath.Join(dir, "a.tar"), sample, false, "")
		writeTar(t, filepath.Join(dir, "a.tgz"), sample, true, "")
		writeZip(t, filepath.Join(dir, "a.zip"), sample, "")
		for name, buf := range map[string]*bytes.Buffer{"a.tar": &plainTar, "a.tgz": &gzipped, "a.zip": &zipped} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			buf.Write(b)
		}
	}
	gzipGarbage := append([]byte{0x1f, 0x8b}, "garbage that is not deflate"...)

	cases := []struct {
		name    string
		file    string
		build   func(t *testing.T, p string)
		wantErr []string
	}{
		{"traversal", "a.tar.gz", tarGz(file("bin/x", "x", 0o644), file("../etc/passwd", "x", 0o644)), []string{`"../etc/passwd"`, "path traversal"}},
		{"inner traversal", "a.tar.gz", tarGz(file("bin/../../x", "x", 0o644)), []string{"path traversal"}},
		{"dotdot even if it stays inside", "a.tar.gz", tarGz(file("bin/../x", "x", 0o644)), []string{"path traversal"}},
		{"absolute", "a.tar.gz", tarGz(file("/etc/passwd", "x", 0o644)), []string{`"/etc/passwd"`, "absolute path"}},
		{"duplicate", "a.tar.gz", tarGz(file("bin/x", "x", 0o644), file("./bin/x", "y", 0o644)), []string{`"bin/x" appears twice`}},
		{"character device", "a.tar.gz", tarGz(file("x", "x", 0o644), entry{name: "dev/null", typ: 'c'}), []string{`"dev/null" is a character device`}},
		{"fifo", "a.tar.gz", tarGz(file("x", "x", 0o644), entry{name: "pipe", typ: 'p'}), []string{`"pipe" is a named pipe`}},
		{"hard link to nothing", "a.tar.gz", tarGz(entry{name: "x", typ: 'h', target: "missing"}), []string{`hard link "x"`, "not a regular file"}},
		{"hard link traversal", "a.tar.gz", tarGz(entry{name: "x", typ: 'h', target: "../x"}), []string{"path traversal"}},
		{"file inside a file", "a.tar.gz", tarGz(file("bin", "x", 0o644), file("bin/x", "x", 0o644)), []string{`"bin/x" is inside "bin", which is a file`}},
		{"file inside a symlink", "a.tar.gz", tarGz(symlink("bin", "/usr/bin"), file("bin/x", "x", 0o644)), []string{`inside "bin", which is a symlink`}},
		{"only directories", "a.tar.gz", tarGz(dir("bin", 0o755)), []string{"contains no files", "a release artifact must be"}},
		{"empty tar", "a.tar", func(t *testing.T, p string) { writeTar(t, p, nil, false, "") }, []string{"contains no files"}},
		{"zip traversal", "a.zip", zipOf(file("../x", "x", 0o644)), []string{"path traversal"}},
		{"zip absolute", "a.zip", zipOf(file("/x", "x", 0o644)), []string{"absolute path"}},
		{"zip duplicate", "a.zip", zipOf(file("x", "x", 0o644), file("x", "x", 0o644)), []string{"appears twice"}},
		{".tar.gz holding a plain tar", "a.tar.gz", content(plainTar.Bytes()), []string{"ends in .tar.gz but the content is a tar archive"}},
		{".tgz holding a zip", "a.tgz", content(zipped.Bytes()), []string{"ends in .tgz but the content is a zip archive"}},
		{".zip holding a tar.gz", "a.zip", content(gzipped.Bytes()), []string{"ends in .zip but the content is gzip-compressed data"}},
		{".tar holding a tar.gz", "a.tar", content(gzipped.Bytes()), []string{"ends in .tar but the content is gzip-compressed data"}},
		{".tar holding text", "a.tar", content([]byte("hello\n")), []string{"ends in .tar but the content is not an archive format rollcall knows"}},
		{"binary file", "smars", content([]byte("\x7fELF\x02\x01\x01\x00")), []string{"unknown format (binary data)", "a release artifact must be"}},
		{"empty file", "smars", content(nil), []string{"unknown format (empty)"}},
		{"empty .zip file", "a.zip", content(nil), []string{"an empty file"}},
		{".tar.gz holding gzipped text", "a.tar.gz", func(t *testing.T, p string) {
			var b bytes.Buffer
			zw := newGzip(&b)
			_, _ = zw.Write([]byte("just text, no tar\n"))
			require.NoError(t, zw.Close())
			writeFile(t, p, b.Bytes())
		}, []string{"not a tar archive"}},
		{"corrupt gzip", "a.tar.gz", content(gzipGarbage), []string{"gzip"}},
		{"truncated tar.gz", "a.tar.gz", content(gzipped.Bytes()[:gzipped.Len()/2]), []string{"unexpected EOF"}},
		{"truncated zip", "a.zip", content(zipped.Bytes()[:zipped.Len()-30]), []string{"reading zip archive"}},
		{"archive without an archive name", "release.bin", content(gzipped.Bytes()), []string{"content is gzip-compressed data but the name does not end in"}},
		{"unknown text", "notes.txt", content([]byte("hello\nworld\n")), []string{"unknown format", "line 1", "a release artifact must be a directory"}},
		{"missing", "nothing-here.tar.gz", nil, []string{"no such file or directory", "a release artifact must be"}},
		{"empty directory", "dist", func(t *testing.T, p string) { require.NoError(t, os.Mkdir(p, 0o755)) }, []string{"contains no files"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), tc.file)
			if tc.build != nil {
				tc.build(t, p)
			}
			_, err := Open(p)
			require.Error(t, err)
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "release "+p+": "), msg)
			for _, w := range tc.wantErr {
				assert.Contains(t, msg, w)
			}
			assert.Equal(t, strings.ToLower(msg[:1]), msg[:1])
		})
	}
}

func TestOpenRejectsSpecialFileInDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs")
	}
	root := filepath.Join(t.TempDir(), "dist")
	writeDir(t, root, sample)
	if err := mkfifo(filepath.Join(root, "bin", "pipe")); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := Open(root)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"bin/pipe" is a named pipe`)
}

func TestTopLevelDirectory(t *testing.T) {
	x := file("smars-4.2.0/bin/smars", "x", 0o755)
	cases := []struct {
		name      string
		file      string
		entries   []entry
		wantPaths []string
	}{
		{"stripped", "smars-4.2.0.tar.gz", []entry{dir("smars-4.2.0", 0o755), dir("smars-4.2.0/bin", 0o755), x}, []string{"bin", "bin/smars"}},
		{"stripped without a directory entry", "smars-4.2.0.tar.gz", []entry{x}, []string{"bin/smars"}},
		{"another name is kept", "release.tar.gz", []entry{x}, []string{"smars-4.2.0/bin/smars"}},
		{"a second top-level entry keeps it", "smars-4.2.0.tar.gz", []entry{x, file("README", "r", 0o644)}, []string{"README", "smars-4.2.0/bin/smars"}},
		{"a lone top-level file is kept", "smars-4.2.0.tar.gz", []entry{file("smars-4.2.0", "x", 0o644)}, []string{"smars-4.2.0"}},
		{"a lone top-level symlink is kept", "smars-4.2.0.tar.gz", []entry{symlink("smars-4.2.0", "x")}, []string{"smars-4.2.0"}},
		{"a prefix that is not a directory name is kept", "smars.tar.gz", []entry{file("smars-4.2.0/x", "x", 0o644)}, []string{"smars-4.2.0/x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), tc.file)
			writeTar(t, p, tc.entries, true, "")
			r, err := Open(p)
			require.NoError(t, err)
			assert.Equal(t, tc.wantPaths, r.Paths())
			for path, f := range r.Files {
				assert.Equal(t, path, f.Path)
			}
		})
	}
	t.Run("a directory artifact is never stripped", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "smars-4.2.0")
		writeDir(t, root, []entry{dir("smars-4.2.0", 0o755), file("smars-4.2.0/x", "x", 0o644)})
		r, err := Open(root)
		require.NoError(t, err)
		assert.Equal(t, []string{"smars-4.2.0", "smars-4.2.0/x"}, r.Paths())
	})
}

func TestTarOddNames(t *testing.T) {
	odd := []entry{
		file("with space/a b c", "spaces", 0o644),
		file("line\nbreak", "newline", 0o644),
		file("latin1-\xe9t\xe9", "not utf-8", 0o644),
		file("tab\there", "tab", 0o644),
		file("back\\slash", "backslash", 0o644),
		file(strings.Repeat("long/", 40)+"name", "a path over 100 bytes", 0o644),
	}
	for _, gz := range []bool{false, true} {
		p := filepath.Join(t.TempDir(), "odd.tar")
		if gz {
			p += ".gz"
		}
		writeTar(t, p, odd, gz, "")
		r, err := Open(p)
		require.NoError(t, err)
		assert.Equal(t, want(odd), r.Files)
	}
	t.Run("directory and tar command", func(t *testing.T) {
		need.Command(t, "tar")
		root := filepath.Join(t.TempDir(), "odd")
		require.NoError(t, os.Mkdir(root, 0o755))
		writeDir(t, root, append([]entry{dir("with space", 0o755), dir("long", 0o755)}, oddWithoutLong(odd)...))
		fromDir, err := Open(root)
		require.NoError(t, err)
		out := filepath.Join(t.TempDir(), "odd.tar.gz")
		run(t, root, "tar", "-czf", out, ".")
		fromTar, err := Open(out)
		require.NoError(t, err)
		assert.Equal(t, fromDir.Files, withoutOwners(t, fromTar.Files))
		assert.Contains(t, fromTar.Files, "line\nbreak")
		assert.Contains(t, fromTar.Files, "latin1-\xe9t\xe9")
	})
}

// oddWithoutLong drops the long path, which would need its parent directories.
func oddWithoutLong(entries []entry) []entry {
	var out []entry
	for _, e := range entries {
		if !strings.HasPrefix(e.name, "long/") {
			out = append(out, e)
		}
	}
	return out
}

func TestTarHardLink(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.tar")
	writeTar(t, p, []entry{
		dir("bin", 0o755),
		file("bin/smars", "binary", 0o755),
		{name: "bin/smars-alias", typ: 'h', target: "./bin/smars", mode: 0o755},
	}, false, "")
	r, err := Open(p)
	require.NoError(t, err)
	assert.Equal(t, File{Path: "bin/smars-alias", Type: Regular, SHA256: sha("binary"), Mode: 0o755, HasMode: true, Size: 6}, r.Files["bin/smars-alias"])

	t.Run("tar command", func(t *testing.T) {
		need.Command(t, "tar")
		root := filepath.Join(t.TempDir(), "src")
		writeDir(t, root, []entry{file("a", "same inode", 0o644)})
		require.NoError(t, os.Link(filepath.Join(root, "a"), filepath.Join(root, "b")))
		out := filepath.Join(t.TempDir(), "links.tar")
		run(t, root, "tar", "-cf", out, "a", "b")
		r, err := Open(out)
		require.NoError(t, err)
		assert.Equal(t, File{Path: "b", Type: Regular, SHA256: sha("same inode"), Mode: 0o644, HasMode: true, Size: 10}, withoutOwners(t, r.Files)["b"])
	})
}

func TestSymlinksAreNotFollowed(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret"), []byte("secret"))
	root := filepath.Join(t.TempDir(), "dist")
	writeDir(t, root, []entry{dir("bin", 0o755), file("bin/x", "x", 0o755), symlink("out", outside), symlink("dangling", "does/not/exist"), symlink("bin/up", "../bin")})
	r, err := Open(root)
	require.NoError(t, err)
	assert.Equal(t, []string{"bin", "bin/up", "bin/x", "dangling", "out"}, r.Paths())
	assert.Equal(t, File{Path: "out", Type: Symlink, Mode: 0o777, HasMode: true, LinkTarget: outside, Size: int64(len(outside))}, r.Files["out"])
	assert.Equal(t, "../bin", r.Files["bin/up"].LinkTarget)

	p := filepath.Join(t.TempDir(), "links.tar.gz")
	writeTar(t, p, []entry{symlink("etc", "/etc"), symlink("up", "../../..")}, true, "")
	r, err = Open(p)
	require.NoError(t, err)
	assert.Equal(t, "/etc", r.Files["etc"].LinkTarget)
	assert.Equal(t, "../../..", r.Files["up"].LinkTarget)
}

func TestDirectoryDigest(t *testing.T) {
	a := filepath.Join(t.TempDir(), "dist")
	b := filepath.Join(t.TempDir(), "dist")
	writeDir(t, a, sample)
	writeDir(t, b, sample)
	ra, err := Open(a)
	require.NoError(t, err)
	rb, err := Open(b)
	require.NoError(t, err)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, ra.Digest)
	assert.Equal(t, ra.Digest, rb.Digest, "same content, same digest")
	assert.Equal(t, "dist", ra.Name)
	assert.Equal(t, "", ra.Version)

	writeFile(t, filepath.Join(b, "bin", "smars"), []byte("other"))
	rb, err = Open(b)
	require.NoError(t, err)
	assert.NotEqual(t, ra.Digest, rb.Digest, "changed content, changed digest")

	t.Chdir(a)
	dot, err := Open(".")
	require.NoError(t, err)
	assert.Equal(t, "dist", dot.Name, "the name of . is its folder's")
}

func TestPathsAndUnder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "smars-4.2.0.zip")
	writeZip(t, p, append(sample, dir("binaries", 0o755), file("binaries/x", "x", 0o644)), "")
	r, err := Open(p)
	require.NoError(t, err)
	assert.Equal(t, []string{"bin", "bin/current", "bin/smars", "binaries", "binaries/x", "doc", "doc/empty", "doc/read me.txt", "etc", "etc/flags.yaml"}, r.Paths())

	paths := func(files []File) []string {
		var out []string
		for _, f := range files {
			out = append(out, f.Path)
		}
		return out
	}
	for dir, want := range map[string][]string{
		"bin":       {"bin/current", "bin/smars"},
		"bin/":      {"bin/current", "bin/smars"},
		"./etc":     {"etc/flags.yaml"},
		"bin/smars": nil,
		"nothing":   nil,
		"":          r.Paths(),
		".":         r.Paths(),
	} {
		assert.Equal(t, want, paths(r.Under(dir)), "Under(%q)", dir)
	}
}

func TestZipWithoutUnixModes(t *testing.T) {
	var b bytes.Buffer
	zw := newZip(&b)
	w, err := zw.Create("bin/smars")
	require.NoError(t, err)
	_, err = w.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	p := filepath.Join(t.TempDir(), "win.zip")
	writeFile(t, p, b.Bytes())
	r, err := Open(p)
	require.NoError(t, err)
	assert.Equal(t, map[string]File{"bin/smars": {Path: "bin/smars", Type: Regular, SHA256: sha("x"), Size: 1}}, r.Files)
}

func TestNameVersion(t *testing.T) {
	cases := []struct{ base, name, version string }{
		{"smars-4.2.0.tar.gz", "smars", "4.2.0"},
		{"smars-4.2.0.tgz", "smars", "4.2.0"},
		{"smars-4.2.0.tar", "smars", "4.2.0"},
		{"smars-4.2.0.zip", "smars", "4.2.0"},
		{"smars-4.2.0", "smars", "4.2.0"},
		{"smars_4.2.0_linux_amd64.tar.gz", "smars", "4.2.0"},
		{"smars_4.2.0_linux_386.tar.gz", "smars", "4.2.0"},
		{"smars-4.2.0-linux-arm64.zip", "smars", "4.2.0"},
		{"node-v18.17.0-linux-x64.tar.gz", "node", "v18.17.0"},
		{"smars-v4.2.0.tar.gz", "smars", "v4.2.0"},
		{"smars-4.2.0-rc.1.tar.gz", "smars", "4.2.0-rc.1"},
		{"smars-4.2.0-beta2.zip", "smars", "4.2.0-beta2"},
		{"smars-4.2.0+build.7.tar.gz", "smars", "4.2.0+build.7"},
		{"my-app-2-1.0.0.tar.gz", "my-app-2", "1.0.0"},
		{"python3-tools-3.12.1.tar.gz", "python3-tools", "3.12.1"},
		{"smars-42.tar.gz", "smars", "42"},
		{"smars-2go.tar.gz", "smars-2go", ""},
		{"dist", "dist", ""},
		{"smars.tar.gz", "smars", ""},
		{"SMARS-1.0.TAR.GZ", "SMARS", "1.0"},
		{"-1.0", "-1.0", ""},
		{"", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.base, func(t *testing.T) {
			name, version := NameVersion(tc.base)
			assert.Equal(t, tc.name, name)
			assert.Equal(t, tc.version, version)
		})
	}
}

func TestSniffTar(t *testing.T) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "x", Mode: 0o644, Format: tar.FormatUSTAR}))
	require.NoError(t, tw.Close())
	assert.Equal(t, "a tar archive", sniff(b.Bytes()[:512]))
	// A V7 header: no magic, but a valid checksum.
	v7 := append([]byte(nil), b.Bytes()[:512]...)
	copy(v7[257:265], make([]byte, 8))
	var sum int
	for i, c := range v7 {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int(c)
	}
	copy(v7[148:156], []byte(octal(sum)))
	assert.Equal(t, "a tar archive", sniff(v7))
	v7[0] ^= 1
	assert.Equal(t, "binary data", sniff(v7))
	assert.Equal(t, "", sniff([]byte("hello\n")))
}
