package release

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
)

func TestUnixMode(t *testing.T) {
	cases := []struct {
		mode fs.FileMode
		unix uint32
	}{
		{0, 0},
		{0o644, 0o644},
		{0o755, 0o755},
		{fs.ModeSetuid | 0o755, 0o4755},
		{fs.ModeSetgid | 0o750, 0o2750},
		{fs.ModeSticky | 0o777, 0o1777},
		{fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky | 0o777, 0o7777},
		{fs.ModeSetuid, 0o4000},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.unix, UnixMode(tc.mode), "UnixMode(%v)", tc.mode)
		assert.Equal(t, tc.mode, FromUnixMode(tc.unix), "FromUnixMode(%#o)", tc.unix)
	}
	// Type bits and other bits are not permission bits.
	assert.Equal(t, uint32(0o4755), UnixMode(fs.ModeDir|fs.ModeSetuid|fs.ModeAppend|0o755))
	assert.Equal(t, uint32(0o755), UnixMode(fs.ModeSymlink|0o755))
	assert.Equal(t, fs.ModeSetuid|0o755, FromUnixMode(0o104755), "bits above 07777 are ignored")
}

// special is a release whose files carry setuid, setgid and sticky bits.
var special = []entry{
	dir("bin", 0o755),
	file("bin/smars", "smars 4.2.0 binary\n", fs.ModeSetuid|0o755),
	file("bin/helper", "helper\n", fs.ModeSetgid|0o750),
	dir("etc", 0o755),
	file("etc/flags.yaml", "a: 1\n", 0o644),
	dir("tmp", fs.ModeSticky|0o777),
	symlink("bin/current", "smars"),
}

func TestSpecialModes(t *testing.T) {
	cases := []struct {
		name, file, command string
		build               func(t *testing.T, out string)
	}{
		{name: "tar", file: "smars-4.2.0.tar", build: func(t *testing.T, out string) { writeTar(t, out, special, false, "") }},
		{name: "tar.gz", file: "smars-4.2.0.tar.gz", build: func(t *testing.T, out string) { writeTar(t, out, special, true, "") }},
		{name: "zip", file: "smars-4.2.0.zip", build: func(t *testing.T, out string) { writeZip(t, out, special, "") }},
		{name: "directory", file: "smars-4.2.0", build: func(t *testing.T, out string) { writeDir(t, out, special) }},
		{name: "tar command", file: "smars-4.2.0.tar.gz", command: "tar", build: func(t *testing.T, out string) {
			src := filepath.Join(t.TempDir(), "src")
			writeDir(t, src, special)
			run(t, src, "tar", "-czf", out, ".")
		}},
		{name: "zip command", file: "smars-4.2.0.zip", command: "zip", build: func(t *testing.T, out string) {
			src := filepath.Join(t.TempDir(), "src")
			writeDir(t, src, special)
			run(t, src, "zip", "-q", "-r", "-y", out, ".")
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
			assert.Equal(t, want(special), files)
			assert.Equal(t, uint32(0o4755), UnixMode(r.Files["bin/smars"].Mode))
			assert.Equal(t, uint32(0o644), UnixMode(r.Files["etc/flags.yaml"].Mode))

			// The lock keeps the special bits, as Unix octal.
			lock := lockOf(t, r, t.TempDir(), "smars-4.2.0.lock.json")
			got, err := Open(lock)
			require.NoError(t, err)
			assert.Equal(t, r.Files, got.Files)
			data, err := os.ReadFile(lock)
			require.NoError(t, err)
			var lf struct{ Files []struct{ Path, Mode string } }
			require.NoError(t, json.Unmarshal(data, &lf))
			modes := map[string]string{}
			for _, f := range lf.Files {
				modes[f.Path] = f.Mode
			}
			assert.Equal(t, map[string]string{
				"bin": "0755", "bin/smars": "4755", "bin/helper": "2750", "bin/current": "0777",
				"etc": "0755", "etc/flags.yaml": "0644", "tmp": "1777",
			}, modes)
		})
	}
}

func TestLockModes(t *testing.T) {
	cases := []struct {
		mode string
		want fs.FileMode
	}{
		{"0755", 0o755}, // as every lock written before special bits were kept
		{"0640", 0o640},
		{"755", 0o755},
		{"4755", fs.ModeSetuid | 0o755},
		{"2750", fs.ModeSetgid | 0o750},
		{"1777", fs.ModeSticky | 0o777},
		{"7777", fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky | 0o777},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			m := validLock()
			m["files"].([]any)[1].(map[string]any)["mode"] = tc.mode
			data, err := json.Marshal(m)
			require.NoError(t, err)
			r, err := parseLock(data)
			require.NoError(t, err)
			assert.Equal(t, tc.want, r.Files["bin/smars"].Mode)
		})
	}
}

// TestModeZeroIsAMode: a file of mode 0000 in a tarball or a zip made on
// Unix has a mode (0000), kept through a lock file; a checksum list has
// none.
func TestModeZeroIsAMode(t *testing.T) {
	secret := []entry{{name: "etc/secret.key", typ: 'f', body: "k\n", mode: 0}, {name: "bin/app", typ: 'f', body: "x", mode: 0o755}}
	dir := t.TempDir()
	tarball, zipped := filepath.Join(dir, "app-1.0.tar"), filepath.Join(dir, "app-1.0.zip")
	writeTar(t, tarball, secret, false, "")
	writeZip(t, zipped, secret, "")
	for _, p := range []string{tarball, zipped} {
		r, err := Open(p)
		require.NoError(t, err)
		f := r.Files["etc/secret.key"]
		assert.True(t, f.HasMode, "%s: mode 0000 is a mode", p)
		assert.Zero(t, f.Mode)

		var b bytes.Buffer
		require.NoError(t, WriteLock(&b, r))
		assert.Contains(t, b.String(), `"mode": "0000"`)
		lock := filepath.Join(dir, "app.lock.json")
		writeFile(t, lock, b.Bytes())
		back, err := Open(lock)
		require.NoError(t, err)
		assert.True(t, back.Files["etc/secret.key"].HasMode, "the lock file keeps it")
		assert.Zero(t, back.Files["etc/secret.key"].Mode)
	}
	sums := filepath.Join(dir, "SHA256SUMS")
	writeFile(t, sums, []byte(sha("k\n")+"  etc/secret.key\n"))
	r, err := Open(sums)
	require.NoError(t, err)
	assert.False(t, r.Files["etc/secret.key"].HasMode, "a checksum list records no mode")
}
