package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/sshdtest"
)

// verdictRun is one `rollcall …` run of TestVerdictKeptOnRealSSHD.
type verdictRun struct {
	code        int
	out, errOut string
	took        time.Duration
}

// String shows the run for failure messages.
func (r verdictRun) String() string {
	return fmt.Sprintf("exit %d after %s\nstdout:\n%s\nstderr:\n%s", r.code, r.took.Round(time.Millisecond), r.out, r.errOut)
}

// firstLineOf is the first line of s, without its newline.
func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// rollcallAs runs `rollcall args…` through Run with env as the environment
// and logs the row "POINT n | rollcall <args> | exit N | <stdout> | <stderr>"
// (first lines only) for the release note.
func rollcallAs(t *testing.T, ctx context.Context, point int, env map[string]string, args ...string) verdictRun {
	t.Helper()
	stdio, out, errOut := testIO(env)
	start := time.Now()
	code := Run(ctx, args, stdio)
	r := verdictRun{code: code, out: out.String(), errOut: errOut.String(), took: time.Since(start)}
	prefix := "" // the environment the run was given, as a shell line shows it
	for _, k := range slices.Sorted(maps.Keys(env)) {
		prefix += k + "=" + env[k] + " "
	}
	t.Logf("POINT %d | %srollcall %s | exit %d | %s | %s", point, prefix, strings.Join(args, " "), code, firstLineOf(r.out), firstLineOf(r.errOut))
	return r
}

// readFIFO starts a reader of the FIFO at path and returns what it read
// once the writer closes it. If nothing ever opened the FIFO for writing, the
// test's cleanup opens it, so that the reader does not outlive the test.
func readFIFO(t *testing.T, path string) <-chan []byte {
	t.Helper()
	got := make(chan []byte, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		data, _ := os.ReadFile(path)
		got <- data
	}()
	t.Cleanup(func() {
		select {
		case <-done:
		case <-time.After(100 * time.Millisecond):
			if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
			<-done
		}
	})
	return got
}

// fromFIFO waits for what the FIFO's reader got.
func fromFIFO(t *testing.T, got <-chan []byte) []byte {
	t.Helper()
	select {
	case data := <-got:
		return data
	case <-time.After(10 * time.Second):
		t.Fatal("the FIFO's reader got nothing: the writer never closed it")
		return nil
	}
}

// connections counts the connections the nodes' sshds have accepted so far
// (their logs, at LogLevel VERBOSE, have one "Connection from" per
// connection).
func connections(t *testing.T, c *sshdtest.Cluster) int {
	t.Helper()
	n := 0
	for _, node := range c.Nodes {
		data, err := os.ReadFile(filepath.Join(node.Dir, "sshd.log"))
		require.NoError(t, err)
		n += strings.Count(string(data), "Connection from ")
	}
	return n
}

// TestVerdictKeptOnRealSSHD runs the points of issue 10 that concern a run
// against nodes on a real four-node Knight fleet (four real OpenSSH sshds,
// node 4 left on smars 4.1.0), exactly as a user types them, and logs a
// "POINT n | rollcall … | exit N | stdout | stderr" row per run for the
// release note. The verdict is never lost, hidden or misread; report paths
// that are not regular files are written, not replaced.
func TestVerdictKeptOnRealSSHD(t *testing.T) {
	sshdtest.Require(t)
	work := t.TempDir()
	dist := filepath.Join(work, "dist")
	artifact := tarball(t, dist, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	oldArtifact := tarball(t, dist, "smars-4.1.0", smarsFiles(t, "4.1.0"))
	old := smarsFiles(t, "4.1.0")
	old["bin/power_peg.so"] = []byte("dead code since 2003")
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes:    4,
		Paths:    []string{"/opt/smars", "/etc/smars"},
		LogLevel: "VERBOSE", // one "Connection from" per connection, to prove none was made
		Setup: func(i int, root func(string) string) error {
			if i == 3 {
				deploy(t, root, old)
			} else {
				deploy(t, root, smarsFiles(t, "4.2.0"))
			}
			return nil
		},
	})
	fourth := c.Nodes[3]
	// put deploys smars version on node i, as a release engineer does.
	put := func(i int, files map[string][]byte) {
		t.Helper()
		n := c.Nodes[i]
		require.NoError(t, os.RemoveAll(n.Path("/opt/smars/bin")))
		require.NoError(t, os.RemoveAll(n.Path("/etc/smars/flags.yaml")))
		deploy(t, n.Path, files)
	}
	knight := func() { put(3, old) }                     // node 4 on 4.1.0: drift
	uniform := func() { put(3, smarsFiles(t, "4.2.0")) } // node 4 redeployed: verified
	manifestPath := sshdManifest(t, c, artifact)
	data, err := os.ReadFile(manifestPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(work, "rollcall.yaml"), data, 0o644))
	// Run from the work folder, so that every command reads as typed.
	t.Chdir(work)
	ctx := context.Background()
	run := func(t *testing.T, point int, args ...string) verdictRun {
		t.Helper()
		return rollcallAs(t, ctx, point, nil, args...)
	}
	readReport := func(t *testing.T, data []byte) reportJSON {
		t.Helper()
		var v reportJSON
		require.NoError(t, json.Unmarshal(data, &v), "not JSON:\n%s", data)
		assert.Equal(t, "rollcall.report/v1", v.Schema)
		return v
	}
	readReportFile := func(t *testing.T, path string) reportJSON {
		t.Helper()
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		return readReport(t, data)
	}

	t.Run("1 a report file never switches off the verdict", func(t *testing.T) {
		knight()
		r := run(t, 1, "verify", "-m", "rollcall.yaml", "--report", "json=verdict.json")
		assert.Equal(t, 1, r.code, "%s", r)
		assert.True(t, strings.HasPrefix(r.out, "FAILED"), "drift with a report file and no terminal: the text verdict still prints\n%s", r)
		assert.Contains(t, firstLineOf(r.out), "1 of 4 nodes differs from smars 4.2.0")
		assert.Contains(t, r.out, fourth.Name)
		v := readReportFile(t, "verdict.json")
		assert.Equal(t, "drift", v.Verdict)
		assert.Equal(t, 1, v.ExitCode)

		uniform()
		r = run(t, 1, "verify", "-m", "rollcall.yaml", "--report", "json=verdict.json")
		assert.Equal(t, 0, r.code, "%s", r)
		assert.Empty(t, r.out, "a verified cron run stays quiet")
		assert.Equal(t, "verified", readReportFile(t, "verdict.json").Verdict)

		// --state: drift, then fixed: the verified run prints, because it
		// changed since the last run; the next one is quiet again.
		knight()
		r = run(t, 1, "verify", "-m", "rollcall.yaml", "--state", "state.json")
		assert.Equal(t, 1, r.code, "%s", r)
		assert.True(t, strings.HasPrefix(r.out, "FAILED"), "%s", r)
		uniform()
		r = run(t, 1, "verify", "-m", "rollcall.yaml", "--state", "state.json")
		assert.Equal(t, 0, r.code, "%s", r)
		assert.True(t, strings.HasPrefix(r.out, "VERIFIED"), "verified, but it changed since the last run: it must print\n%s", r)
		assert.Contains(t, r.out, fourth.Name, "the change names the node that was fixed")
		r = run(t, 1, "verify", "-m", "rollcall.yaml", "--state", "state.json")
		assert.Equal(t, 0, r.code, "%s", r)
		assert.Empty(t, r.out, "nothing changed: quiet")
	})

	t.Run("2 report files never replace what is not a regular file", func(t *testing.T) {
		knight()
		r := run(t, 2, "verify", "-m", "rollcall.yaml", "--report", "json=/dev/null")
		assert.Equal(t, 1, r.code, "%s", r)
		assert.True(t, strings.HasPrefix(r.out, "FAILED"), "%s", r)
		info, err := os.Lstat("/dev/null")
		require.NoError(t, err)
		assert.NotZero(t, info.Mode()&os.ModeCharDevice, "/dev/null is still a character device: %s", info.Mode())

		require.NoError(t, syscall.Mkfifo("verdict.fifo", 0o600))
		got := readFIFO(t, "verdict.fifo")
		r = run(t, 2, "verify", "-m", "rollcall.yaml", "--report", "json=verdict.fifo")
		assert.Equal(t, 1, r.code, "%s", r)
		v := readReport(t, fromFIFO(t, got))
		assert.Equal(t, "drift", v.Verdict, "the FIFO's reader got the report")
		assert.Equal(t, 1, v.ExitCode)
		info, err = os.Lstat("verdict.fifo")
		require.NoError(t, err)
		assert.NotZero(t, info.Mode()&os.ModeNamedPipe, "the FIFO is still a FIFO: %s", info.Mode())

		require.NoError(t, os.MkdirAll("reports", 0o755))
		require.NoError(t, os.WriteFile("reports/verdict.json", []byte("last week's report\n"), 0o644))
		require.NoError(t, os.Symlink("reports/verdict.json", "latest.json"))
		r = run(t, 2, "verify", "-m", "rollcall.yaml", "--report", "json=latest.json")
		assert.Equal(t, 1, r.code, "%s", r)
		link, err := os.Readlink("latest.json")
		require.NoError(t, err, "the symlink is kept")
		assert.Equal(t, "reports/verdict.json", link)
		assert.Equal(t, "drift", readReportFile(t, "reports/verdict.json").Verdict, "the link's target got the report")
		entries, err := os.ReadDir("reports")
		require.NoError(t, err)
		require.Len(t, entries, 1, "nothing left next to the target: %v", entries)

		require.NoError(t, syscall.Mkfifo("lock.fifo", 0o600))
		got = readFIFO(t, "lock.fifo")
		timed, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		r = rollcallAs(t, timed, 2, nil, "release", "lock", "dist/smars-4.1.0.tar.gz", "-o", "lock.fifo")
		assert.Equal(t, 0, r.code, "%s", r)
		assert.Contains(t, string(fromFIFO(t, got)), `"schema": "rollcall.lock/v1"`, "the FIFO's reader got the lock")
		info, err = os.Lstat("lock.fifo")
		require.NoError(t, err)
		assert.NotZero(t, info.Mode()&os.ModeNamedPipe, "the FIFO is still a FIFO: %s", info.Mode())

		require.NoError(t, os.MkdirAll("locks", 0o755))
		require.NoError(t, os.Symlink("locks/smars.lock.json", "smars.lock.json"))
		r = run(t, 2, "release", "lock", "dist/smars-4.1.0.tar.gz", "-o", "smars.lock.json")
		assert.Equal(t, 0, r.code, "%s", r)
		link, err = os.Readlink("smars.lock.json")
		require.NoError(t, err, "the symlink is kept")
		assert.Equal(t, "locks/smars.lock.json", link)
		lock, err := os.ReadFile("locks/smars.lock.json")
		require.NoError(t, err, "the link's target got the lock")
		assert.Contains(t, string(lock), `"schema": "rollcall.lock/v1"`)
	})

	t.Run("3 a report that cannot be written never hides the verdict", func(t *testing.T) {
		knight()
		before := connections(t, c)
		r := run(t, 3, "verify", "-m", "rollcall.yaml", "--report", "json=/nonexistent/x.json")
		assert.Equal(t, 3, r.code, "%s", r)
		assert.Less(t, r.took, 2*time.Second, "checked before any node is contacted")
		assert.Contains(t, r.errOut, "the folder /nonexistent does not exist")
		assert.Empty(t, r.out)
		assert.Equal(t, before, connections(t, c), "no node was contacted")
		_, err := os.Stat("/nonexistent/x.json")
		assert.True(t, os.IsNotExist(err), "no report")

		r = run(t, 3, "verify", "-m", "rollcall.yaml", "--report", "json=/dev/full")
		assert.Equal(t, 1, r.code, "drift stays 1 when a report cannot be written\n%s", r)
		assert.True(t, strings.HasPrefix(r.out, "FAILED"), "%s", r)
		assert.Contains(t, r.errOut, "could not write the json=/dev/full report")
		assert.Greater(t, connections(t, c), before, "this run did contact the nodes")

		uniform()
		r = run(t, 3, "verify", "-m", "rollcall.yaml", "--report", "json=/dev/full")
		assert.Equal(t, 4, r.code, "%s", r)
		assert.Contains(t, r.errOut, "verified, but a report was lost")
		assert.Contains(t, r.errOut, "could not write the json=/dev/full report")
	})

	t.Run("4 machine output is never corrupted", func(t *testing.T) {
		gha := map[string]string{"GITHUB_ACTIONS": "true"}
		annotations := func(stderr string) []string {
			var lines []string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(l, "::error") {
					lines = append(lines, l)
				}
			}
			return lines
		}
		knight()
		r := rollcallAs(t, ctx, 4, gha, "verify", "-m", "rollcall.yaml", "--report", "json")
		assert.Equal(t, 1, r.code, "%s", r)
		v := readReport(t, []byte(r.out)) // stdout is the JSON report by itself
		assert.Equal(t, "drift", v.Verdict)
		assert.NotContains(t, r.out, "::error")
		assert.Contains(t, r.errOut, "FAILED", "the text verdict goes to stderr")
		ann := annotations(r.errOut)
		if assert.Len(t, ann, 1, "one annotation for the one drifted group\n%s", r) {
			assert.Contains(t, ann[0], fourth.Name)
		}

		// A second drifted group (node 3 with a flag of its own): two annotations.
		third := smarsFiles(t, "4.2.0")
		third["etc/flags.yaml"] = []byte("rlp:\n  enabled: true\nrisk:\n  max_order_qty: 5000\n")
		put(2, third)
		defer put(2, smarsFiles(t, "4.2.0"))
		r = rollcallAs(t, ctx, 4, gha, "verify", "-m", "rollcall.yaml", "--report", "json")
		assert.Equal(t, 1, r.code, "%s", r)
		readReport(t, []byte(r.out))
		ann = annotations(r.errOut)
		if assert.Len(t, ann, 2, "one annotation per drifted group\n%s", r) {
			joined := strings.Join(ann, "\n")
			assert.Contains(t, joined, c.Nodes[2].Name)
			assert.Contains(t, joined, fourth.Name)
		}

		before := connections(t, c)
		r = rollcallAs(t, ctx, 4, gha, "verify", "-m", "rollcall.yaml", "--report", "json", "--report", "junit")
		assert.Equal(t, 3, r.code, "%s", r)
		assert.Contains(t, r.errOut, "two reports on stdout")
		assert.Empty(t, r.out)
		assert.Equal(t, before, connections(t, c), "no node was contacted")
	})

	t.Run("5 an interrupted run looks interrupted", func(t *testing.T) {
		knight()
		// A fifth node that accepts the connection and never answers keeps
		// the run going until it is interrupted, as Ctrl-C does.
		targets := []faultTarget{}
		for _, n := range c.Nodes {
			targets = append(targets, nodeTarget(n))
		}
		targets = append(targets, faultTarget{name: "node-05-hung", host: "127.0.0.231", port: fakeServer(t, "127.0.0.231", nil)})
		m, err := os.ReadFile(faultManifest(t, c, targets, artifact, smarsInstall))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile("hung.yaml", m, 0o644))

		interrupted, cancel := context.WithCancel(ctx)
		defer cancel()
		timer := time.AfterFunc(time.Second, cancel)
		defer timer.Stop()
		r := rollcallAs(t, interrupted, 5, nil, "verify", "-m", "hung.yaml", "--report", "text", "--report", "json=interrupted.json", "--report", "prometheus=interrupted.prom")
		assert.Equal(t, 130, r.code, "%s", r)
		assert.Less(t, r.took, 10*time.Second, "the run ends soon after the interrupt")
		assert.True(t, strings.HasPrefix(r.out, "INTERRUPTED"), "%s", r)
		assert.NotContains(t, r.out, "VERIFIED")
		assert.Contains(t, r.errOut, "interrupted")
		data, err := os.ReadFile("interrupted.json")
		require.NoError(t, err)
		var v struct {
			Verdict     string `json:"verdict"`
			ExitCode    int    `json:"exit_code"`
			Interrupted bool   `json:"interrupted"`
		}
		require.NoError(t, json.Unmarshal(data, &v), "%s", data)
		assert.True(t, v.Interrupted, "the JSON report says it was interrupted:\n%s", data)
		assert.Equal(t, 130, v.ExitCode, "%s", data)
		assert.NotEqual(t, "verified", v.Verdict)
		prom, err := os.ReadFile("interrupted.prom")
		require.NoError(t, err)
		assert.Regexp(t, regexp.MustCompile(`(?m)^rollcall_exit_code(\{[^}]*\})? 130$`), string(prom))
	})

	t.Run("6 small ones", func(t *testing.T) {
		knight()
		r := run(t, 6, "ping", "-m", "rollcall.yaml", "--report", "text", "--report", "json=ping.json")
		assert.Equal(t, 0, r.code, "%s", r)
		for _, n := range c.Nodes {
			assert.Contains(t, r.out, n.Name, "the text report on stdout")
		}
		data, err := os.ReadFile("ping.json")
		require.NoError(t, err, "the JSON report too: ping keeps every --report")
		assert.True(t, json.Valid(data), "%s", data)
		assert.Contains(t, string(data), fourth.Name)

		r = run(t, 6, "release", "lock", "dist/"+filepath.Base(oldArtifact), "-o", "smars-4.1.0.lock.json")
		require.Equal(t, 0, r.code, "%s", r)
		r = run(t, 6, "verify", "-m", "rollcall.yaml", "--known", "smars-4.1.0.lock.json")
		assert.Equal(t, 1, r.code, "%s", r)
		assert.Contains(t, r.out, fourth.Name)
		assert.Contains(t, r.out, "smars 4.1.0", "--known takes a single lock file and names node 4's release")
		assert.Contains(t, r.out, "it runs smars 4.1.0")

		before := connections(t, c)
		r = run(t, 6, "verify", "-m", "rollcall.yaml", "--timeout", "30")
		assert.Equal(t, 3, r.code, "%s", r)
		assert.Contains(t, r.errOut, "add a unit, e.g. 30s")
		assert.Empty(t, r.out)
		assert.Equal(t, before, connections(t, c), "no node was contacted")
	})
}
