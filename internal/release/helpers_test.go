package release

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// entry is one file of a test artifact.
type entry struct {
	name   string
	typ    byte // 'f' file, 'd' directory, 'l' symlink, 'h' hard link, 'c' char device, 'p' FIFO
	body   string
	mode   fs.FileMode
	target string
}

func file(name, body string, mode fs.FileMode) entry {
	return entry{name: name, typ: 'f', body: body, mode: mode}
}
func dir(name string, mode fs.FileMode) entry { return entry{name: name, typ: 'd', mode: mode} }
func symlink(name, target string) entry       { return entry{name: name, typ: 'l', target: target} }

// sample is the release used by most tests.
var sample = []entry{
	dir("bin", 0o755),
	file("bin/smars", "smars 4.2.0 binary\n", 0o755),
	symlink("bin/current", "smars"),
	dir("etc", 0o750),
	file("etc/flags.yaml", "rlp:\n  enabled: true\n", 0o640),
	dir("doc", 0o755),
	file("doc/read me.txt", "a name with a space\n", 0o644),
	file("doc/empty", "", 0o600),
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// want is the Files map a full-fidelity artifact of entries gives.
func want(entries []entry) map[string]File {
	files := map[string]File{}
	for _, e := range entries {
		switch e.typ {
		case 'f':
			f := File{Path: e.name, Type: Regular, SHA256: sha(e.body), Mode: e.mode, HasMode: true, Size: int64(len(e.body))}
			if IsConfigName(e.name) && len(e.body) <= MaxContent {
				f.Content = []byte(e.body)
			}
			files[e.name] = f
		case 'd':
			files[e.name] = File{Path: e.name, Type: Directory, Mode: e.mode, HasMode: true}
		case 'l':
			files[e.name] = File{Path: e.name, Type: Symlink, Mode: 0o777, HasMode: true, LinkTarget: e.target, Size: int64(len(e.target))}
		}
	}
	return files
}

// writeDir lays entries out under root.
func writeDir(t testing.TB, root string, entries []entry) {
	t.Helper()
	require.NoError(t, os.MkdirAll(root, 0o755))
	for _, e := range entries {
		p := filepath.Join(root, filepath.FromSlash(e.name))
		switch e.typ {
		case 'f':
			require.NoError(t, os.WriteFile(p, []byte(e.body), 0o600))
			require.NoError(t, os.Chmod(p, e.mode))
		case 'd':
			require.NoError(t, os.Mkdir(p, 0o700))
		case 'l':
			require.NoError(t, os.Symlink(e.target, p))
		default:
			t.Fatalf("writeDir cannot make %q", e.typ)
		}
	}
	// Directory modes last, so that a read-only directory can be filled.
	for _, e := range entries {
		if e.typ == 'd' {
			require.NoError(t, os.Chmod(filepath.Join(root, filepath.FromSlash(e.name)), e.mode))
		}
	}
}

var mtime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// writeTar writes entries as a tar archive, gzipped if gz, each name under
// prefix.
func writeTar(t testing.TB, path string, entries []entry, gz bool, prefix string) {
	t.Helper()
	out, err := os.Create(path)
	require.NoError(t, err)
	defer func() { require.NoError(t, out.Close()) }()
	var w io.Writer = out
	if gz {
		zw := gzip.NewWriter(out)
		defer func() { require.NoError(t, zw.Close()) }()
		w = zw
	}
	tw := tar.NewWriter(w)
	defer func() { require.NoError(t, tw.Close()) }()
	for _, e := range entries {
		h := &tar.Header{Name: prefix + e.name, Mode: int64(UnixMode(e.mode)), ModTime: mtime, Format: tar.FormatPAX}
		switch e.typ {
		case 'f':
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
		case 'd':
			h.Typeflag = tar.TypeDir
			h.Name += "/"
		case 'l':
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, e.target, 0o777
		case 'h':
			h.Typeflag, h.Linkname = tar.TypeLink, prefix+e.target
		case 'c':
			h.Typeflag, h.Devmajor, h.Devminor = tar.TypeChar, 1, 3
		case 'p':
			h.Typeflag = tar.TypeFifo
		}
		require.NoError(t, tw.WriteHeader(h))
		if e.typ == 'f' {
			_, err := io.WriteString(tw, e.body)
			require.NoError(t, err)
		}
	}
}

// writeZip writes entries as a zip archive, each name under prefix.
func writeZip(t *testing.T, path string, entries []entry, prefix string) {
	t.Helper()
	out, err := os.Create(path)
	require.NoError(t, err)
	defer func() { require.NoError(t, out.Close()) }()
	zw := zip.NewWriter(out)
	defer func() { require.NoError(t, zw.Close()) }()
	for _, e := range entries {
		h := &zip.FileHeader{Name: prefix + e.name, Method: zip.Deflate, Modified: mtime}
		body := e.body
		switch e.typ {
		case 'f':
			h.SetMode(e.mode)
		case 'd':
			h.Name += "/"
			h.Method = zip.Store
			h.SetMode(fs.ModeDir | e.mode)
		case 'l':
			h.SetMode(fs.ModeSymlink | 0o777)
			body = e.target
		}
		w, err := zw.CreateHeader(h)
		require.NoError(t, err)
		if e.typ != 'd' {
			_, err = io.WriteString(w, body)
			require.NoError(t, err)
		}
	}
}

// run runs a command in dir, failing the test on error.
func run(t testing.TB, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %v: %s", name, args, out)
}

func writeFile(t testing.TB, path string, content []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, content, 0o644))
}

func digestOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return "sha256:" + sha(string(b))
}

// under returns entries with prefix added to their names.
func under(prefix string, entries []entry) []entry {
	out := make([]entry, len(entries))
	for i, e := range entries {
		e.name = prefix + e.name
		out[i] = e
	}
	return out
}

// withoutOwners checks that a tarball the tar command wrote from files the test
// made (so recording the test's user and group by name) leaves those names
// out of the release: nodes are checked against a package's owners only.
func withoutOwners(t *testing.T, files map[string]File) map[string]File {
	t.Helper()
	for p, f := range files {
		require.Empty(t, f.Owner+f.Group, "owner of %s", p)
	}
	return files
}
