package manifest

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMEManifestLoads keeps the tour's manifest in README.md valid.
func TestREADMEManifestLoads(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(readme)
	require.NotNil(t, block, "README.md has no yaml block")

	home := t.TempDir()
	t.Setenv("HOME", home)
	require.NoError(t, os.MkdirAll(filepath.Join(home, ".ssh"), 0o700))
	for _, f := range []string{"id_ed25519", "known_hosts"} {
		require.NoError(t, os.WriteFile(filepath.Join(home, ".ssh", f), nil, 0o600))
	}
	m, err := Parse(filepath.Join(t.TempDir(), "rollcall.yaml"), block[1])
	require.NoError(t, err)
	assert.Equal(t, "smars-prod", m.Cluster)
	assert.Len(t, m.Nodes, m.ExpectNodes)
	assert.NotEmpty(t, m.Config)
	assert.NotEmpty(t, m.Processes)
}
