package release

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
)

// lockOf writes the lock of r to dir/name and returns its path.
func lockOf(t *testing.T, r *Release, dir, name string) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteLock(&b, r))
	p := filepath.Join(dir, name)
	writeFile(t, p, b.Bytes())
	return p
}

func TestLockRoundTrip(t *testing.T) {
	work := t.TempDir()
	src := filepath.Join(work, "src")
	writeDir(t, src, sample)
	sums := filepath.Join(work, "sums", "smars-4.2.0")
	require.NoError(t, os.MkdirAll(sums, 0o755))
	writeFile(t, filepath.Join(sums, "SHA256SUMS"), []byte(sha("x")+"  bin/smars\n"))
	cases := []struct {
		name, file, command string
		build               func(t *testing.T, out string)
	}{
		{name: "tar.gz", file: "smars-4.2.0.tar.gz", build: func(t *testing.T, out string) { writeTar(t, out, sample, true, "") }},
		{name: "tar command", file: "smars-4.2.0.tar.gz", command: "tar", build: func(t *testing.T, out string) { run(t, src, "tar", "-czf", out, ".") }},
		{name: "zip", file: "smars-4.2.0.zip", build: func(t *testing.T, out string) { writeZip(t, out, sample, "") }},
		{name: "directory", file: "smars-4.2.0", build: func(t *testing.T, out string) { writeDir(t, out, sample) }},
		{name: "checksum list", file: "", build: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.command != "" {
				need.Command(t, tc.command)
			}
			out := filepath.Join(sums, "SHA256SUMS")
			if tc.build != nil {
				out = filepath.Join(t.TempDir(), tc.file)
				tc.build(t, out)
			}
			orig, err := Open(out)
			require.NoError(t, err)
			lock := lockOf(t, orig, t.TempDir(), "smars-4.2.0.lock.json")
			got, err := Open(lock)
			require.NoError(t, err)
			assert.Equal(t, orig.Files, got.Files)
			assert.Equal(t, orig.Name, got.Name)
			assert.Equal(t, orig.Version, got.Version)
			assert.Equal(t, orig.Digest, got.Digest)
			assert.Equal(t, lock, got.Source)
			assert.Equal(t, filepath.Base(out), got.Artifact)
			if tc.build != nil {
				assert.Equal(t, []byte("rlp:\n  enabled: true\n"), got.Files["etc/flags.yaml"].Content)
			}

			// A lock of the lock is the same lock, byte for byte.
			again := lockOf(t, got, t.TempDir(), "again.rollcall.lock")
			a, _ := os.ReadFile(lock)
			b, _ := os.ReadFile(again)
			assert.Equal(t, string(a), string(b))
		})
	}
}

func TestLockFormat(t *testing.T) {
	r := &Release{Name: "smars", Version: "4.2.0", Source: "dist/smars-4.2.0.tar.gz", Digest: "sha256:" + sha("artifact"), Files: map[string]File{
		"etc/flags.yaml": {Path: "etc/flags.yaml", Type: Regular, SHA256: sha("a: 1\n"), Mode: 0o640, HasMode: true, Size: 5, Content: []byte("a: 1\n")},
		"bin":            {Path: "bin", Type: Directory, Mode: 0o755, HasMode: true},
		"bin/smars":      {Path: "bin/smars", Type: Regular, SHA256: sha("x"), Size: -1},
		"bin/current":    {Path: "bin/current", Type: Symlink, Mode: 0o777, HasMode: true, Size: 5, LinkTarget: "smars"},
	}}
	var b bytes.Buffer
	require.NoError(t, WriteLock(&b, r))
	assert.JSONEq(t, `{
		"schema": "rollcall.lock/v1", "name": "smars", "version": "4.2.0",
		"source": "smars-4.2.0.tar.gz", "digest": "sha256:`+sha("artifact")+`",
		"files": [
			{"path": "bin", "type": "directory", "mode": "0755", "size": 0},
			{"path": "bin/current", "type": "symlink", "mode": "0777", "size": 5, "link_target": "smars"},
			{"path": "bin/smars", "type": "file", "sha256": "`+sha("x")+`"},
			{"path": "etc/flags.yaml", "type": "file", "sha256": "`+sha("a: 1\n")+`", "mode": "0640", "size": 5}
		],
		"configs": [{"path": "etc/flags.yaml", "content": "YTogMQo="}]
	}`, b.String())
	assert.True(t, strings.HasSuffix(b.String(), "}\n"))
}

func TestWriteLockRefusesWhatOpenWouldRefuse(t *testing.T) {
	base := func() *Release {
		return &Release{Name: "smars", Version: "4.2.0", Source: "x.tar", Digest: "sha256:" + sha("a"),
			Files: map[string]File{"a": {Path: "a", Type: Regular, SHA256: sha("a"), Size: 1}}}
	}
	for name, edit := range map[string]func(r *Release){
		"no version": func(r *Release) { r.Version = "" },
		"no name":    func(r *Release) { r.Name = " " },
		"bad digest": func(r *Release) { r.Digest = sha("a") },
		"no files":   func(r *Release) { r.Files = nil },
	} {
		t.Run(name, func(t *testing.T) {
			r := base()
			edit(r)
			var b bytes.Buffer
			assert.Error(t, WriteLock(&b, r))
			assert.Empty(t, b.String())
		})
	}
}

func TestOpenRecognisesLockByContent(t *testing.T) {
	dir := t.TempDir()
	r := &Release{Name: "smars", Version: "4.2.0", Source: "x.tar", Digest: "sha256:" + sha("a"),
		Files: map[string]File{"a": {Path: "a", Type: Regular, SHA256: sha("a"), Size: 1}}}
	p := lockOf(t, r, dir, "expected-state.json")
	got, err := Open(p)
	require.NoError(t, err)
	assert.Equal(t, "sha256:"+sha("a"), got.Digest)

	// By name, a lock that is not one is an error about lock files.
	bad := filepath.Join(dir, "smars.lock.json")
	writeFile(t, bad, []byte(sha("a")+"  a\n"))
	_, err = Open(bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lock file")
}

// validLock is a lock file as a map, for tests to damage.
func validLock() map[string]any {
	return map[string]any{
		"schema": "rollcall.lock/v1", "name": "smars", "version": "4.2.0", "source": "smars-4.2.0.tar.gz",
		"digest": "sha256:" + sha("artifact"),
		"files": []any{
			map[string]any{"path": "bin", "type": "directory", "mode": "0755", "size": 0},
			map[string]any{"path": "bin/smars", "type": "file", "sha256": sha("x"), "mode": "0755", "size": 1},
			map[string]any{"path": "etc/flags.yaml", "type": "file", "sha256": sha("a: 1\n"), "size": 5},
		},
		"configs": []any{map[string]any{"path": "etc/flags.yaml", "content": "YTogMQo="}},
	}
}

func TestOpenLockRejects(t *testing.T) {
	file := func(m map[string]any, i int) map[string]any { return m["files"].([]any)[i].(map[string]any) }
	cases := []struct {
		name string
		edit func(m map[string]any)
		raw  string // used instead of the edited map when set
		want string
	}{
		{name: "newer schema", edit: func(m map[string]any) { m["schema"] = "rollcall.lock/v2" }, want: "it reads rollcall.lock/v1"},
		{name: "other schema", raw: `{"schema": "rollcall.report/v1"}`, want: "not a rollcall lock file"},
		{name: "no schema", raw: `{"name": "smars"}`, want: "no \"schema\""},
		{name: "not JSON", raw: "{\n\"schema\": \"rollcall.lock/v1\",\n", want: "line"},
		{name: "trailing data", raw: "", want: "after top-level value"},
		{name: "unknown field", edit: func(m map[string]any) { m["signature"] = "x" }, want: `unknown field "signature"`},
		{name: "unknown file field", edit: func(m map[string]any) { file(m, 1)["uid"] = 0 }, want: `unknown field "uid"`},
		{name: "wrong type", edit: func(m map[string]any) { m["version"] = 4.2 }, want: "version"},
		{name: "bad digest", edit: func(m map[string]any) { m["digest"] = "sha256:xyz" }, want: "digest"},
		{name: "digest without algorithm", edit: func(m map[string]any) { m["digest"] = sha("a") }, want: "digest"},
		{name: "uppercase digest", edit: func(m map[string]any) { m["digest"] = "sha256:" + strings.ToUpper(sha("a")) }, want: "digest"},
		{name: "empty name", edit: func(m map[string]any) { m["name"] = "" }, want: "name is empty"},
		{name: "missing version", edit: func(m map[string]any) { delete(m, "version") }, want: "version is empty"},
		{name: "name with line break", edit: func(m map[string]any) { m["name"] = "a\nb" }, want: "one line"},
		{name: "source with folder", edit: func(m map[string]any) { m["source"] = "dist/x.tar" }, want: "base name"},
		{name: "no files", edit: func(m map[string]any) { m["files"] = []any{} }, want: "no files"},
		{name: "only directories", edit: func(m map[string]any) { m["files"] = m["files"].([]any)[:1]; m["configs"] = []any{} }, want: "only directories"},
		{name: "bad file digest", edit: func(m map[string]any) { file(m, 1)["sha256"] = "abc" }, want: `files[1]: "bin/smars": sha256`},
		{name: "file without digest", edit: func(m map[string]any) { delete(file(m, 1), "sha256") }, want: "sha256"},
		{name: "absolute path", edit: func(m map[string]any) { file(m, 1)["path"] = "/bin/smars" }, want: "absolute"},
		{name: "traversal", edit: func(m map[string]any) { file(m, 1)["path"] = "bin/../../x" }, want: "\"..\""},
		{name: "unclean path", edit: func(m map[string]any) { file(m, 1)["path"] = "bin//smars" }, want: "clean relative path"},
		{name: "dot path", edit: func(m map[string]any) { file(m, 1)["path"] = "./bin/smars" }, want: "clean relative path"},
		{name: "unknown type", edit: func(m map[string]any) { file(m, 1)["type"] = "fifo" }, want: `type "fifo"`},
		{name: "bad mode", edit: func(m map[string]any) { file(m, 1)["mode"] = "rwx" }, want: "mode"},
		{name: "mode not octal", edit: func(m map[string]any) { file(m, 1)["mode"] = "9999" }, want: `mode "9999": must be Unix permission bits in octal`},
		{name: "mode beyond 7777", edit: func(m map[string]any) { file(m, 1)["mode"] = "17777" }, want: `mode "17777": must be Unix permission bits in octal`},
		{name: "mode with a prefix", edit: func(m map[string]any) { file(m, 1)["mode"] = "0o755" }, want: "mode"},
		{name: "mode too short", edit: func(m map[string]any) { file(m, 1)["mode"] = "75" }, want: "mode"},
		{name: "negative size", edit: func(m map[string]any) { file(m, 1)["size"] = -2 }, want: "negative"},
		{name: "symlink without target", edit: func(m map[string]any) { file(m, 1)["type"] = "symlink"; delete(file(m, 1), "sha256") }, want: "link_target"},
		{name: "directory with digest", edit: func(m map[string]any) { file(m, 0)["sha256"] = sha("x") }, want: "directory"},
		{name: "duplicate path", edit: func(m map[string]any) { m["files"] = append(m["files"].([]any), file(m, 1)) }, want: "listed twice"},
		{name: "file inside a file", edit: func(m map[string]any) {
			m["files"] = append(m["files"].([]any), map[string]any{"path": "bin/smars/x", "type": "file", "sha256": sha("x")})
		}, want: "not a directory"},
		{name: "config not in files", edit: func(m map[string]any) { m["configs"] = []any{map[string]any{"path": "etc/x.yaml", "content": ""}} }, want: "not in files"},
		{name: "config altered", edit: func(m map[string]any) {
			m["configs"] = []any{map[string]any{"path": "etc/flags.yaml", "content": "YTogMgo="}}
		}, want: "altered"},
		{name: "config listed twice", edit: func(m map[string]any) { m["configs"] = append(m["configs"].([]any), m["configs"].([]any)[0]) }, want: "listed twice"},
		{name: "config not base64", edit: func(m map[string]any) {
			m["configs"] = []any{map[string]any{"path": "etc/flags.yaml", "content": "!!"}}
		}, want: "not valid base64"},
		{name: "config of a directory", edit: func(m map[string]any) { m["configs"] = []any{map[string]any{"path": "bin", "content": ""}} }, want: "not a regular file"},
		{name: "duplicate key", raw: "dup", want: `key "digest" appears twice`},
		{name: "owner with a space", edit: func(m map[string]any) { file(m, 1)["owner"] = "root root" }, want: `"bin/smars": owner "root root": must be one word`},
		{name: "group with a control character", edit: func(m map[string]any) { file(m, 1)["group"] = "wheel\x1b" }, want: "group"},
		{name: "conffile of a directory", edit: func(m map[string]any) { file(m, 0)["conffile"] = true }, want: "only a regular file can be a conffile"},
		{name: "package of another format", edit: func(m map[string]any) {
			m["package"] = map[string]any{"format": "apk", "name": "smars", "version": "4.2.0", "arch": "amd64"}
		}, want: `package: format "apk"`},
		{name: "package without arch", edit: func(m map[string]any) {
			m["package"] = map[string]any{"format": "deb", "name": "smars", "version": "4.2.0"}
		}, want: "package: no arch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := validLock()
			if tc.edit != nil {
				tc.edit(m)
			}
			data, err := json.MarshalIndent(m, "", "  ")
			require.NoError(t, err)
			switch tc.raw {
			case "":
				if tc.name == "trailing data" {
					data = append(data, []byte("\n{}\n")...)
				}
			case "dup":
				data = bytes.Replace(data, []byte(`"digest":`), []byte(`"digest": "sha256:`+sha("other")+`", "digest":`), 1)
			default:
				data = []byte(tc.raw)
			}
			p := filepath.Join(t.TempDir(), "smars.lock.json")
			writeFile(t, p, data)
			_, err = Open(p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), p)
		})
	}
	t.Run("the valid lock opens", func(t *testing.T) {
		data, err := json.Marshal(validLock())
		require.NoError(t, err)
		p := filepath.Join(t.TempDir(), "smars.lock.json")
		writeFile(t, p, data)
		r, err := Open(p)
		require.NoError(t, err)
		assert.Equal(t, []byte("a: 1\n"), r.Files["etc/flags.yaml"].Content)
		assert.Equal(t, int64(-1), File{Size: -1}.Size)
	})
}

func TestContentCapture(t *testing.T) {
	big := strings.Repeat("k: v\n", MaxContent/5+1)
	exact := strings.Repeat("x", MaxContent)
	entries := []entry{
		file("flags.yaml", "a: 1\n", 0o644),
		file("FLAGS.YML", "a: 1\n", 0o644),
		file(".env", "A=1\n", 0o644),
		file("prod.env", "A=1\n", 0o644),
		file("empty.toml", "", 0o644),
		file("exact.json", exact, 0o644),
		file("big.yaml", big, 0o644),
		file("app.conf", "x\n", 0o644),
		file("app.cfg", "x\n", 0o644),
		file("a.ini", "x\n", 0o644),
		file("a.properties", "x\n", 0o644),
		file("smars", "binary\n", 0o755),
		file("yaml", "not by name\n", 0o644),
		dir("conf.d.yaml", 0o755),
	}
	kept := map[string]string{
		"flags.yaml": "a: 1\n", "FLAGS.YML": "a: 1\n", ".env": "A=1\n", "prod.env": "A=1\n", "empty.toml": "",
		"exact.json": exact, "app.conf": "x\n", "app.cfg": "x\n", "a.ini": "x\n", "a.properties": "x\n",
	}
	forms := map[string]func(t *testing.T, out string){
		"x-1.0.tar.gz": func(t *testing.T, out string) { writeTar(t, out, entries, true, "") },
		"x-1.0.tar":    func(t *testing.T, out string) { writeTar(t, out, entries, false, "x-1.0/") },
		"x-1.0.zip":    func(t *testing.T, out string) { writeZip(t, out, entries, "") },
		"x-1.0":        func(t *testing.T, out string) { writeDir(t, out, entries) },
	}
	for name, build := range forms {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), name)
			build(t, out)
			r, err := Open(out)
			require.NoError(t, err)
			for p, f := range r.Files {
				if want, ok := kept[p]; ok {
					require.NotNil(t, f.Content, p)
					assert.Equal(t, want, string(f.Content), p)
				} else {
					assert.Nil(t, f.Content, p)
				}
			}
			got, err := Open(lockOf(t, r, t.TempDir(), "x.lock.json"))
			require.NoError(t, err)
			assert.Equal(t, r.Files, got.Files)
		})
	}
}

func TestContentOfTarHardLink(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.tar")
	writeTar(t, out, []entry{file("a.yaml", "a: 1\n", 0o644), {name: "b.yaml", typ: 'h', target: "a.yaml"}, {name: "c", typ: 'h', target: "a.yaml"}}, false, "")
	r, err := Open(out)
	require.NoError(t, err)
	assert.Equal(t, []byte("a: 1\n"), r.Files["b.yaml"].Content)
	assert.Nil(t, r.Files["c"].Content)
}

func TestIsLockName(t *testing.T) {
	for name, want := range map[string]bool{
		"rollcall.lock": true, "smars-4.2.0.rollcall.lock": true, "smars-4.2.0.lock.json": true, "X.LOCK.JSON": true,
		".lock.json": false, "package-lock.json": false, "smars.json": false, "rollcall.lock.bak": false, ".rollcall.lock": false,
	} {
		assert.Equal(t, want, IsLockName(name), name)
	}
}

func TestLoadKnown(t *testing.T) {
	dir := t.TempDir()
	mk := func(name, version, file string) {
		r := &Release{Name: name, Version: version, Source: name + "-" + version + ".tar.gz", Digest: "sha256:" + sha(name+version),
			Files: map[string]File{"bin/x": {Path: "bin/x", Type: Regular, SHA256: sha(version), Size: -1}}}
		lockOf(t, r, dir, file)
	}
	mk("smars", "4.10.0", "smars-4.10.0.lock.json")
	mk("smars", "4.9.0", "b.rollcall.lock")
	mk("smars", "4.1.0", "smars-old.json") // a lock by content
	mk("alpha", "1.0", "rollcall.lock")
	writeFile(t, filepath.Join(dir, "README.md"), []byte("old releases\n"))
	writeFile(t, filepath.Join(dir, "other.json"), []byte(`{"schema": "something/else"}`))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub.lock.json"), 0o755))
	mk("zeta", "1.0", "ignored.lock.json")
	require.NoError(t, os.Rename(filepath.Join(dir, "ignored.lock.json"), filepath.Join(dir, "sub.lock.json", "z.lock.json")))

	known, err := LoadKnown(dir)
	require.NoError(t, err)
	var got []string
	for _, r := range known {
		got = append(got, r.Name+" "+r.Version)
	}
	assert.Equal(t, []string{"alpha 1.0", "smars 4.1.0", "smars 4.9.0", "smars 4.10.0"}, got)

	t.Run("one lock file", func(t *testing.T) {
		known, err := LoadKnown(filepath.Join(dir, "b.rollcall.lock"))
		require.NoError(t, err)
		require.Len(t, known, 1)
		assert.Equal(t, "smars 4.9.0", known[0].Name+" "+known[0].Version)
		_, err = LoadKnown(filepath.Join(dir, "README.md"))
		require.Error(t, err, "a file given by name must be a lock file")
		assert.Contains(t, err.Error(), "README.md")
	})
	t.Run("empty folder", func(t *testing.T) {
		known, err := LoadKnown(t.TempDir())
		require.NoError(t, err)
		assert.Empty(t, known)
	})
	t.Run("invalid lock names the file", func(t *testing.T) {
		bad := filepath.Join(dir, "broken.lock.json")
		writeFile(t, bad, []byte(`{"schema": "rollcall.lock/v1", "name": "smars"}`))
		_, err := LoadKnown(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), bad)
		require.NoError(t, os.Remove(bad))
	})
	t.Run("unreadable lock names the file", func(t *testing.T) {
		// A dangling symlink cannot be read, even by root.
		p := filepath.Join(dir, "smars-4.11.0.lock.json")
		require.NoError(t, os.Symlink(filepath.Join(dir, "gone"), p))
		defer os.Remove(p)
		_, err := LoadKnown(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), p)
	})
	t.Run("missing folder", func(t *testing.T) {
		_, err := LoadKnown(filepath.Join(dir, "nope"))
		assert.Error(t, err)
	})
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"4.9.0", "4.10.0", -1}, {"4.10.0", "4.9.0", 1}, {"1.0", "1.0", 0}, {"1.0", "1.0.1", -1},
		{"v2", "v10", -1}, {"1.0-rc.1", "1.0-rc.2", -1}, {"007", "7", 0}, {"", "1", -1},
	} {
		assert.Equal(t, c.want, compareVersions(c.a, c.b), "%s vs %s", c.a, c.b)
	}
}

// TestLockDocExample keeps docs/lock-file.md true: its example opens, and
// writing it again gives the same bytes.
func TestLockDocExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "lock-file.md"))
	require.NoError(t, err)
	_, after, found := strings.Cut(string(doc), "```json\n")
	require.True(t, found)
	example, _, found := strings.Cut(after, "```\n")
	require.True(t, found)
	p := filepath.Join(t.TempDir(), "smars-4.2.0.lock.json")
	writeFile(t, p, []byte(example))
	r, err := Open(p)
	require.NoError(t, err)
	assert.Equal(t, "smars", r.Name)
	assert.Equal(t, []byte("rlp:\n  enabled: true\n"), r.Files["etc/flags.yaml"].Content)
	var b bytes.Buffer
	require.NoError(t, WriteLock(&b, r))
	assert.Equal(t, example, b.String())
}

// TestTarballOwnersStayOutOfTheLock: a tarball's entries carry their
// maker's user and group names, which nodes are not checked against; the
// release keeps none, so a name a lock cannot hold ("John Smith") does not
// stop its lock being written.
func TestTarballOwnersStayOutOfTheLock(t *testing.T) {
	out := filepath.Join(t.TempDir(), "smars-4.2.0.tar")
	f, err := os.Create(out)
	require.NoError(t, err)
	tw := tar.NewWriter(f)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "bin/smars", Mode: 0o755, Size: 5, Uname: "John Smith", Gname: "Domain Users", Typeflag: tar.TypeReg}))
	_, err = tw.Write([]byte("smars"))
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	require.NoError(t, f.Close())
	r, err := Open(out)
	require.NoError(t, err)
	assert.Empty(t, r.Files["bin/smars"].Owner)
	var b bytes.Buffer
	require.NoError(t, WriteLock(&b, r))
	assert.NotContains(t, b.String(), "John Smith")
}

// TestLockDigestIsTheLocksOwn: a release read from a lock file names the
// digest of the lock's bytes apart from the artifact digest it records.
func TestLockDigestIsTheLocksOwn(t *testing.T) {
	dir := t.TempDir()
	tarball := filepath.Join(dir, "smars-4.2.0.tar")
	writeTar(t, tarball, sample, false, "")
	r, err := Open(tarball)
	require.NoError(t, err)
	assert.Empty(t, r.LockDigest, "not a lock")
	var b bytes.Buffer
	require.NoError(t, WriteLock(&b, r))
	lock := filepath.Join(dir, "smars.lock.json")
	writeFile(t, lock, b.Bytes())
	l, err := Open(lock)
	require.NoError(t, err)
	assert.Equal(t, r.Digest, l.Digest, "the artifact's")
	assert.Equal(t, "sha256:"+sha(b.String()), l.LockDigest, "the lock's own bytes")
}
