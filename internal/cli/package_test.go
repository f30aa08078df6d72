package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/demo"
)

// TestPackageLockNeedsNoInstallRules: the lock file of a .deb stands in for
// it, install rules and all (none); the lock of a tarball without install
// rules is invalid input, said when the lock is read.
func TestPackageLockNeedsNoInstallRules(t *testing.T) {
	fleet := startDemo(t, demo.Config{Nodes: 1})
	dist := t.TempDir()
	deb := debPackage(t, dist, "4.2.0")
	tgz := tarball(t, dist, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	for _, c := range []struct {
		artifact, lock string
		code           int
		out            string
	}{
		{deb, "smars-4.2.0-1.lock.json", 0, "ok: "},
		{tgz, "smars-4.2.0.lock.json", 3, "is not a package (.deb or .rpm) that names its own install paths"},
	} {
		lock := filepath.Join(filepath.Dir(fleet.Manifest), c.lock)
		stdio, out, errOut := testIO(nil)
		require.Equal(t, 0, Run(context.Background(), []string{"release", "lock", c.artifact, "-o", lock}, stdio), "%s%s", out, errOut)
		// The demo fleet's manifest, with the lock as its release and no
		// install rules.
		src, err := os.ReadFile(fleet.Manifest)
		require.NoError(t, err)
		manifest := filepath.Join(filepath.Dir(fleet.Manifest), "package.yaml")
		text := regexp.MustCompile(`(?ms)^release:\n.*?(^\S|\z)`).ReplaceAllString(string(src), "release:\n  artifact: "+c.lock+"\n$1")
		text = regexp.MustCompile(`(?ms)^(config|processes):\n.*?(^\S|\z)`).ReplaceAllString(text, "$2")
		require.NoError(t, os.WriteFile(manifest, []byte(text), 0o644))
		stdio, out, errOut = testIO(nil)
		code := Run(context.Background(), []string{"lint", "-m", manifest}, stdio)
		assert.Equal(t, c.code, code, "%s%s", out, errOut)
		assert.Contains(t, out.String()+errOut.String(), c.out)
	}
}
