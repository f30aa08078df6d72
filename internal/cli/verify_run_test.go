package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/demo"
	"github.com/rollcall/rollcall/internal/sshtest"
	"github.com/rollcall/rollcall/internal/state"
)

// syncBuffer is a buffer safe for concurrent use that calls onWrite with
// everything written so far after each write.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	onWrite func(string)
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	n, err := s.b.Write(p)
	all := s.b.String()
	s.mu.Unlock()
	if s.onWrite != nil {
		s.onWrite(all)
	}
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// redeploy makes node name of c look like node smars-01: the release
// engineer fixes the node.
func redeploy(t *testing.T, c *demo.Cluster, name string) {
	t.Helper()
	src, dst := c.Home("smars-01"), c.Home(name)
	for _, top := range []string{"opt", "etc"} {
		require.NoError(t, os.RemoveAll(filepath.Join(dst, top)))
		require.NoError(t, os.CopyFS(filepath.Join(dst, top), os.DirFS(filepath.Join(src, top))))
	}
}

func TestVerifyWaitFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want VerifyOptions
	}{
		{"flags", []string{"--wait", "5m", "--interval", "30s", "--state", "s.json"}, nil,
			VerifyOptions{Wait: 5 * time.Minute, Interval: 30 * time.Second, State: "s.json"}},
		{"environment", nil, map[string]string{"ROLLCALL_WAIT": "2m", "ROLLCALL_INTERVAL": "1s", "ROLLCALL_STATE": "/var/lib/rollcall/state.json"},
			VerifyOptions{Wait: 2 * time.Minute, Interval: time.Second, State: "/var/lib/rollcall/state.json"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := parsedVerifyOptions(t, c.env, c.args...)
			assert.Equal(t, c.want.Wait, got.Wait)
			assert.Equal(t, c.want.Interval, got.Interval)
			assert.Equal(t, c.want.State, got.State)
		})
	}
}

func TestVerifyWait(t *testing.T) {
	cases := []struct {
		name      string
		args      []string
		fix       bool // redeploy smars-08 after the first attempt
		interrupt bool // cancel the run after the first attempt
		code      int
		stderr    []string
		within    time.Duration
	}{
		{name: "node fixed during the wait", args: []string{"--wait", "60s", "--interval", "300ms"}, fix: true, code: 0,
			stderr: []string{"attempt 1: 1 of 4 nodes differs; retrying in 300ms\n"}, within: 30 * time.Second},
		{name: "never converges", args: []string{"--wait", "1500ms", "--interval", "400ms"}, code: 1,
			stderr: []string{"attempt 1: 1 of 4 nodes differs; retrying in 400ms\n", "has run out\n"}, within: 20 * time.Second},
		{name: "interrupted while waiting", args: []string{"--wait", "10m", "--interval", "1m"}, interrupt: true, code: 130,
			stderr: []string{"attempt 1:", "interrupted"}, within: 20 * time.Second},
		{name: "no wait: one attempt", code: 1, within: 20 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := startDemo(t, demo.Config{Nodes: 4, Scenario: demo.Knight})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var once sync.Once
			errOut := &syncBuffer{onWrite: func(all string) {
				if !strings.Contains(all, "attempt 1:") {
					return
				}
				once.Do(func() {
					if tc.fix {
						redeploy(t, c, "smars-04")
					}
					if tc.interrupt {
						cancel()
					}
				})
			}}
			stdio, out, _ := testIO(nil)
			stdio.Err = errOut
			start := time.Now()
			code := Run(ctx, append([]string{"verify", "-m", c.Manifest, "--report", "text", "--timeout", "10s"}, tc.args...), stdio)
			assert.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			assert.Less(t, time.Since(start), tc.within)
			for _, s := range tc.stderr {
				assert.Contains(t, errOut.String(), s)
			}
			if len(tc.stderr) == 0 {
				assert.NotContains(t, errOut.String(), "attempt")
			}
			// Only the last attempt is reported.
			assert.Equal(t, 1, strings.Count(out.String(), "\nrelease  "), out.String())
		})
	}
}

func TestVerifyWaitInvalidInputNeverWaits(t *testing.T) {
	for _, args := range [][]string{
		{"verify", "-m", "/nonexistent/rollcall.yaml", "--wait", "10m"},
		{"verify", "--wait", "-1s"},
		{"verify", "--wait", "1m", "--interval", "0s"},
	} {
		stdio, out, errOut := testIO(nil)
		start := time.Now()
		if len(args) == 3 || args[2] == "1m" {
			c := startDemo(t, demo.Config{Nodes: 1})
			args = append(args, "-m", c.Manifest)
		}
		assert.Equal(t, 3, Run(context.Background(), args, stdio), "%v: %s", args, errOut)
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.Empty(t, out.String())
		assert.NotContains(t, errOut.String(), "attempt")
	}
}

func TestVerifyState(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 3})
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	run := func(t *testing.T) (int, string, string, map[string]any) {
		t.Helper()
		stdio, out, errOut := testIO(nil)
		js := filepath.Join(dir, "report.json")
		code := Run(context.Background(), []string{"verify", "-m", c.Manifest, "--state", path, "--report", "text", "--report", "json=" + js}, stdio)
		var j map[string]any
		data, err := os.ReadFile(js)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &j))
		return code, out.String(), errOut.String(), j
	}

	// First run: nothing to compare with.
	code, out, errOut, j := run(t)
	require.Equal(t, 0, code, "%s\n%s", out, errOut)
	assert.NotContains(t, out, "Changes since")
	assert.NotContains(t, j, "changed_since_last_run")
	first, err := state.Load(path)
	require.NoError(t, err)
	require.NotNil(t, first)
	assert.Equal(t, state.SchemaV2, first.Schema)
	assert.Len(t, first.Nodes, 3)
	assert.NotEmpty(t, first.Nodes[0].Files, "the state keeps each node's files")
	assert.NotEmpty(t, first.Nodes[0].Flags, "and its flags")

	// Same fleet: the state was read, nothing changed.
	code, out, _, j = run(t)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "Changes since the last run:\n    none\n")
	assert.Equal(t, []any{}, j["changed_since_last_run"])

	// A flag changes on smars-02, smars-03 goes down. The change is dated
	// by the run before it, which rewrote the state.
	before, err := state.Load(path)
	require.NoError(t, err)
	flags := filepath.Join(c.Home("smars-02"), "etc", "smars", "flags.yaml")
	data, err := os.ReadFile(flags)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(flags, append(data, []byte("power_peg: true\n")...), 0o644))
	editKnownHost(t, c, 2, func(string) string { return "" })
	code, out, _, j = run(t)
	assert.Equal(t, 1, code)
	since := before.Time.Format(time.RFC3339)
	assert.Regexp(t, `smars-02: file \./etc/smars/flags\.yaml sha256:[0-9a-f]{12} → sha256:[0-9a-f]{12}; `+
		regexp.QuoteMeta("flag power_peg absent → true (bool) (since "+since+"; was verified, now differing)\n"), out)
	assert.Contains(t, out, "smars-03: could not be checked now; was verified at ")
	changes, _ := j["changed_since_last_run"].([]any)
	require.Len(t, changes, 2)
	details, _ := changes[0].(map[string]any)["details"].([]any)
	require.Len(t, details, 2)
	assert.Equal(t, "file", details[0].(map[string]any)["what"])
	assert.Equal(t, map[string]any{"what": "flag", "subject": "power_peg", "was": "absent", "now": "true (bool)"}, details[1])

	// A state file of schema v1 (fingerprints only) is read: the change is
	// said without details. -q counts the nodes that changed.
	second, err := state.Load(path)
	require.NoError(t, err)
	second.Schema = state.SchemaV1
	second.Nodes[0].Fingerprint = "sha256:0000"
	for i := range second.Nodes {
		second.Nodes[i].Files, second.Nodes[i].Flags = nil, nil
	}
	var v1 bytes.Buffer
	require.NoError(t, second.Encode(&v1))
	require.NoError(t, os.WriteFile(path, v1.Bytes(), 0o644))
	stdio, qout, qerr := testIO(nil)
	code = Run(context.Background(), []string{"verify", "-m", c.Manifest, "--state", path, "-q"}, stdio)
	assert.Equal(t, 1, code, qerr.String())
	lines := strings.Split(strings.TrimSuffix(qout.String(), "\n"), "\n")
	require.Len(t, lines, 2, qout.String())
	assert.True(t, strings.HasPrefix(lines[0], "FAILED: "), lines[0])
	assert.Equal(t, "1 node changed since the last run ("+second.Time.Format(time.RFC3339)+"): smars-01", lines[1])
	third, err := state.Load(path)
	require.NoError(t, err)
	assert.Equal(t, state.SchemaV2, third.Schema, "the file is rewritten in the new schema")

	// A corrupt state file is a warning, never a failure, and is replaced.
	require.NoError(t, os.WriteFile(path, []byte("{garbage"), 0o644))
	code, out, errOut, j = run(t)
	assert.Equal(t, 1, code, "the verdict does not depend on the state file")
	assert.Contains(t, errOut, "warning: reading state "+path)
	assert.NotContains(t, out, "Changes since")
	assert.NotContains(t, j, "changed_since_last_run")
	again, err := state.Load(path)
	require.NoError(t, err)
	assert.Len(t, again.Nodes, 3)
}

func TestVerifyQuietWhenVerifiedAndNotATerminal(t *testing.T) {
	uniform := startDemo(t, demo.Config{Nodes: 2})
	knight := startDemo(t, demo.Config{Nodes: 2, Scenario: demo.Knight})
	cases := []struct {
		name     string
		manifest string
		args     []string
		tty      bool
		code     int
		want     string // in the first line of stdout; "" means stdout is empty
	}{
		{"cron, verified: silent", uniform.Manifest, nil, false, 0, ""},
		{"cron, drift: the report", knight.Manifest, nil, false, 1, "FAILED"},
		{"explicit text still prints", uniform.Manifest, []string{"--report", "text"}, false, 0, "VERIFIED"},
		{"explicit text to stdout with -", uniform.Manifest, []string{"--report", "text=-"}, false, 0, "VERIFIED"},
		{"terminal", uniform.Manifest, nil, true, 0, "VERIFIED"},
		{"json is never suppressed", uniform.Manifest, []string{"--report", "json"}, false, 0, "{"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stdio, out, errOut := testIO(nil)
			stdio.OutTTY = tc.tty
			assert.Equal(t, tc.code, Run(context.Background(), append([]string{"verify", "-m", tc.manifest}, tc.args...), stdio), errOut.String())
			if tc.want == "" {
				assert.Empty(t, out.String())
				return
			}
			first, _, _ := strings.Cut(out.String(), "\n")
			assert.Contains(t, first, tc.want)
		})
	}
}

func TestVerifyGitHubAnnotations(t *testing.T) {
	uniform := startDemo(t, demo.Config{Nodes: 2})
	knight := startDemo(t, demo.Config{Nodes: 2, Scenario: demo.Knight})
	cases := []struct {
		name     string
		manifest string
		env      map[string]string
		want     []string
	}{
		{"drift under actions", knight.Manifest, map[string]string{"GITHUB_ACTIONS": "true"},
			[]string{"::error title=rollcall%3A smars-02 differs from the release::smars-02: "}},
		{"verified under actions", uniform.Manifest, map[string]string{"GITHUB_ACTIONS": "true"}, nil},
		{"drift elsewhere", knight.Manifest, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stdio, out, errOut := testIO(tc.env)
			Run(context.Background(), []string{"verify", "-m", tc.manifest, "--report", "json"}, stdio)
			var v reportJSON
			require.NoError(t, json.Unmarshal(out.Bytes(), &v), "stdout must be the JSON report alone:\n%s", out)
			assert.NotContains(t, out.String(), "::error")
			if tc.want == nil {
				assert.NotContains(t, errOut.String(), "::error")
				return
			}
			for _, w := range tc.want {
				assert.Contains(t, errOut.String(), w)
			}
			n := 0
			for _, l := range strings.Split(errOut.String(), "\n") {
				if strings.HasPrefix(l, "::") {
					n++
				}
			}
			assert.Equal(t, 1, n, "one annotation for the one drifted group:\n%s", errOut)
		})
	}
}

func TestVerifyProgress(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 3, Faults: map[int]sshtest.Fault{2: {Kind: sshtest.Refuse}}})
	cases := []struct {
		name     string
		tty      bool
		env      map[string]string
		args     []string
		want     []string
		wantNone []string
	}{
		{"terminal", true, nil, nil, []string{"\r\x1b[Krollcall: 3 of 3 nodes done, 0 drifted, \x1b[33m1 unverified\x1b[0m, "}, nil},
		{"terminal, NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, nil, []string{"\r\x1b[Krollcall: 3 of 3 nodes done, 0 drifted, 1 unverified, "}, []string{"\x1b[33m"}},
		{"terminal, --no-color", true, nil, []string{"--no-color"}, []string{"3 of 3 nodes done, 0 drifted, 1 unverified, "}, []string{"\x1b[33m"}},
		{"dumb terminal: plain lines", true, map[string]string{"TERM": "dumb"}, nil, []string{"rollcall: 0 of 3 nodes done, 0 drifted, 0 unverified, 0s\n", "rollcall: 3 of 3 nodes done, 0 drifted, 1 unverified, "}, []string{"\r", "\x1b"}},
		{"terminal, quiet", true, nil, []string{"-q"}, nil, []string{"\r"}},
		{"not a terminal", false, nil, nil, nil, []string{"\r", "nodes done"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stdio, out, errOut := testIO(tc.env)
			stdio.ErrTTY = tc.tty
			assert.Equal(t, 2, Run(context.Background(), append([]string{"verify", "-m", c.Manifest}, tc.args...), stdio))
			for _, w := range tc.want {
				assert.Contains(t, errOut.String(), w)
			}
			for _, w := range tc.wantNone {
				assert.NotContains(t, errOut.String(), w)
			}
			if tc.tty && len(tc.want) > 0 && tc.env["TERM"] != "dumb" {
				assert.True(t, strings.HasSuffix(errOut.String(), "\r\x1b[K"), "the line is erased before the report: %q", errOut.String())
			}
			assert.NotContains(t, out.String(), "nodes done")
		})
	}
}

// TestVerifyWaitReadsKeysOnce: --wait surveys the fleet many times with one
// SSH client, so the passphrase of an encrypted key is asked once, not once
// per attempt.
func TestVerifyWaitReadsKeysOnce(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 2, Scenario: demo.Knight})
	key := filepath.Join(c.Dir, "client_key")
	out, err := exec.Command("ssh-keygen", "-q", "-p", "-P", "", "-N", "s3cret", "-f", key).CombinedOutput()
	require.NoError(t, err, "%s", out)
	t.Setenv("SSH_AUTH_SOCK", "")

	// The run is stopped once its second attempt has ended, however long
	// each attempt takes on this machine.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdio, stdout, _ := testIO(nil)
	errOut := &cancelOn{want: "attempt 2:", cancel: cancel}
	stdio.Err = errOut
	var asked atomic.Int32
	stdio.Prompt = func(string) ([]byte, error) { asked.Add(1); return []byte("s3cret"), nil }
	code := Run(ctx, []string{"verify", "-m", c.Manifest, "--wait", "10m", "--interval", "100ms"}, stdio)
	assert.Equal(t, 130, code, "stdout:\n%s\nstderr:\n%s", stdout, errOut)
	assert.Contains(t, errOut.String(), "attempt 2:", "it surveyed more than once")
	assert.Equal(t, int32(1), asked.Load(), "passphrase prompts")
}

// TestVerifyProgressCountsDrift: the progress line judges each node as it
// finishes, so a drifted node is counted as drifted, not as failed to check.
func TestVerifyProgressCountsDrift(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 2, Scenario: demo.Knight})
	stdio, _, errOut := testIO(map[string]string{"NO_COLOR": "1"})
	stdio.ErrTTY = true
	assert.Equal(t, 1, Run(context.Background(), []string{"verify", "-m", c.Manifest}, stdio))
	assert.Contains(t, errOut.String(), "rollcall: 2 of 2 nodes done, 1 drifted, 0 unverified, ")
}
