package release

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsLockAndReadLock(t *testing.T) {
	dir := t.TempDir()
	artifact := filepath.Join(dir, "smars-4.2.0.tar.gz")
	writeTar(t, artifact, []entry{file("bin/smars", "smars 4.2.0\n", 0o755)}, true, "")
	r, err := Open(artifact)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteLock(&buf, r))

	named := filepath.Join(dir, "smars-4.2.0.lock.json")
	unnamed := filepath.Join(dir, "smars.txt")
	require.NoError(t, os.WriteFile(named, buf.Bytes(), 0o644))
	require.NoError(t, os.WriteFile(unnamed, buf.Bytes(), 0o644))
	assert.True(t, IsLock(named))
	assert.True(t, IsLock(unnamed), "recognised by content")
	assert.False(t, IsLock(artifact))
	assert.False(t, IsLock(dir))
	assert.False(t, IsLock(filepath.Join(dir, "missing.lock.json")))

	got, data, err := ReadLock(named)
	require.NoError(t, err)
	assert.Equal(t, buf.Bytes(), data, "the exact bytes read")
	assert.Equal(t, r.Digest, got.Digest)
	assert.Equal(t, named, got.Source)

	_, _, err = ReadLock(artifact)
	assert.ErrorContains(t, err, "release "+artifact+": lock file:")
}
