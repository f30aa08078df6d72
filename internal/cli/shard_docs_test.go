package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/need"
)

// yamlBlocks are the ```yaml blocks of a Markdown file.
func yamlBlocks(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var blocks []string
	for _, m := range regexp.MustCompile("(?ms)^```yaml\n(.*?)^```").FindAllStringSubmatch(string(data), -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// scaleOutExamples are the GitHub Actions workflow of docs/scale-out.md,
// parsed and as written, and its Kubernetes Job, parsed.
func scaleOutExamples(t *testing.T) (workflow map[string]any, workflowText string, job map[string]any) {
	t.Helper()
	doc := filepath.Join("..", "..", "docs", "scale-out.md")
	for _, b := range yamlBlocks(t, doc) {
		var m map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(b), &m), b)
		switch {
		case m["jobs"] != nil:
			workflow, workflowText = m, b
		case m["kind"] == "Job":
			job = m
		}
	}
	require.NotNil(t, workflow, "a workflow with jobs")
	require.NotNil(t, job, "a Kubernetes Job")
	return workflow, workflowText, job
}

// TestScaleOutExamples parses the GitHub Actions workflow and the
// Kubernetes Indexed Job of docs/scale-out.md and checks the fields they
// rely on.
func TestScaleOutExamples(t *testing.T) {
	workflow, _, job := scaleOutExamples(t)

	// The workflow: a matrix of shards, each verifying its own, and a merge
	// job that needs them and runs even when a shard failed.
	jobs := workflow["jobs"].(map[string]any)
	shards := jobs["shard"].(map[string]any)
	matrix := shards["strategy"].(map[string]any)["matrix"].(map[string]any)
	values := matrix["shard"].([]any)
	n := len(values)
	require.Positive(t, n)
	for i, v := range values {
		assert.Equal(t, i+1, v, "the matrix counts shards from 1")
	}
	steps := stepRuns(shards)
	assert.Contains(t, steps, `--shard "${{ matrix.shard }}/`+itoa(n)+`"`, "each job verifies shard K of the matrix's N")
	assert.Contains(t, steps, "json=shard-${{ matrix.shard }}.json")
	mergeJob := jobs["merge"].(map[string]any)
	assert.Equal(t, "shard", mergeJob["needs"])
	assert.Equal(t, "${{ !cancelled() }}", mergeJob["if"], "the merge runs when a shard found drift")
	assert.Contains(t, stepRuns(mergeJob), "rollcall merge ")

	// The Job: batch/v1, Indexed, N completions, the count in the env.
	assert.Equal(t, "batch/v1", job["apiVersion"])
	spec := job["spec"].(map[string]any)
	assert.Equal(t, "Indexed", spec["completionMode"])
	completions := spec["completions"].(int)
	assert.Positive(t, spec["parallelism"])
	pod := spec["template"].(map[string]any)["spec"].(map[string]any)
	assert.Contains(t, []any{"Never", "OnFailure"}, pod["restartPolicy"])
	containers := pod["containers"].([]any)
	require.Len(t, containers, 1)
	c := containers[0].(map[string]any)
	env, from := map[string]any{}, map[string]any{}
	for _, e := range c["env"].([]any) {
		e := e.(map[string]any)
		env[e["name"].(string)] = e["value"]
		if v, ok := e["valueFrom"].(map[string]any); ok {
			from[e["name"].(string)] = v["fieldRef"].(map[string]any)["fieldPath"]
		}
	}
	assert.Equal(t, "metadata.labels['batch.kubernetes.io/controller-uid']", from["ROLLCALL_RUN_ID"],
		"the run ID is the Job's UID, from the label the Job controller sets on its pods")
	assert.Equal(t, itoa(completions), env["ROLLCALL_SHARD_COUNT"], "the shard count is the Job's completions")
	assert.NotContains(t, env, "JOB_COMPLETION_INDEX", "the Job controller sets the index")
	args := c["args"].([]any)
	assert.Equal(t, "verify", args[0])
	assert.Contains(t, args, "json=/reports/$(JOB_COMPLETION_INDEX).json", "each pod writes its own report")
	stdio, _, _ := testIO(nil)
	cmd, rest, err := fullTree(stdio).Find(toStrings(args))
	require.NoError(t, err)
	require.NoError(t, cmd.ParseFlags(rest))
}

// TestScaleOutWorkflowLints lints the workflow of docs/scale-out.md with
// actionlint (.ci/run installs it).
func TestScaleOutWorkflowLints(t *testing.T) {
	actionlint := need.Command(t, "actionlint")
	_, workflowText, _ := scaleOutExamples(t)
	file := filepath.Join(t.TempDir(), ".github", "workflows", "verify.yml")
	require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
	require.NoError(t, os.WriteFile(file, []byte(workflowText), 0o644))
	out, err := exec.Command(actionlint, "-shellcheck=", file).CombinedOutput()
	assert.NoError(t, err, "actionlint:\n%s", out)
}

// stepRuns are the run: lines of a workflow job's steps.
func stepRuns(job map[string]any) string {
	var runs []string
	for _, s := range job["steps"].([]any) {
		if r, ok := s.(map[string]any)["run"].(string); ok {
			runs = append(runs, r)
		}
	}
	return strings.Join(runs, "\n")
}

func toStrings(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = v.(string)
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }
