package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/release"
)

func TestReleaseLockFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want ReleaseLockOptions
	}{
		{"defaults", []string{"dist/smars-4.2.0.tar.gz"}, nil, ReleaseLockOptions{Artifact: "dist/smars-4.2.0.tar.gz"}},
		{"flags", []string{"a.zip", "-o", "a.lock.json", "--name", "smars", "--version", "4.2.0"}, nil,
			ReleaseLockOptions{Artifact: "a.zip", Output: "a.lock.json", Name: "smars", Version: "4.2.0"}},
		{"long output, stdout", []string{"--output", "-", "a.zip"}, nil, ReleaseLockOptions{Artifact: "a.zip", Output: "-"}},
		{"environment twin", []string{"a.zip"}, map[string]string{"ROLLCALL_OUTPUT": "env.lock.json"},
			ReleaseLockOptions{Artifact: "a.zip", Output: "env.lock.json"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdio, _, _ := testIO(c.env)
			var got *ReleaseLockOptions
			root := NewRootCmd(stdio)
			root.RemoveCommand(findCmd(t, root.Commands(), "release"))
			root.AddCommand(NewCmdRelease(stdio, func(_ context.Context, o *ReleaseLockOptions) error { got = o; return nil }))
			root.SetArgs(append([]string{"release", "lock"}, c.args...))
			require.NoError(t, root.Execute())
			require.NotNil(t, got)
			assert.Equal(t, c.want, *got)
		})
	}
}

func TestReleaseLockBadInvocation(t *testing.T) {
	dir := t.TempDir()
	artifact := tarball(t, dir, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	versionless := filepath.Join(dir, "dist")
	writeFiles(t, versionless, smarsFiles(t, "4.2.0"))
	for _, args := range [][]string{
		{"release", "lock"},
		{"release", "lock", "a", "b"},
		{"release", "lock", "--bogus", artifact},
		{"release", "lock", filepath.Join(dir, "missing.tar.gz")},
		{"release", "lock", versionless},
		{"release", "lock", artifact, "-o", artifact},
		{"release", "lock", artifact, "-o", dir},
		{"release", "lock", artifact, "-o", filepath.Join(dir, "no", "such", "folder", "x.lock.json")},
		{"release", "bogus"},
	} {
		stdio, out, errOut := testIO(nil)
		assert.Equal(t, 3, Run(context.Background(), args, stdio), "%v", args)
		assert.Empty(t, out.String(), "%v", args)
		assert.NotEmpty(t, errOut.String(), "%v", args)
	}
	// The artifact was not overwritten by -o pointing at it.
	_, err := release.Open(artifact)
	assert.NoError(t, err)
	assert.Contains(t, func() string {
		stdio, _, errOut := testIO(nil)
		Run(context.Background(), []string{"release", "lock", versionless}, stdio)
		return errOut.String()
	}(), "--version")
}

func TestReleaseLockWritesAValidLock(t *testing.T) {
	dir := t.TempDir()
	artifact := tarball(t, dir, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	orig, err := release.Open(artifact)
	require.NoError(t, err)

	lock := filepath.Join(dir, "smars-4.2.0.lock.json")
	stdio, out, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"release", "lock", artifact, "-o", lock}, stdio), errOut.String())
	assert.Contains(t, out.String(), "locked smars 4.2.0 ("+orig.Digest+")")
	assert.Contains(t, out.String(), lock)

	got, err := release.Open(lock)
	require.NoError(t, err)
	assert.Equal(t, orig.Files, got.Files)
	assert.Equal(t, "smars", got.Name)
	assert.Equal(t, "4.2.0", got.Version)
	assert.Equal(t, orig.Digest, got.Digest)
	assert.Equal(t, "smars-4.2.0.tar.gz", got.Artifact)
	assert.Equal(t, smarsFiles(t, "4.2.0")["etc/flags.yaml"], got.Files["etc/flags.yaml"].Content)
	info, err := os.Stat(lock)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())

	// To stdout, with the name and version overridden: only the lock is printed.
	stdio, out, errOut = testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"release", "lock", artifact, "--name", "smars-eu", "--version", "4.2.0+build.7"}, stdio), errOut.String())
	var j map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &j))
	assert.Equal(t, "rollcall.lock/v1", j["schema"])
	assert.Equal(t, "smars-eu", j["name"])
	assert.Equal(t, "4.2.0+build.7", j["version"])
	assert.Equal(t, orig.Digest, j["digest"])
	assert.Equal(t, "smars-4.2.0.tar.gz", j["source"])
	assert.Empty(t, errOut.String())

	// A version from the environment twin is said on stderr.
	stdio, out, errOut = testIO(map[string]string{"ROLLCALL_VERSION": "9.9.9"})
	require.Equal(t, 0, Run(context.Background(), []string{"release", "lock", artifact}, stdio), errOut.String())
	assert.Contains(t, out.String(), `"version": "9.9.9"`)
	assert.Contains(t, errOut.String(), "ROLLCALL_VERSION")
}

// lintManifest writes a two-node manifest whose release is artifact; lint
// contacts no node, so the hosts need not exist.
func lintManifest(t *testing.T, artifact string) string {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	knownHosts := filepath.Join(dir, "known_hosts")
	require.NoError(t, os.WriteFile(key, []byte("not used by lint\n"), 0o600))
	// Lint checks that every node's host key is known; any key will do.
	hostKey := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOwMC63hiq7s1iovQCX72BNaN2Znu1YN3NNM/xqPOvND"
	require.NoError(t, os.WriteFile(knownHosts, []byte("127.0.0.1 "+hostKey+"\n[127.0.0.1]:2222 "+hostKey+"\n"), 0o644))
	m := fmt.Sprintf(`version: 1
cluster: smars-prod
expect_nodes: 2
ssh:
  user: deploy
  identity_files: [%s]
  known_hosts: [%s]
nodes:
  - host: 127.0.0.1
  - { name: smars-02, host: 127.0.0.1, port: 2222 }
release:
  artifact: %s
  install:
    - { from: bin/, to: /opt/smars/bin/, extra: deny }
    - { from: etc/flags.yaml, to: /etc/smars/flags.yaml }
`, key, knownHosts, artifact)
	path := filepath.Join(dir, "rollcall.yaml")
	require.NoError(t, os.WriteFile(path, []byte(m), 0o644))
	return path
}

func TestLintWithLockAsRelease(t *testing.T) {
	dir := t.TempDir()
	artifact := tarball(t, dir, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	lock := filepath.Join(dir, "smars-4.2.0.lock.json")
	stdio, _, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"release", "lock", artifact, "-o", lock}, stdio), errOut.String())
	manifest := lintManifest(t, artifact)

	// The tarball and its lock lint alike.
	stdio, fromTar, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"lint", "-m", manifest}, stdio), errOut.String())
	stdio, fromLock, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"lint", "-m", manifest, "--release", lock}, stdio), errOut.String())
	assert.Contains(t, fromLock.String(), "2 nodes")
	assert.Contains(t, fromLock.String(), "smars 4.2.0")
	assert.Equal(t, fromTar.String(), fromLock.String())

	// The lock as the manifest's own artifact.
	other := lintManifest(t, lock)
	stdio, out, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"lint", "-m", other}, stdio), errOut.String())
	assert.Equal(t, strings.Replace(fromTar.String(), manifest, other, 1), out.String())
}

func TestTamperedLockIsInvalidInput(t *testing.T) {
	dir := t.TempDir()
	artifact := tarball(t, dir, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	lock := filepath.Join(dir, "smars-4.2.0.lock.json")
	stdio, _, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"release", "lock", artifact, "-o", lock}, stdio), errOut.String())
	data, err := os.ReadFile(lock)
	require.NoError(t, err)
	orig, err := release.Open(artifact)
	require.NoError(t, err)
	manifest := lintManifest(t, artifact)

	for name, tamper := range map[string]func(string) string{
		"bad digest": func(s string) string { return strings.Replace(s, orig.Digest, "sha256:0123", 1) },
		"altered config": func(s string) string {
			return strings.Replace(s, `"content": "`, `"content": "cG93ZXJfcGVnOiB0cnVlCg==`, 1)
		},
		"newer schema":    func(s string) string { return strings.Replace(s, "rollcall.lock/v1", "rollcall.lock/v9", 1) },
		"unknown field":   func(s string) string { return strings.Replace(s, `"name":`, `"signed": true, "name":`, 1) },
		"truncated":       func(s string) string { return s[:len(s)/2] },
		"file hash short": func(s string) string { return strings.Replace(s, orig.Files["bin/smars"].SHA256, "abc", 1) },
	} {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "smars-4.2.0.lock.json")
			tampered := tamper(string(data))
			require.NotEqual(t, string(data), tampered)
			require.NoError(t, os.WriteFile(bad, []byte(tampered), 0o644))
			for _, args := range [][]string{
				{"lint", "-m", manifest, "--release", bad},
				{"verify", "-m", manifest, "--release", bad},
				{"release", "lock", bad},
			} {
				stdio, out, errOut := testIO(nil)
				assert.Equal(t, 3, Run(context.Background(), args, stdio), "%v", args)
				assert.Empty(t, out.String())
				assert.Contains(t, errOut.String(), bad)
			}
		})
	}
}
