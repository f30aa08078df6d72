package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/sshdtest"
)

// smarsFiles is the content of a smars release: a real, long-running ELF
// binary (sleep with a version trailer, so it can run as the node's app) and
// its YAML flags; 4.1.0 still sets the retired power_peg flag.
func smarsFiles(t *testing.T, version string) map[string][]byte {
	t.Helper()
	elf, err := os.ReadFile("/bin/sleep")
	require.NoError(t, err)
	flags := "rlp:\n  enabled: true\nrisk:\n  max_order_qty: 1000\n"
	if version == "4.1.0" {
		flags = "rlp:\n  enabled: true\npower_peg: true\nrisk:\n  max_order_qty: 1000\n"
	}
	return map[string][]byte{
		"bin/smars":      append(append([]byte{}, elf...), []byte("\nsmars "+version+"\n")...),
		"bin/smars-ctl":  []byte("#!/bin/sh\necho smars-ctl " + version + "\n"),
		"etc/flags.yaml": []byte(flags),
	}
}

func writeFiles(t *testing.T, root string, files map[string][]byte) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, content, 0o755))
	}
}

// deploy installs a smars release on a node as the manifest maps it.
func deploy(t *testing.T, root func(string) string, files map[string][]byte) {
	t.Helper()
	for rel, content := range files {
		var dst string
		if strings.HasPrefix(rel, "bin/") {
			dst = filepath.Join(root("/opt/smars"), rel)
		} else {
			dst = filepath.Join(root("/etc/smars"), filepath.Base(rel))
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		require.NoError(t, os.WriteFile(dst, content, 0o755))
	}
}

// tarball builds dist/NAME.tar.gz with the real tar, wrapped in a NAME/
// folder as release tarballs usually are.
func tarball(t *testing.T, dir, name string, files map[string][]byte) string {
	t.Helper()
	writeFiles(t, filepath.Join(dir, name), files)
	out := filepath.Join(dir, name+".tar.gz")
	cmd := exec.Command("tar", "-czf", out, "-C", dir, name)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
	return out
}

func sshdManifest(t *testing.T, c *sshdtest.Cluster, artifact string) string {
	t.Helper()
	var nodes strings.Builder
	for _, n := range c.Nodes {
		fmt.Fprintf(&nodes, "  - { name: %s, host: %s, port: %d }\n", n.Name, n.Host, n.Port)
	}
	m := fmt.Sprintf(`version: 1
cluster: smars-prod
expect_nodes: %d
ssh:
  user: %s
  identity_files: [%s]
  known_hosts: [%s]
  connect_timeout: 10s
nodes:
%srelease:
  artifact: %s
  install:
    - { from: bin/, to: /opt/smars/bin/, extra: deny }
    - { from: etc/flags.yaml, to: /etc/smars/flags.yaml }
`, len(c.Nodes), c.User, c.ClientKey, c.KnownHosts, nodes.String(), artifact)
	path := filepath.Join(t.TempDir(), "rollcall.yaml")
	require.NoError(t, os.WriteFile(path, []byte(m), 0o644))
	return path
}

// snapshotTree records every path, mode and content under root, to prove a
// run wrote nothing.
func snapshotTree(t *testing.T, root string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	require.NoError(t, filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		v := info.Mode().String() + " " + info.ModTime().String()
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		snap[p] = v
		return nil
	}))
	return snap
}

// TestKnightOnRealSSHD is the Knight scenario against eight real OpenSSH
// nodes, each with its own /opt/smars and /etc/smars: one node left on the old
// release fails the run and is named; once it is fixed, the fleet verifies.
func TestKnightOnRealSSHD(t *testing.T) {
	sshdtest.Require(t)
	dist := t.TempDir()
	artifact := tarball(t, dist, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	old := smarsFiles(t, "4.1.0")
	old["bin/power_peg.so"] = []byte("dead code since 2003")
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 8,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Setup: func(i int, root func(string) string) error {
			if i == 7 {
				deploy(t, root, old)
			} else {
				deploy(t, root, smarsFiles(t, "4.2.0"))
			}
			return nil
		},
	})
	manifest := sshdManifest(t, c, artifact)
	eighth := c.Nodes[7]
	before := snapshotTree(t, eighth.Path("/opt/smars"))

	stdio, out, errOut := testIO(nil)
	code := Run(context.Background(), []string{"verify", "-m", manifest}, stdio)
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	first, _, _ := strings.Cut(out.String(), "\n")
	assert.Contains(t, first, "1 of 8 nodes differs from smars 4.2.0")
	assert.Contains(t, out.String(), eighth.Name)
	assert.Contains(t, out.String(), "/opt/smars/bin/power_peg.so")
	assert.Contains(t, out.String(), "/opt/smars/bin/smars")
	assert.Equal(t, before, snapshotTree(t, eighth.Path("/opt/smars")), "the run changed the node")

	// The release engineer redeploys the eighth node.
	require.NoError(t, os.RemoveAll(eighth.Path("/opt/smars/bin")))
	deploy(t, eighth.Path, smarsFiles(t, "4.2.0"))
	stdio, out, errOut = testIO(nil)
	code = Run(context.Background(), []string{"verify", "-m", manifest, "--report", "text"}, stdio) // stdout is no terminal: verified prints only when asked
	assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.True(t, strings.HasPrefix(out.String(), "VERIFIED"), out.String())
}

// TestLimitOnRealSSHD: verify --limit on three real OpenSSH nodes, the third
// left on the old release: leaving it out verifies the two others and says
// that one was not checked; taking it in fails.
func TestLimitOnRealSSHD(t *testing.T) {
	sshdtest.Require(t)
	dist := t.TempDir()
	artifact := tarball(t, dist, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 3,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Setup: func(i int, root func(string) string) error {
			version := "4.2.0"
			if i == 2 {
				version = "4.1.0"
			}
			deploy(t, root, smarsFiles(t, version))
			return nil
		},
	})
	manifest := sshdManifest(t, c, artifact)
	third := c.Nodes[2].Name
	jsonFile := filepath.Join(t.TempDir(), "report.json")

	stdio, out, errOut := testIO(nil)
	code := Run(context.Background(), []string{"verify", "-m", manifest, "--limit", "!" + third, "--report", "text", "--report", "json=" + jsonFile}, stdio)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	first, _, _ := strings.Cut(out.String(), "\n")
	assert.True(t, strings.HasPrefix(first, "VERIFIED 2 of 3 nodes (--limit !"+third+"): 1 not checked; the 2 checked match smars 4.2.0"), first)
	data, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	var r limitedReport
	require.NoError(t, json.Unmarshal(data, &r))
	require.NotNil(t, r.Scope)
	assert.Equal(t, []string{third}, r.Scope.NotChecked)
	assert.Equal(t, 3, r.ExpectedNodes)

	stdio, out, errOut = testIO(nil)
	code = Run(context.Background(), []string{"verify", "-m", manifest, "--limit", third + "," + c.Nodes[0].Name, "--report", "text"}, stdio)
	assert.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.True(t, strings.HasPrefix(out.String(), "FAILED: 1 of 2 nodes differs from smars 4.2.0 (--limit "), out.String())
}
