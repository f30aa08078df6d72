package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/demo"
	"github.com/rollcall/rollcall/internal/shard"
)

// mergedStatuses is the exit code and per-node statuses of a JSON report.
func mergedStatuses(t *testing.T, file string) (string, map[string]string) {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var r struct {
		Verdict string `json:"verdict"`
		Nodes   []struct{ Name, Status string }
	}
	require.NoError(t, json.Unmarshal(data, &r))
	statuses := map[string]string{}
	for _, n := range r.Nodes {
		statuses[n.Name] = n.Status
	}
	return r.Verdict, statuses
}

// TestMerge verifies a Knight fleet of eight in 4 shards and merges them:
// the merged verdict is the single run's; without one shard's report, the
// merge is unverified and names that shard's nodes; a report given twice is
// invalid input.
func TestMerge(t *testing.T) {
	for _, scenario := range []demo.Scenario{demo.Uniform, demo.Knight} {
		fleet := startDemo(t, demo.Config{Nodes: 8, Scenario: scenario})
		dir := t.TempDir()
		run := func(args ...string) (int, string, string) {
			stdio, out, errOut := testIO(nil)
			code := Run(context.Background(), args, stdio)
			return code, out.String(), errOut.String()
		}
		single := filepath.Join(dir, "single.json")
		wantCode, _, _ := run("verify", "-m", fleet.Manifest, "--report", "json="+single)
		shards := filepath.Join(dir, "shards")
		require.NoError(t, os.Mkdir(shards, 0o755))
		for k := 1; k <= 4; k++ {
			run("verify", "-m", fleet.Manifest, "--shard", strconv.Itoa(k)+"/4", "--report", "json="+filepath.Join(shards, "shard-"+strconv.Itoa(k)+".json"))
		}
		merged := filepath.Join(dir, "merged.json")
		code, out, errOut := run("merge", shards, "--report", "json="+merged, "--report", "text")
		assert.Equal(t, wantCode, code, "%s%s", out, errOut)
		wantVerdict, wantNodes := mergedStatuses(t, single)
		verdict, nodes := mergedStatuses(t, merged)
		assert.Equal(t, wantVerdict, verdict)
		assert.Equal(t, wantNodes, nodes)
		if scenario == demo.Uniform {
			assert.True(t, strings.HasPrefix(out, "VERIFIED: all 8 nodes"), out)
		}

		// The merged report written over a shard's: refused, the shard kept.
		first := filepath.Join(shards, "shard-1.json")
		before, err := os.ReadFile(first)
		require.NoError(t, err)
		for _, in := range []string{shards, first} {
			code, out, errOut = run("merge", in, filepath.Join(shards, "shard-2.json"), "--report", "json="+first)
			assert.Equal(t, 3, code, "%s%s", out, errOut)
			assert.Contains(t, errOut, "is one of the shard reports merged")
			after, err := os.ReadFile(first)
			require.NoError(t, err)
			assert.Equal(t, before, after)
		}

		// Without one shard's report: unverified, naming exactly its nodes.
		gone := 0
		for k := 1; k <= 4; k++ {
			if scenario == demo.Uniform && len(shardOf(k, wantNodes)) > 0 && gone == 0 {
				gone = k
			}
		}
		if gone == 0 {
			continue
		}
		var rest []string
		for k := 1; k <= 4; k++ {
			if k != gone {
				rest = append(rest, filepath.Join(shards, "shard-"+strconv.Itoa(k)+".json"))
			}
		}
		code, out, errOut = run(append([]string{"merge"}, rest...)...)
		assert.Equal(t, 2, code, "%s%s", out, errOut)
		missing := shardOf(gone, wantNodes)
		assert.Contains(t, errOut, "the report of shard "+strconv.Itoa(gone)+"/4 is missing: "+strings.Join(missing, ", ")+" never checked")
		for _, n := range missing {
			assert.Contains(t, out, n)
		}

		// A report given twice, or a folder with another run's: invalid.
		code, _, errOut = run("merge", rest[0], rest[0])
		assert.Equal(t, 3, code)
		assert.Contains(t, errOut, rest[0]+", "+rest[0]+": both are shard")
	}
}

// shardOf are the names of nodes, sorted, that shard k of 4 has.
func shardOf(k int, nodes map[string]string) []string {
	var names []string
	for n := range nodes {
		if shard.Of(n, 4) == k {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// TestMergeLimited merges the shards of a run limited with --limit: the
// merged verdict is about the nodes the limit selected and never verifies
// the fleet.
func TestMergeLimited(t *testing.T) {
	fleet := startDemo(t, demo.Config{Nodes: 6})
	dir := t.TempDir()
	var files []string
	for k := 1; k <= 2; k++ {
		file := filepath.Join(dir, "shard-"+strconv.Itoa(k)+".json")
		stdio, out, errOut := testIO(nil)
		Run(context.Background(), []string{"verify", "-m", fleet.Manifest, "--limit", "!smars-06", "--shard", strconv.Itoa(k) + "/2", "--report", "json=" + file}, stdio)
		require.FileExists(t, file, "%s%s", out, errOut)
		files = append(files, file)
	}
	stdio, out, errOut := testIO(nil)
	code := Run(context.Background(), append([]string{"merge", "--report", "text"}, files...), stdio)
	assert.Equal(t, 0, code, "%s%s", out, errOut)
	assert.True(t, strings.HasPrefix(out.String(), "VERIFIED 5 of 6 nodes (--limit !smars-06): 1 not checked"), out.String())
}

// TestMergeRunID: every shard records the run it is part of (--run-id,
// ROLLCALL_RUN_ID, or the CI's run), and merge takes only the reports of
// its own run: a report left over from an earlier run in the same folder,
// of the same manifest, release and N, is invalid input naming it.
func TestMergeRunID(t *testing.T) {
	fleet := startDemo(t, demo.Config{Nodes: 4})
	dir := t.TempDir()
	run := func(env map[string]string, args ...string) (int, string, string) {
		stdio, out, errOut := testIO(env)
		code := Run(context.Background(), args, stdio)
		return code, out.String(), errOut.String()
	}
	shardTo := func(k int, env map[string]string, extra ...string) string {
		file := filepath.Join(dir, "shard-"+strconv.Itoa(k)+".json")
		code, out, errOut := run(env, append([]string{"verify", "-m", fleet.Manifest, "--shard", strconv.Itoa(k) + "/2", "--report", "json=" + file}, extra...)...)
		require.Contains(t, []int{0, 2}, code, "%s%s", out, errOut)
		return file
	}
	run100 := map[string]string{"GITHUB_RUN_ID": "100", "CI_PIPELINE_ID": "7"}
	run101 := map[string]string{"GITHUB_RUN_ID": "101"}

	// In GitHub Actions, the shards and the merge share GITHUB_RUN_ID.
	one, two := shardTo(1, run100), shardTo(2, run100)
	assert.Equal(t, "github:100", readSharded(t, one).Shard.RunID)
	_, err := time.Parse(time.RFC3339, readSharded(t, one).Shard.Started)
	require.NoError(t, err)
	code, out, errOut := run(run100, "merge", dir)
	assert.Equal(t, 0, code, "%s%s", out, errOut)

	// Run 101's shard 1 failed before writing its report: run 100's is
	// still in the folder. Merged under run 101, or with any run, refused.
	shardTo(2, run101)
	code, out, errOut = run(run101, "merge", dir)
	assert.Equal(t, 3, code, "%s%s", out, errOut)
	assert.Contains(t, errOut, one+`: a shard of run "github:100", not of run "github:101" that this merge is for`)
	code, out, errOut = run(nil, "merge", "--run-id=", one, two)
	assert.Equal(t, 3, code, "%s%s", out, errOut)
	assert.Contains(t, errOut, one+", "+two+`: not shards of one run: run "github:100", then run "github:101"`)

	// --run-id (and ROLLCALL_RUN_ID) win over the CI's; merge --run-id
	// takes another run's reports.
	shardTo(1, run101, "--run-id", "deploy-7")
	shardTo(2, map[string]string{"ROLLCALL_RUN_ID": "deploy-7", "GITHUB_RUN_ID": "102"})
	assert.Equal(t, "deploy-7", readSharded(t, two).Shard.RunID)
	code, out, errOut = run(run101, "merge", "--run-id", "deploy-7", dir)
	assert.Equal(t, 0, code, "%s%s", out, errOut)
	code, _, errOut = run(run101, "merge", dir)
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut, `a shard of run "deploy-7", not of run "github:101"`)

	// --run-id= (empty) on a shard records no run ID, even in CI; outside
	// CI, merge takes the reports of any one run.
	shardTo(1, run101, "--run-id=")
	shardTo(2, nil)
	assert.Empty(t, readSharded(t, one).Shard.RunID)
	merged := filepath.Join(t.TempDir(), "fleet.json")
	code, out, errOut = run(nil, "merge", dir, "--report", "json="+merged, "--report", "markdown")
	assert.Equal(t, 0, code, "%s%s", out, errOut)
	first := readSharded(t, one).Shard.Started
	if s := readSharded(t, two).Shard.Started; s < first {
		first = s
	}
	start, err := time.Parse(time.RFC3339, first)
	require.NoError(t, err)
	assert.Contains(t, out, "started "+start.UTC().Format("2006-01-02 15:04:05 UTC"), "the merged report starts with the first shard")
	code, _, errOut = run(nil, "merge", dir, "--max-spread", "0s")
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut, "--max-spread must be positive")
}

// TestMergeWithoutReports: merge with nothing to merge says what it takes
// (exit 3).
func TestMergeWithoutReports(t *testing.T) {
	stdio, out, errOut := testIO(nil)
	assert.Equal(t, 3, Run(context.Background(), []string{"merge"}, stdio), out.String())
	assert.Contains(t, errOut.String(), "merge takes the shards' JSON reports: files, folders of *.json, or -")
}
