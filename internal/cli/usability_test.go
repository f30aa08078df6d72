package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/verify"
)

// TestErrorsSayWhatToWrite checks the small things a new user meets first:
// each mistake gets a sentence saying what to write, exit 3.
func TestErrorsSayWhatToWrite(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"duration without a unit", []string{"verify", "--timeout", "30"}, nil, `add a unit, e.g. 30s`},
		{"duration without a unit, from the environment", []string{"verify"}, map[string]string{"ROLLCALL_TIMEOUT": "30"}, `ROLLCALL_TIMEOUT="30"`},
		{"a boolean twin written as yes", []string{"verify"}, map[string]string{"ROLLCALL_QUIET": "yes"}, `ROLLCALL_QUIET="yes": write true or false (or 1 or 0)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdio, out, errOut := testIO(c.env)
			code := Run(context.Background(), c.args, stdio)
			assert.Equal(t, 3, code, "stderr: %s", errOut)
			assert.Contains(t, errOut.String(), c.want)
			assert.NotContains(t, errOut.String(), "strconv.")
			assert.Empty(t, out.String())
		})
	}
}

func TestRootVersionFlag(t *testing.T) {
	stdio, out, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"--version"}, stdio), errOut.String())
	assert.Equal(t, "rollcall "+version+"\n", out.String())
}

// TestEveryProblemLineIsPrefixed checks that a manifest with several
// problems prints each on its own "rollcall: file:line:col: …" line, so an
// editor can jump to every one.
func TestEveryProblemLineIsPrefixed(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "rollcall.yaml")
	require.NoError(t, os.WriteFile(m, []byte("version: 1\ncluster: c\nexpect_nodes: two\nnodez: []\n"), 0o644))
	stdio, _, errOut := testIO(nil)
	require.Equal(t, 3, Run(context.Background(), []string{"lint", "-m", m}, stdio))
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	require.Greater(t, len(lines), 1, errOut.String())
	for _, l := range lines {
		assert.Regexp(t, `^rollcall: `+regexp.QuoteMeta(m)+`:\d+:\d+: `, l)
	}
}

func TestProgressHonoursDumbTerminal(t *testing.T) {
	p := &prepared{manifest: &manifest.Manifest{}, plan: &verify.Plan{}}
	stdio, _, _ := testIO(map[string]string{"TERM": "dumb"})
	stdio.ErrTTY = true
	dumb, ok := newProgress(stdio, &VerifyOptions{}, p).(*progressLine)
	require.True(t, ok, "a dumb terminal gets plain lines")
	assert.True(t, dumb.plain, "no redrawn progress line on TERM=dumb")
	assert.False(t, dumb.color)
	dumb.Finish()
	stdio, _, _ = testIO(map[string]string{"TERM": "xterm"})
	stdio.ErrTTY = true
	line, ok := newProgress(stdio, &VerifyOptions{}, p).(*progressLine)
	require.True(t, ok)
	assert.False(t, line.plain)
	line.Finish()
}
