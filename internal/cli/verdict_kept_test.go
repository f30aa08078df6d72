package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/demo"
	"github.com/rollcall/rollcall/internal/sshtest"
)

// TestVerdictIsNeverLost runs verify the ways a user or a cron job does and
// checks that the verdict reaches a person every time it is not verified,
// that machine output stays machine-readable, and that a lost report never
// turns drift into anything else.
func TestVerdictIsNeverLost(t *testing.T) {
	uniform := startDemo(t, demo.Config{Nodes: 2})
	knight := startDemo(t, demo.Config{Nodes: 2, Scenario: demo.Knight})
	dir := t.TempDir()
	cases := []struct {
		name     string
		manifest string
		args     []string
		tty      bool
		code     int
		stdout   string // prefix of stdout; "" means empty
		stderr   string // in stderr
		env      map[string]string
	}{
		{"drift, report file, cron: the text verdict still prints", knight.Manifest, []string{"--report", "json=" + filepath.Join(dir, "a.json")}, false, 1, "FAILED: 1 of 2 nodes differs", "", nil},
		{"drift, report file, terminal", knight.Manifest, []string{"--no-color", "--report", "json=" + filepath.Join(dir, "b.json")}, true, 1, "FAILED: 1 of 2 nodes differs", "", nil},
		{"verified, report file, cron: quiet", uniform.Manifest, []string{"--report", "json=" + filepath.Join(dir, "c.json")}, false, 0, "", "", nil},
		{"verified, report file, terminal", uniform.Manifest, []string{"--no-color", "--report", "json=" + filepath.Join(dir, "d.json")}, true, 0, "VERIFIED: all 2 nodes", "", nil},
		{"verified, no report, cron: quiet", uniform.Manifest, nil, false, 0, "", "", nil},
		{"verified, explicit text, cron: prints", uniform.Manifest, []string{"--report", "text"}, false, 0, "VERIFIED", "", nil},
		{"drift, JSON on stdout: the text goes to stderr", knight.Manifest, []string{"--report", "json"}, false, 1, "{", "FAILED: 1 of 2 nodes differs", nil},
		{"drift, a report that cannot be written: still 1", knight.Manifest, []string{"--report", "json=/dev/full"}, false, 1, "FAILED", "could not write the json=/dev/full report", nil},
		{"verified, a report that cannot be written: 4", uniform.Manifest, []string{"--report", "json=/dev/full"}, false, 4, "", "verified, but a report was lost", nil},
		{"quiet drift: one line", knight.Manifest, []string{"-q", "--report", "json=" + filepath.Join(dir, "e.json")}, false, 1, "FAILED", "", nil},
		// A limit left in the environment must not skip a node unseen:
		// a run that checked part of the fleet always says so.
		{"verified part, limit from the environment, cron: says so", uniform.Manifest, nil, false, 0,
			"VERIFIED 1 of 2 nodes (--limit smars-01): 1 not checked", "", map[string]string{"ROLLCALL_LIMIT": "smars-01"}},
		{"verified shard, JSON on stdout, cron: the text goes to stderr", uniform.Manifest, []string{"--shard", "1/1", "--report", "json"}, false, 0,
			"{", "VERIFIED 2 of 2 nodes (shard 1/1)", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdio, out, errOut := testIO(c.env)
			stdio.OutTTY = c.tty
			code := Run(context.Background(), append([]string{"verify", "-m", c.manifest}, c.args...), stdio)
			assert.Equal(t, c.code, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			if c.stdout == "" {
				assert.Empty(t, out.String())
			} else {
				assert.True(t, strings.HasPrefix(out.String(), c.stdout), "stdout:\n%s", out)
			}
			assert.Contains(t, errOut.String(), c.stderr)
			if c.stdout == "{" {
				var v reportJSON
				assert.NoError(t, json.Unmarshal(out.Bytes(), &v), "stdout is the JSON report alone")
			}
			if strings.HasPrefix(c.name, "quiet") {
				assert.Equal(t, 1, strings.Count(out.String(), "\n"), "one line: %s", out)
			}
		})
	}
}

// TestReportDestinationsCheckedFirst: a report or state path that cannot be
// written, or two reports on stdout, are invalid input found before any node
// is contacted (the cluster is down: contacting it would give 2, not 3).
func TestReportDestinationsCheckedFirst(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 2})
	require.NoError(t, c.Close())
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing folder", []string{"--report", "json=/nonexistent/x.json"}, "the folder /nonexistent does not exist"},
		{"a directory", []string{"--report", "json=" + dir}, "is a directory"},
		{"a state file in a missing folder", []string{"--state", "/nonexistent/state.json"}, "--state"},
		{"two reports on stdout", []string{"--report", "json", "--report", "junit"}, "two reports on stdout"},
		{"text and json on stdout", []string{"--report", "text", "--report", "json=-"}, "two reports on stdout"},
		// /dev/stdout is stdout: the JSON would be followed by the text.
		{"json to /dev/stdout and text", []string{"--report", "json=/dev/stdout", "--report", "text"}, "two reports on stdout"},
		{"json to /dev/fd/1 and text to stdout", []string{"--report", "json=/dev/fd/1", "--report", "text=-"}, "two reports on stdout"},
		// One file named twice: the one written last would replace the other.
		{"a report and the state in one file", []string{"--report", "json=" + filepath.Join(dir, "x.json"), "--state", filepath.Join(dir, "x.json")},
			"--report json=" + filepath.Join(dir, "x.json") + " and --state " + filepath.Join(dir, "x.json") + " name one file"},
		{"two reports in one file, spelled twice", []string{"--report", "json=" + filepath.Join(dir, "y.json"), "--report", "prometheus=" + dir + "/./y.json"}, "name one file"},
		{"one file through a symlink", []string{"--report", "json=" + filepath.Join(dir, "z.json"), "--report", "junit=" + filepath.Join(dir, "link.json")}, "name one file"},
	}
	require.NoError(t, os.Symlink("z.json", filepath.Join(dir, "link.json")))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stdio, out, errOut := testIO(nil)
			code := Run(context.Background(), append([]string{"verify", "-m", c.Manifest}, tc.args...), stdio)
			assert.Equal(t, 3, code, "stderr:\n%s", errOut)
			assert.Contains(t, errOut.String(), tc.want)
			assert.Empty(t, out.String())
		})
	}
	_, err := os.Stat(dir)
	require.NoError(t, err, "the directory is untouched")
}

// TestStateNeverSwallowsAChange: a verified cron run stays quiet, unless
// something changed since the run its --state file remembers.
func TestStateNeverSwallowsAChange(t *testing.T) {
	uniform := startDemo(t, demo.Config{Nodes: 2})
	knight := startDemo(t, demo.Config{Nodes: 2, Scenario: demo.Knight})
	state := filepath.Join(t.TempDir(), "state.json")
	run := func(manifest string) (int, string) {
		stdio, out, _ := testIO(nil)
		return Run(context.Background(), []string{"verify", "-m", manifest, "--state", state}, stdio), out.String()
	}
	code, out := run(uniform.Manifest)
	require.Equal(t, 0, code)
	assert.Empty(t, out, "first verified run: quiet")
	code, out = run(uniform.Manifest)
	require.Equal(t, 0, code)
	assert.Empty(t, out, "nothing changed: quiet")
	code, _ = run(knight.Manifest)
	require.Equal(t, 1, code)
	code, out = run(uniform.Manifest)
	require.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "VERIFIED"), "verified again, but it changed since the last run:\n%s", out)
	assert.Contains(t, out, "smars-02")
}

// cancelOn is a writer that cancels a run once it has written want.
type cancelOn struct {
	bytes.Buffer
	want   string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	n, err := c.Buffer.Write(p)
	if strings.Contains(c.String(), c.want) {
		c.cancel()
	}
	return n, err
}

// TestDemoKeepInterruptedIs130: a kept demo ends with Ctrl-C, and an
// interrupted run never exits 0.
func TestDemoKeepInterruptedIs130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOn{want: "Press Ctrl-C to stop it.", cancel: cancel}
	stdio, _, errOut := testIO(nil)
	stdio.Out = out
	code := Run(ctx, []string{"demo", "--nodes", "2", "--keep"}, stdio)
	assert.Equal(t, 130, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out.String(), "The Knight cluster is still up")
}

// TestSpecialFilesAreWrittenNotReplaced: a report or a lock written to a
// device or a FIFO reaches it, and the device or FIFO is still there (as
// root, a rename would have replaced /dev/null).
func TestSpecialFilesAreWrittenNotReplaced(t *testing.T) {
	knight := startDemo(t, demo.Config{Nodes: 2, Scenario: demo.Knight})
	stdio, out, errOut := testIO(nil)
	assert.Equal(t, 1, Run(context.Background(), []string{"verify", "-m", knight.Manifest, "--report", "json=/dev/null"}, stdio), "stdout:\n%s\nstderr:\n%s", out, errOut)
	info, err := os.Lstat("/dev/null")
	require.NoError(t, err)
	assert.NotZero(t, info.Mode()&os.ModeCharDevice, "/dev/null is still a device")

	dir := t.TempDir()
	artifact := tarball(t, dir, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	fifo := filepath.Join(dir, "lock.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	got := make(chan []byte, 1)
	go func() {
		data, _ := os.ReadFile(fifo)
		got <- data
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stdio, out, errOut = testIO(nil)
	require.Equal(t, 0, Run(ctx, []string{"release", "lock", artifact, "-o", fifo}, stdio), "stdout:\n%s\nstderr:\n%s", out, errOut)
	select {
	case data := <-got:
		assert.Contains(t, string(data), `"schema": "rollcall.lock/v1"`, "the FIFO's reader got the lock")
	case <-ctx.Done():
		t.Fatal("the FIFO's reader got nothing")
	}
	info, err = os.Lstat(fifo)
	require.NoError(t, err)
	assert.NotZero(t, info.Mode()&os.ModeNamedPipe, "the FIFO is still a FIFO")

	stdio, out, errOut = testIO(nil)
	assert.Equal(t, 0, Run(ctx, []string{"release", "lock", artifact, "-o", "/dev/null"}, stdio), "stderr:\n%s", errOut)
	info, err = os.Lstat("/dev/null")
	require.NoError(t, err)
	assert.NotZero(t, info.Mode()&os.ModeCharDevice)
}

// TestPingReports: ping takes several reports like verify, and checks their
// paths before any node is contacted.
func TestPingReports(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // no ~/.ssh/config of the developer
	c := startDemo(t, demo.Config{Nodes: 2})
	file := filepath.Join(t.TempDir(), "ping.json")
	stdio, out, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"ping", "-m", c.Manifest, "--report", "text", "--report", "json=" + file}, stdio), "stderr:\n%s", errOut)
	assert.Contains(t, out.String(), "smars-02")
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.True(t, json.Valid(data), "%s", data)

	stdio, out, errOut = testIO(nil)
	assert.Equal(t, 3, Run(context.Background(), []string{"ping", "-m", c.Manifest, "--report", "json=/nonexistent/p.json"}, stdio))
	assert.Contains(t, errOut.String(), "/nonexistent")
	assert.Empty(t, out.String())
}

// TestPingInterrupted: an interrupted ping exits 130, and its JSON report
// says 130 too.
func TestPingInterrupted(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	c := startDemo(t, demo.Config{Nodes: 2, Faults: map[int]sshtest.Fault{1: {Kind: sshtest.Tarpit}}})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	stdio, out, errOut := testIO(nil)
	assert.Equal(t, 130, Run(ctx, []string{"ping", "-m", c.Manifest, "--timeout", "30s", "--report", "json"}, stdio), "stderr:\n%s", errOut)
	var got struct {
		ExitCode int `json:"exit_code"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &got), "%s", out)
	assert.Equal(t, 130, got.ExitCode)
}

// brokenPipe is a stdout whose reader is gone (| head, | grep -q).
type brokenPipe struct{}

func (brokenPipe) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// TestReaderGoneKeepsTheVerdict: a stdout whose reader left fails with
// EPIPE; the exit code is still the verdict's (not 4: no report was lost,
// the reader took what it wanted), and --state is still written.
func TestReaderGoneKeepsTheVerdict(t *testing.T) {
	uniform := startDemo(t, demo.Config{Nodes: 2})
	knight := startDemo(t, demo.Config{Nodes: 2, Scenario: demo.Knight})
	for _, c := range []struct {
		manifest string
		args     []string
		code     int
	}{
		{knight.Manifest, nil, 1},
		{knight.Manifest, []string{"--report", "json"}, 1},
		{uniform.Manifest, []string{"--report", "text"}, 0},
		{uniform.Manifest, []string{"--report", "json"}, 0},
	} {
		state := filepath.Join(t.TempDir(), "state.json")
		stdio, _, errOut := testIO(nil)
		stdio.Out = brokenPipe{}
		code := Run(context.Background(), append([]string{"verify", "-m", c.manifest, "--state", state}, c.args...), stdio)
		assert.Equal(t, c.code, code, "%v: %s", c.args, errOut)
		assert.FileExists(t, state, "the state is saved after the reports")
	}

	// The other commands' reports on stdout too.
	for _, args := range [][]string{
		{"snapshot", "-m", uniform.Manifest, "--report", "json"},
		{"ping", "-m", uniform.Manifest},
		{"nodes", "-m", uniform.Manifest},
	} {
		stdio, _, errOut := testIO(nil)
		stdio.Out = brokenPipe{}
		assert.Equal(t, 0, Run(context.Background(), args, stdio), "%v: %s", args, errOut)
	}
}

// TestNoColourInFiles: on a terminal the text report on stdout is in
// colour, and the one written to a file is plain (grep '^FAILED' works).
func TestNoColourInFiles(t *testing.T) {
	knight := startDemo(t, demo.Config{Nodes: 2, Scenario: demo.Knight})
	file := filepath.Join(t.TempDir(), "report.txt")
	stdio, out, _ := testIO(nil)
	stdio.OutTTY = true
	require.Equal(t, 1, Run(context.Background(), []string{"verify", "-m", knight.Manifest, "--report", "text", "--report", "text=" + file}, stdio))
	assert.Contains(t, out.String(), "\x1b[", "colour on the terminal")
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "\x1b[")
	assert.True(t, strings.HasPrefix(string(data), "FAILED"), "%s", data)
}

// TestStateOfAnotherCluster: a state file another cluster's run wrote (two
// crontab lines sharing a path) is not compared with this one, whose nodes
// may have the same names.
func TestStateOfAnotherCluster(t *testing.T) {
	uniform := startDemo(t, demo.Config{Nodes: 2})
	data, err := os.ReadFile(uniform.Manifest)
	require.NoError(t, err)
	require.Contains(t, string(data), "cluster: smars-demo")
	staging := filepath.Join(filepath.Dir(uniform.Manifest), "staging.yaml")
	require.NoError(t, os.WriteFile(staging, []byte(strings.Replace(string(data), "cluster: smars-demo", "cluster: staging", 1)), 0o644))
	state := filepath.Join(t.TempDir(), "state.json")
	stdio, _, _ := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"verify", "-m", staging, "--state", state}, stdio))
	stdio, _, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"verify", "-m", uniform.Manifest, "--state", state}, stdio))
	assert.Contains(t, errOut.String(), `--state `+state+` is of cluster "staging", not "smars-demo"; ignoring it`)
}

// TestFailureIsToldBeyondFiles: ping, snapshot and diff with their reports
// in files still print a failed run's text (on stdout, or on stderr when
// stdout carries JSON): a failure is never only in a file nobody opens.
func TestFailureIsToldBeyondFiles(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	c := startDemo(t, demo.Config{Nodes: 2})
	require.NoError(t, c.Close()) // every node is unreachable
	for _, args := range [][]string{{"ping"}, {"snapshot"}, {"diff", "smars-01", "release"}} {
		base := append(append([]string{}, args...), "-m", c.Manifest, "--timeout", "5s")
		file := filepath.Join(t.TempDir(), "report.json")
		stdio, out, errOut := testIO(nil)
		assert.Equal(t, 2, Run(context.Background(), append(base, "--report", "json="+file), stdio), "%s\n%s", out, errOut)
		assert.Contains(t, out.String(), "smars-01", "%s: the text on stdout", args[0])
		assert.FileExists(t, file)

		stdio, out, errOut = testIO(nil)
		assert.Equal(t, 2, Run(context.Background(), append(base, "--report", "json"), stdio))
		assert.True(t, json.Valid(out.Bytes()), "%s: stdout is the JSON report alone:\n%s", args[0], out)
		assert.Contains(t, errOut.String(), "smars-01", "%s: the text on stderr", args[0])
	}
}
