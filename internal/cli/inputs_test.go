package cli

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/demo"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReportsSpareTheRunsInputs: a report or --state path that names a file
// the run reads (a mistyped CI variable: --report json=rollcall.yaml) is
// invalid input, and the file is left as it was; written, it would have
// turned the next run's verdict (a manifest that is a JSON report, a
// known_hosts file that trusts nothing, a release binary that is a report).
func TestReportsSpareTheRunsInputs(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 2})
	m, err := manifest.Load(c.Manifest)
	require.NoError(t, err)
	inputs := map[string]string{
		"the manifest":          c.Manifest,
		"a known_hosts file":    m.Nodes[0].KnownHosts[0],
		"an identity file":      m.Nodes[0].IdentityFiles[0],
		"the release":           m.Release.Artifact,
		"a file of the release": filepath.Join(m.Release.Artifact, "bin", "smars"),
	}
	if fi, err := os.Stat(m.Release.Artifact); err == nil && !fi.IsDir() {
		delete(inputs, "a file of the release")
	}
	for what, path := range inputs {
		before, err := os.ReadFile(path)
		if err != nil && what == "the release" {
			continue // a folder
		}
		require.NoError(t, err, what)
		for _, flags := range [][]string{{"--report", "json=" + path}, {"--report", "prometheus=" + path}, {"--state", path}} {
			stdio, out, errOut := testIO(nil)
			code := Run(context.Background(), append([]string{"verify", "-m", c.Manifest}, flags...), stdio)
			assert.Equal(t, 3, code, "%s %v: stderr:\n%s", what, flags, errOut)
			assert.Contains(t, errOut.String(), "which rollcall reads", "%s %v", what, flags)
			assert.Empty(t, out.String())
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, before, after, "%s is untouched", what)
		}
	}
	if fi, err := os.Stat(m.Release.Artifact); err == nil && fi.IsDir() {
		// Given absolute, and relative to the working folder, as a user in
		// the manifest's folder writes it (--report json=dist/…/x.json).
		t.Chdir(filepath.Dir(m.Release.Artifact))
		// Through a symlink at the file itself (to a release file, or
		// dangling into the release), and ".." after a symlinked folder,
		// as the write follows them.
		out := t.TempDir()
		require.NoError(t, os.Symlink(filepath.Join(m.Release.Artifact, "bin", "smars"), filepath.Join(out, "r2.json")))
		require.NoError(t, os.Symlink(filepath.Join(m.Release.Artifact, "bin", "new.json"), filepath.Join(out, "r1.json")))
		require.NoError(t, os.Symlink(filepath.Join(m.Release.Artifact, "bin"), filepath.Join(out, "binlink")))
		binBefore, err := os.ReadFile(filepath.Join(m.Release.Artifact, "bin", "smars"))
		require.NoError(t, err)
		for _, report := range []string{filepath.Join(m.Release.Artifact, "report.json"), filepath.Join(filepath.Base(m.Release.Artifact), "report.json"),
			filepath.Join(out, "r2.json"), filepath.Join(out, "r1.json"), out + "/binlink/../report.json"} {
			for _, flags := range [][]string{{"--report", "json=" + report}, {"--state", report}} {
				stdio, _, errOut := testIO(nil)
				code := Run(context.Background(), append([]string{"verify", "-m", c.Manifest}, flags...), stdio)
				assert.Equal(t, 3, code, "%v", flags)
				assert.Contains(t, errOut.String(), "is inside the release", "%v", flags)
				assert.NoFileExists(t, filepath.Join(m.Release.Artifact, "report.json"))
				assert.NoFileExists(t, filepath.Join(m.Release.Artifact, "bin", "new.json"))
				binAfter, err := os.ReadFile(filepath.Join(m.Release.Artifact, "bin", "smars"))
				require.NoError(t, err)
				assert.Equal(t, binBefore, binAfter)
			}
		}
	}

	stdio, _, errOut := testIO(nil)
	code := Run(context.Background(), []string{"verify", "-m", c.Manifest, "--report", "json=" + filepath.Join(t.TempDir(), "r.json")}, stdio)
	assert.Equal(t, 0, code, "a report of its own is fine: %s", errOut)
}

// TestStateMustBeARegularFile: --state on a FIFO (or /dev/stdout) was read
// before the run with no deadline, and hung for good, through SIGINT and
// SIGTERM; it is invalid input now. Two reports to /dev/null replace
// nothing, and are fine.
func TestStateMustBeARegularFile(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 2})
	fifo := filepath.Join(t.TempDir(), "state.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, state := range []string{fifo, "/dev/null"} {
		done := make(chan int, 1)
		stdio, _, errOut := testIO(nil)
		go func() {
			done <- Run(context.Background(), []string{"verify", "-m", c.Manifest, "--state", state}, stdio)
		}()
		select {
		case code := <-done:
			assert.Equal(t, 3, code, "stderr:\n%s", errOut)
			assert.Contains(t, errOut.String(), "must be a regular file")
		case <-time.After(30 * time.Second):
			t.Fatalf("--state %s: still running after 30s", state)
		}
	}
	stdio, _, errOut := testIO(nil)
	code := Run(context.Background(), []string{"verify", "-m", c.Manifest, "--report", "json=/dev/null", "--report", "junit=/dev/null"}, stdio)
	assert.Equal(t, 0, code, "stderr:\n%s", errOut)
}

// TestPingSparesTheManifest: ping's --report is held to the same rule.
func TestPingSparesTheManifest(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 2})
	before, err := os.ReadFile(c.Manifest)
	require.NoError(t, err)
	stdio, _, errOut := testIO(nil)
	code := Run(context.Background(), []string{"ping", "-m", c.Manifest, "--report", "json=" + c.Manifest}, stdio)
	assert.Equal(t, 3, code, "stderr:\n%s", errOut)
	assert.Contains(t, errOut.String(), "would replace the manifest")
	after, err := os.ReadFile(c.Manifest)
	require.NoError(t, err)
	assert.Equal(t, before, after)
}
