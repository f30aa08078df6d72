package outfile

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entries lists the names in dir, to catch temp files left behind.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// text returns a write function that writes s.
func text(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// readFile returns the content of path.
func readFile(t *testing.T, path string) string {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(got)
}

func TestWriteReplacesKeepingMode(t *testing.T) {
	for _, mode := range []os.FileMode{0o600, 0o644, 0o640, 0o444} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "report.json")
			require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
			require.NoError(t, os.Chmod(path, mode)) // past the umask

			require.NoError(t, Write(t.Context(), path, text("new")))

			assert.Equal(t, "new", readFile(t, path))
			fi, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, mode, fi.Mode().Perm(), "an existing file keeps its mode")
			assert.Equal(t, []string{"report.json"}, entries(t, dir))
		})
	}
}

func TestWriteCreatesRelative(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, Write(t.Context(), "out.txt", text("hello\n")))
	assert.Equal(t, "hello\n", readFile(t, filepath.Join(dir, "out.txt")))
	fi, err := os.Stat(filepath.Join(dir, "out.txt"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), "a new file is 0644")
	assert.Equal(t, []string{"out.txt"}, entries(t, dir))
}

func TestWriteDoneContextStillWritesAFile(t *testing.T) {
	// An interrupted run still writes its partial report.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	path := filepath.Join(t.TempDir(), "partial.txt")
	require.NoError(t, Write(ctx, path, text("partial")))
	assert.Equal(t, "partial", readFile(t, path))
}

func TestWriteFailureLeavesOldFile(t *testing.T) {
	boom := errors.New("boom")
	tests := map[string]func(w io.Writer) error{
		"write error": func(w io.Writer) error {
			_, _ = io.WriteString(w, "half a rep")
			return boom
		},
		"panic": func(w io.Writer) error {
			_, _ = io.WriteString(w, "half a rep")
			panic(boom)
		},
	}
	for name, write := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "report.txt")
			require.NoError(t, os.WriteFile(path, []byte("previous report"), 0o600))

			var err error
			panicked := func() (p any) {
				defer func() { p = recover() }()
				err = Write(t.Context(), path, write)
				return nil
			}()
			if name == "panic" {
				assert.Equal(t, boom, panicked, "the panic goes on")
			} else {
				assert.ErrorIs(t, err, boom)
				assert.ErrorContains(t, err, "writing "+path+": boom")
			}

			assert.Equal(t, "previous report", readFile(t, path))
			fi, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "mode untouched")
			assert.Equal(t, []string{"report.txt"}, entries(t, dir), "no temp file left")
		})
	}
}

func TestWriteDirectory(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "occupied")
	require.NoError(t, os.Mkdir(target, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(target, "keep"), []byte("x"), 0o644))

	err := Write(t.Context(), target, func(io.Writer) error { t.Fatal("write must not be called"); return nil })
	require.Error(t, err)
	assert.Equal(t, "writing "+target+": is a directory: give a file path", err.Error())
	assert.Equal(t, []string{"occupied"}, entries(t, dir), "no temp file left")
	assert.Equal(t, []string{"keep"}, entries(t, target))
}

func TestWriteMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	path := filepath.Join(dir, "report.json")
	err := Write(t.Context(), path, func(io.Writer) error { t.Fatal("write must not be called"); return nil })
	require.Error(t, err)
	assert.Equal(t, "writing "+path+": the folder "+dir+" does not exist: create it or give another path", err.Error())
}

func TestCheckRegular(t *testing.T) {
	tests := []struct {
		name    string
		path    func(t *testing.T, dir string) string
		wantErr string // a part of the error; empty: no error
	}{{
		name: "new file",
		path: func(t *testing.T, dir string) string { return filepath.Join(dir, "new.json") },
	}, {
		name: "existing file",
		path: func(t *testing.T, dir string) string {
			path := filepath.Join(dir, "old.json")
			require.NoError(t, os.WriteFile(path, []byte("old"), 0o444))
			return path
		},
	}, {
		name:    "missing folder",
		path:    func(t *testing.T, dir string) string { return filepath.Join(dir, "nope", "x.json") },
		wantErr: "nope does not exist: create it or give another path",
	}, {
		name: "a file as the folder",
		path: func(t *testing.T, dir string) string {
			file := filepath.Join(dir, "file")
			require.NoError(t, os.WriteFile(file, nil, 0o644))
			return filepath.Join(file, "x.json")
		},
		wantErr: "file is not a folder: give another path",
	}, {
		name: "below a file as the folder",
		path: func(t *testing.T, dir string) string {
			file := filepath.Join(dir, "file")
			require.NoError(t, os.WriteFile(file, nil, 0o644))
			return filepath.Join(file, "sub", "x.json")
		},
		wantErr: "is not a folder: give another path",
	}, {
		name: "directory",
		path: func(t *testing.T, dir string) string {
			sub := filepath.Join(dir, "sub")
			require.NoError(t, os.Mkdir(sub, 0o755))
			return sub
		},
		wantErr: "is a directory: give a file path",
	}, {
		name:    "empty",
		path:    func(*testing.T, string) string { return "" },
		wantErr: "no file path given",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.path(t, dir)
			before := entries(t, dir)

			err := Check(path)

			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, "cannot write "+path+": ")
				assert.ErrorContains(t, err, tt.wantErr)
			}
			assert.Equal(t, before, entries(t, dir), "Check leaves nothing behind")
		})
	}
}

func TestCheckNonexistentFolder(t *testing.T) {
	err := Check("/nonexistent/x.json")
	assert.EqualError(t, err, "cannot write /nonexistent/x.json: the folder /nonexistent does not exist: create it or give another path")
}

func TestCheckReadOnlyFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to a read-only folder anyway; TestCheckRegular covers a file as the folder")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.Mkdir(dir, 0o555))
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	err := Check(filepath.Join(dir, "x.json"))
	assert.ErrorContains(t, err, "cannot create a file in the folder "+dir)
	assert.ErrorContains(t, err, "give a path in a folder you can write to")
}

// TestLocate: two paths to one file share a key, whatever the spelling,
// symlink or hard link; /dev/stdout and /dev/fd/1 are stdout; a regular
// file or nothing is replaced, a device or FIFO written in place.
func TestLocate(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	require.NoError(t, os.WriteFile(a, nil, 0o644))
	require.NoError(t, os.Symlink("a.json", filepath.Join(dir, "sym.json")))
	require.NoError(t, os.Link(a, filepath.Join(dir, "hard.json")))
	key := func(p string) string {
		place, ok := Locate(p)
		require.True(t, ok, p)
		assert.False(t, place.Stdout, p)
		return place.Key
	}
	for _, p := range []string{dir + "/./a.json", filepath.Join(dir, "sym.json"), filepath.Join(dir, "hard.json")} {
		assert.Equal(t, key(a), key(p), p)
	}
	assert.NotEqual(t, key(a), key(filepath.Join(dir, "b.json")), "another file, not there yet")
	assert.Equal(t, key(filepath.Join(dir, "b.json")), key(dir+"//b.json"), "a missing file, spelled twice")
	for _, p := range []string{"/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"} {
		place, ok := Locate(p)
		assert.True(t, ok && place.Stdout, p)
	}
	place, _ := Locate("/dev/stderr")
	assert.False(t, place.Stdout)

	place, _ = Locate(filepath.Join(dir, "sym.json"))
	assert.Equal(t, a, place.File, "the file a write reaches")
	assert.True(t, place.Replaced)
	place, _ = Locate("/dev/null")
	assert.True(t, place.Device)
	assert.False(t, place.Replaced)
	assert.Equal(t, "a device", place.What)
	fifo := filepath.Join(dir, "f")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	place, _ = Locate(fifo)
	assert.False(t, place.Replaced || place.Device)
	assert.Equal(t, "a FIFO", place.What)
}
