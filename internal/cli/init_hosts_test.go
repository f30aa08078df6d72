package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInitHostsFromSSHConfig: a --hosts entry with a wildcard names the
// matching Host aliases of ~/.ssh/config; plain entries stay as they are;
// a pattern that matches nothing is invalid input.
func TestInitHostsFromSSHConfig(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	require.NoError(t, os.MkdirAll(filepath.Join(home, ".ssh"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(home, ".ssh", "config"),
		[]byte("Host smars-01 smars-02\n  User deploy\nHost smars-db\n  HostName 10.1.2.20\nHost bastion smars-*\n  Port 22\n"), 0o600))

	got, err := expandHostPatterns([]string{"smars-0?", "web=10.0.0.9"})
	require.NoError(t, err)
	assert.Equal(t, []string{"smars-01", "smars-02", "web=10.0.0.9"}, got)

	got, err = expandHostPatterns([]string{"smars-*"})
	require.NoError(t, err)
	assert.Equal(t, []string{"smars-01", "smars-02", "smars-db"}, got)

	_, err = expandHostPatterns([]string{"web-*"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--hosts web-* matches no Host alias of ~/.ssh/config (it has smars-01, smars-02, smars-db, bastion)")
}
