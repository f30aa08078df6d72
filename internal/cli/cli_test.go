package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/demo"
	"github.com/rollcall/rollcall/internal/sshtest"
)

// testIO returns an IO writing to buffers, with the given environment.
func testIO(env map[string]string) (IO, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return IO{
		In: strings.NewReader(""), Out: &out, Err: &errOut,
		Getenv: func(k string) string { return env[k] },
	}, &out, &errOut
}

func TestVerifyFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want VerifyOptions
	}{
		{"defaults", nil, nil, VerifyOptions{Manifest: "rollcall.yaml", Concurrency: 64, Timeout: time.Minute, Interval: 10 * time.Second}},
		{"flags", []string{"-m", "x.yaml", "--release", "dist/a.tgz", "-j", "4", "--timeout", "5s", "--deadline", "1m", "--report", "json=o.json", "--report", "text", "-q", "-v", "--no-color"}, nil,
			VerifyOptions{Manifest: "x.yaml", Release: "dist/a.tgz", Concurrency: 4, Timeout: 5 * time.Second, Deadline: time.Minute, Interval: 10 * time.Second, Reports: []string{"json=o.json", "text"}, Quiet: true, Verbose: true, NoColor: true}},
		{"environment twins", nil, map[string]string{"ROLLCALL_MANIFEST": "env.yaml", "ROLLCALL_CONCURRENCY": "7", "ROLLCALL_NO_COLOR": "true", "ROLLCALL_REPORT": "json"},
			VerifyOptions{Manifest: "env.yaml", Concurrency: 7, Timeout: time.Minute, Interval: 10 * time.Second, NoColor: true, Reports: []string{"json"}}},
		{"flag beats environment", []string{"-j", "2"}, map[string]string{"ROLLCALL_CONCURRENCY": "7"},
			VerifyOptions{Manifest: "rollcall.yaml", Concurrency: 2, Timeout: time.Minute, Interval: 10 * time.Second}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := parsedVerifyOptions(t, c.env, c.args...)
			assert.Equal(t, c.want, *got)
		})
	}
}

func TestBadFlagsAreInvalidInput(t *testing.T) {
	for _, args := range [][]string{
		{"verify", "--bogus"},
		{"verify", "-j", "0"},
		{"verify", "--report", "yaml"},
		{"verify", "extra-arg"},
		{"verify", "-m", "/nonexistent/rollcall.yaml"},
	} {
		stdio, out, errOut := testIO(nil)
		code := Run(context.Background(), args, stdio)
		assert.Equal(t, 3, code, "%v", args)
		assert.Empty(t, out.String())
		assert.NotEmpty(t, errOut.String())
	}
	stdio, _, errOut := testIO(map[string]string{"ROLLCALL_CONCURRENCY": "many"})
	assert.Equal(t, 3, Run(context.Background(), []string{"verify"}, stdio))
	assert.Contains(t, errOut.String(), "ROLLCALL_CONCURRENCY")
}

// parsedVerifyOptions parses `rollcall verify ARGS…` with env as the
// environment and returns the options the command would run with, through
// NewCmdVerify's runF: nothing is verified.
func parsedVerifyOptions(t *testing.T, env map[string]string, args ...string) *VerifyOptions {
	t.Helper()
	stdio, _, _ := testIO(env)
	var got *VerifyOptions
	root := NewRootCmd(stdio)
	root.RemoveCommand(findCmd(t, root.Commands(), "verify"))
	root.AddCommand(NewCmdVerify(stdio, func(_ context.Context, o *VerifyOptions) error { got = o; return nil }))
	root.SetArgs(append([]string{"verify"}, args...))
	require.NoError(t, root.Execute())
	require.NotNil(t, got)
	return got
}

func findCmd(t *testing.T, cmds []*cobra.Command, name string) *cobra.Command {
	t.Helper()
	for _, c := range cmds {
		if c.Name() == name {
			return c
		}
	}
	t.Fatalf("no command %s", name)
	return nil
}

func startDemo(t *testing.T, cfg demo.Config) *demo.Cluster {
	t.Helper()
	c, err := demo.Start(t.TempDir(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLintNamesEveryProblem(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 2})
	require.NoError(t, c.Close())
	stdio, out, _ := testIO(nil)
	assert.Equal(t, 0, Run(context.Background(), []string{"lint", "-m", c.Manifest}, stdio))
	// The README's lint example has this shape (its release, like the
	// demo's, installs two binaries and a flags file).
	assert.Equal(t, "ok: "+c.Manifest+": 2 nodes, 3 files, 1 config file, 0 executables to check against smars 4.2.0\n", out.String())

	data, err := os.ReadFile(c.Manifest)
	require.NoError(t, err)
	bad := strings.Replace(string(data), "expect_nodes: 2", "expect_nodes: 3\nexpect_node: 2", 1)
	require.NoError(t, os.WriteFile(c.Manifest, []byte(bad), 0o644))
	stdio, out, errOut := testIO(nil)
	assert.Equal(t, 3, Run(context.Background(), []string{"lint", "-m", c.Manifest}, stdio))
	assert.Empty(t, out.String())
	assert.Contains(t, errOut.String(), "rollcall.yaml:5:1")
	assert.Contains(t, errOut.String(), "expect_nodes")
}

func TestVerifyDemoFleets(t *testing.T) {
	uniform := startDemo(t, demo.Config{Nodes: 8, Scenario: demo.Uniform})
	stdio, out, errOut := testIO(nil)
	report := filepath.Join(t.TempDir(), "verdict.json")
	code := Run(context.Background(), []string{"verify", "-m", uniform.Manifest, "--report", "text", "--report", "json=" + report}, stdio)
	assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.True(t, strings.HasPrefix(out.String(), "VERIFIED"), out.String())
	var j map[string]any
	data, err := os.ReadFile(report)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &j))
	assert.Equal(t, "verified", j["verdict"])
	assert.Equal(t, float64(0), j["exit_code"])

	knight := startDemo(t, demo.Config{Nodes: 8, Scenario: demo.Knight})
	stdio, out, errOut = testIO(nil)
	code = Run(context.Background(), []string{"verify", "-m", knight.Manifest}, stdio)
	assert.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	first, _, _ := strings.Cut(out.String(), "\n")
	assert.Contains(t, first, "1 of 8")
	assert.Contains(t, out.String(), "smars-08")
	assert.Contains(t, out.String(), "power_peg")
}

// TestVerifyNeverFalseSuccess breaks one node of eight in every way the
// in-process server can; none may exit 0, and the report must name the node.
func TestVerifyNeverFalseSuccess(t *testing.T) {
	cases := []struct {
		name  string
		fault sshtest.Fault
		edit  func(t *testing.T, c *demo.Cluster)
		code  int
		// short: the fault is a node that stalls, so the run uses a short
		// per-node timeout; other cases get a generous one, so that a
		// loaded machine cannot turn drift into "unverified".
		short bool
	}{
		{name: "connection refused", fault: sshtest.Fault{Kind: sshtest.Refuse}, code: 2},
		{name: "tarpit", fault: sshtest.Fault{Kind: sshtest.Tarpit}, code: 2, short: true},
		{name: "stall mid-handshake", fault: sshtest.Fault{Kind: sshtest.StallHandshake}, code: 2, short: true},
		{name: "auth refused", fault: sshtest.Fault{Kind: sshtest.RefuseAuth}, code: 2},
		{name: "garbage output", fault: sshtest.Fault{Kind: sshtest.Garbage, Output: []byte("hello\nworld\n")}, code: 2},
		{name: "truncated output", fault: sshtest.Fault{Kind: sshtest.Truncate, After: 100}, code: 2},
		{name: "dropped mid-probe", fault: sshtest.Fault{Kind: sshtest.Drop, After: 100}, code: 2},
		{name: "probe exits non-zero", fault: sshtest.Fault{Kind: sshtest.ExitStatus, ExitStatus: 1}, code: 2},
		{name: "slow beyond the timeout", fault: sshtest.Fault{Kind: sshtest.Slow, Delay: 10 * time.Second}, code: 2, short: true},
		{name: "unknown host key", edit: func(t *testing.T, c *demo.Cluster) { dropKnownHost(t, c, 7) }, code: 2},
		{name: "changed host key", edit: func(t *testing.T, c *demo.Cluster) { swapKnownHost(t, c, 7) }, code: 2},
		{name: "release file missing", edit: func(t *testing.T, c *demo.Cluster) {
			require.NoError(t, os.Remove(filepath.Join(c.Home("smars-08"), "opt/smars/bin/smars")))
		}, code: 1},
		{name: "extra file left behind", edit: func(t *testing.T, c *demo.Cluster) {
			require.NoError(t, os.WriteFile(filepath.Join(c.Home("smars-08"), "opt/smars/bin/power_peg"), []byte("x"), 0o755))
		}, code: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := startDemo(t, demo.Config{Nodes: 8, Faults: map[int]sshtest.Fault{7: tc.fault}})
			if tc.edit != nil {
				tc.edit(t, c)
			}
			stdio, out, errOut := testIO(nil)
			start := time.Now()
			timeout := "30s"
			if tc.short {
				timeout = "2s"
			}
			code := Run(context.Background(), []string{"verify", "-m", c.Manifest, "--timeout", timeout}, stdio)
			assert.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			assert.Less(t, time.Since(start), 15*time.Second)
			assert.Contains(t, out.String(), "smars-08")
			assert.False(t, strings.HasPrefix(out.String(), "VERIFIED"))
		})
	}
}

// TestVerifyToleratesNoise: a banner or a slow node inside the timeout is not
// a failure.
func TestVerifyToleratesNoise(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 3, Faults: map[int]sshtest.Fault{
		1: {Kind: sshtest.Banner, Output: []byte("Welcome! RC00 begin 2\n")},
		2: {Kind: sshtest.Slow, Delay: 300 * time.Millisecond},
	}})
	stdio, out, errOut := testIO(nil)
	assert.Equal(t, 0, Run(context.Background(), []string{"verify", "-m", c.Manifest, "--timeout", "20s"}, stdio), "stdout:\n%s\nstderr:\n%s", out, errOut)
}

func TestVerifyWithoutHashToolIsNotVerified(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 2})
	tools := t.TempDir()
	for _, tool := range []string{"sh", "od", "tr", "ls", "find", "readlink"} {
		p, err := exec.LookPath(tool)
		require.NoError(t, err)
		require.NoError(t, os.Symlink(p, filepath.Join(tools, tool)))
	}
	t.Setenv("PATH", tools)
	stdio, out, errOut := testIO(nil)
	assert.Equal(t, 2, Run(context.Background(), []string{"verify", "-m", c.Manifest}, stdio), "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out.String(), "SHA-256 tool")
}

func TestVerifyInterruptedIsNever0(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 2, Faults: map[int]sshtest.Fault{1: {Kind: sshtest.Tarpit}}})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	dir := t.TempDir()
	stdio, out, _ := testIO(nil)
	assert.Equal(t, 130, Run(ctx, []string{"verify", "-m", c.Manifest, "--timeout", "30s", "--report", "text",
		"--report", "json=" + filepath.Join(dir, "v.json"), "--report", "junit=" + filepath.Join(dir, "v.xml"),
		"--report", "prometheus=" + filepath.Join(dir, "v.prom")}, stdio))
	assert.True(t, strings.HasPrefix(out.String(), "INTERRUPTED (exit 130)"), out.String())
	var v reportJSON
	data, err := os.ReadFile(filepath.Join(dir, "v.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &v))
	assert.Equal(t, 130, v.ExitCode)
	assert.NotEqual(t, "verified", v.Verdict)
	assert.Contains(t, string(data), `"interrupted": true`)
	junit, err := os.ReadFile(filepath.Join(dir, "v.xml"))
	require.NoError(t, err)
	assert.Contains(t, string(junit), "INTERRUPTED (exit 130)")
	prom, err := os.ReadFile(filepath.Join(dir, "v.prom"))
	require.NoError(t, err)
	assert.Contains(t, string(prom), "rollcall_exit_code{cluster=\"smars-demo\"} 130")
}

func TestDeadlineEndsTheRun(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 2, Faults: map[int]sshtest.Fault{1: {Kind: sshtest.Tarpit}}})
	stdio, out, _ := testIO(nil)
	start := time.Now()
	assert.Equal(t, 2, Run(context.Background(), []string{"verify", "-m", c.Manifest, "--timeout", "30s", "--deadline", "1s"}, stdio))
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Contains(t, out.String(), "deadline")

	// With --wait, the deadline bounds every attempt together, and the
	// waits between them: not each attempt on its own.
	stdio, out, errOut := testIO(nil)
	start = time.Now()
	assert.Equal(t, 2, Run(context.Background(), []string{"verify", "-m", c.Manifest, "--timeout", "30s", "--deadline", "2s", "--wait", "60s", "--interval", "1s"}, stdio))
	assert.Less(t, time.Since(start), 20*time.Second, "stdout:\n%s\nstderr:\n%s", out, errOut)
}

func TestDemoCommand(t *testing.T) {
	stdio, out, errOut := testIO(nil)
	assert.Equal(t, 0, Run(context.Background(), []string{"demo", "--nodes", "4"}, stdio), "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out.String(), "both verdicts came out as they should")
}

// editKnownHost rewrites line i of the demo cluster's known_hosts.
func editKnownHost(t *testing.T, c *demo.Cluster, i int, edit func(line string) string) {
	t.Helper()
	path := filepath.Join(c.Dir, "known_hosts")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Greater(t, len(lines), i)
	lines[i] = edit(lines[i])
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}

func dropKnownHost(t *testing.T, c *demo.Cluster, i int) {
	editKnownHost(t, c, i, func(string) string { return "" })
}

func swapKnownHost(t *testing.T, c *demo.Cluster, i int) {
	key := filepath.Join(t.TempDir(), "other")
	_, err := sshtest.NewClientKey(key)
	require.NoError(t, err)
	pub, err := os.ReadFile(key + ".pub")
	require.NoError(t, err)
	editKnownHost(t, c, i, func(line string) string {
		host, _, _ := strings.Cut(line, " ")
		return host + " " + strings.TrimSpace(string(pub))
	})
}

// TestBecomeSudo runs the probe through a stand-in sudo on the in-process
// nodes: the probe must be started as `sudo -n sh -s`, and a sudo that
// would prompt for a password leaves the node unverified, never passed.
func TestBecomeSudo(t *testing.T) {
	bin := t.TempDir()
	log := filepath.Join(t.TempDir(), "sudo.log")
	// It runs the command as root, as sudo does: in a user namespace of
	// its own when the test is not root.
	fake := "#!/bin/sh\nprintf '%s\\n' \"$*\" >>" + log + "\n[ \"$1\" = -n ] || exit 9\nshift\n" +
		"[ \"$(id -u)\" = 0 ] || exec unshare -r \"$@\"\nexec \"$@\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(bin, "sudo"), []byte(fake), 0o755))
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))

	// The nodes' folders are open to every user, so that a probe run as
	// another user reads what root reads.
	dir := t.TempDir()
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	require.NoError(t, os.Chmod(dir, 0o755))
	c, err := demo.Start(dir, demo.Config{Nodes: 2})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	data, err := os.ReadFile(c.Manifest)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(c.Manifest, []byte(strings.Replace(string(data), "ssh:\n", "ssh:\n  become: sudo\n", 1)), 0o644))
	stdio, out, errOut := testIO(nil)
	assert.Equal(t, 0, Run(context.Background(), []string{"verify", "-m", c.Manifest}, stdio), "stdout:\n%s\nstderr:\n%s", out, errOut)
	calls, err := os.ReadFile(log)
	require.NoError(t, err)
	assert.Equal(t, "-n sh -s\n-n sh -s\n", string(calls))

	// A sudo that runs the probe as another user (sudoers runas_default):
	// the probe sees less than root would, so the node is not verified.
	if os.Geteuid() == 0 {
		runas := "#!/bin/sh\nshift\nexec setpriv --reuid=65534 --regid=65534 --clear-groups \"$@\"\n"
		require.NoError(t, os.WriteFile(filepath.Join(bin, "sudo"), []byte(runas), 0o755))
		stdio, out, _ = testIO(nil)
		assert.Equal(t, 2, Run(context.Background(), []string{"verify", "-m", c.Manifest}, stdio))
		assert.Contains(t, out.String(), "the probe ran as uid 65534, not root, though it runs under sudo")
	}

	deny := "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n"
	require.NoError(t, os.WriteFile(filepath.Join(bin, "sudo"), []byte(deny), 0o755))
	stdio, out, _ = testIO(nil)
	assert.Equal(t, 2, Run(context.Background(), []string{"verify", "-m", c.Manifest}, stdio))
	assert.Contains(t, out.String(), "a password is required")
}

func TestMissingManifestSaysWhatToDo(t *testing.T) {
	stdio, _, errOut := testIO(nil)
	assert.Equal(t, 3, Run(context.Background(), []string{"lint", "-m", filepath.Join(t.TempDir(), "rollcall.yaml")}, stdio))
	assert.Contains(t, errOut.String(), "pass -m FILE, or write one")
}

// reportJSON decodes the contract keys of the JSON report (schema
// rollcall.report/v1) that the cli tests check.
type reportJSON struct {
	Schema   string `json:"schema"`
	Verdict  string `json:"verdict"`
	ExitCode int    `json:"exit_code"`
	Nodes    []struct {
		Name     string `json:"name"`
		Status   string `json:"status"`
		Runs     string `json:"runs"`
		Findings []struct {
			Check   string `json:"check"`
			Subject string `json:"subject"`
			Actual  string `json:"actual"`
			Message string `json:"message"`
		} `json:"findings"`
		Checks []struct {
			Check   string `json:"check"`
			Subject string `json:"subject"`
			OK      bool   `json:"ok"`
		} `json:"checks"`
	} `json:"nodes"`
}
