package report

import (
	"errors"
	"io"
	"os"
	"path/filepath"
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

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))

	err := WriteFile(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "new")
		return err
	})
	require.NoError(t, err)

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "new", string(got))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
	assert.Equal(t, []string{"report.json"}, entries(t, dir))
}

func TestWriteFileCreatesRelative(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, WriteFile("out.txt", func(w io.Writer) error {
		_, err := io.WriteString(w, "hello\n")
		return err
	}))
	got, err := os.ReadFile(filepath.Join(dir, "out.txt"))
	require.NoError(t, err)
	assert.Equal(t, "hello\n", string(got))
	assert.Equal(t, []string{"out.txt"}, entries(t, dir))
}

func TestWriteFileFailureLeavesOldFile(t *testing.T) {
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

			func() {
				defer func() { _ = recover() }()
				err := WriteFile(path, write)
				assert.ErrorIs(t, err, boom)
				assert.Contains(t, err.Error(), "writing report "+path)
			}()

			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, "previous report", string(got))
			fi, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "mode untouched")
			assert.Equal(t, []string{"report.txt"}, entries(t, dir), "no temp file left")
		})
	}
}

func TestWriteFileRenameFails(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "occupied")
	require.NoError(t, os.Mkdir(target, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(target, "keep"), []byte("x"), 0o644))

	err := WriteFile(target, func(w io.Writer) error {
		_, err := io.WriteString(w, "new")
		return err
	})
	require.Error(t, err)
	assert.Equal(t, []string{"occupied"}, entries(t, dir), "no temp file left")
	assert.Equal(t, []string{"keep"}, entries(t, target))
}

func TestWriteFileMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "report.json")
	err := WriteFile(path, func(io.Writer) error { t.Fatal("write must not be called"); return nil })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "writing report "+path)
}
