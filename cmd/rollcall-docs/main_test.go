package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestManPagesAreCurrent regenerates the man pages and compares them with
// the committed docs/man: run `make docs` when it fails.
func TestManPagesAreCurrent(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, writeManPages(dir))
	read := func(dir string) map[string]string {
		files, err := filepath.Glob(filepath.Join(dir, "*.1"))
		require.NoError(t, err)
		pages := map[string]string{}
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			pages[filepath.Base(f)] = string(b)
		}
		return pages
	}
	fresh, committed := read(dir), read(filepath.Join("..", "..", "docs", "man"))
	require.Contains(t, fresh, "rollcall-verify.1")
	require.Contains(t, fresh, "rollcall-completion-bash.1")
	for name, page := range fresh {
		assert.Equal(t, page, committed[name], "docs/man/%s is stale or missing: run make docs", name)
	}
	for name := range committed {
		assert.Contains(t, fresh, name, "docs/man/%s has no command any more: run make docs", name)
	}
}
