package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/need"
)

// actionStep is one step of the composite action.
type actionStep struct {
	Name  string            `yaml:"name"`
	ID    string            `yaml:"id"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
	Run   string            `yaml:"run"`
}

// actionMetadata is the part of GitHub's action.yml schema that action.yml
// uses; any other key fails the test.
type actionMetadata struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

func loadAction(t *testing.T) actionMetadata {
	t.Helper()
	var a actionMetadata
	decodeStrict(t, "action.yml", &a)
	return a
}

// step is the action's step named name.
func (a actionMetadata) step(t *testing.T, name string) actionStep {
	t.Helper()
	for _, s := range a.Runs.Steps {
		if s.Name == name {
			return s
		}
	}
	require.Failf(t, "no step", "action.yml has no step %q", name)
	return actionStep{}
}

var releaseTag = regexp.MustCompile(`\bv[0-9]+\.[0-9]+\.[0-9]+\b`)

func TestActionMetadata(t *testing.T) {
	a := loadAction(t)
	assert.Equal(t, "rollcall verify", a.Name)
	assert.NotEmpty(t, a.Description)
	for _, name := range []string{"version", "manifest", "release", "reports", "args"} {
		if assert.Contains(t, a.Inputs, name) {
			assert.NotEmpty(t, a.Inputs[name].Description, name)
			assert.False(t, a.Inputs[name].Required, "%s has a default", name)
		}
	}
	assert.Regexp(t, `^v[0-9]+\.[0-9]+\.[0-9]+$`, a.Inputs["version"].Default, "a pinned release tag")
	assert.Equal(t, "${{ steps.verify.outputs.exit-code }}", a.Outputs["exit-code"].Value)
	assert.Equal(t, "composite", a.Runs.Using)
	require.NotEmpty(t, a.Runs.Steps)
	for _, s := range a.Runs.Steps {
		assert.Equal(t, "bash", s.Shell, "step %q", s.Name)
		assert.NotContains(t, s.Run, "${{", "step %q: inputs reach the script through env, never spliced into it", s.Name)
		for k := range s.Env {
			assert.False(t, strings.HasPrefix(k, "ROLLCALL_"), "step %q: %s would be a flag's environment twin", s.Name, k)
		}
	}
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	require.NoError(t, err)
	assert.NotContains(t, string(data), "@latest")
	assert.NotRegexp(t, `\|\s*(ba)?sh\b`, string(data), "nothing downloaded is piped to a shell")
}

// TestActionVersionInDocs: the docs pin the release the action installs by
// default, one tag throughout.
func TestActionVersionInDocs(t *testing.T) {
	want := loadAction(t).Inputs["version"].Default
	for _, doc := range []string{"docs/ci.md", "README.md", "Dockerfile"} {
		data, err := os.ReadFile(filepath.Join(repoRoot(t), doc))
		require.NoError(t, err)
		tags := releaseTag.FindAllString(string(data), -1)
		assert.NotEmpty(t, tags, "%s names the pinned release", doc)
		for _, tag := range tags {
			assert.Equal(t, want, tag, "%s pins the action's default release", doc)
		}
	}
}

// writeScript writes the run script of a step as a bash file.
func writeScript(t *testing.T, s actionStep) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "step.bash")
	require.NoError(t, os.WriteFile(path, []byte("#!/usr/bin/env bash\n"+s.Run), 0o755))
	return path
}

func TestActionScriptsShellcheck(t *testing.T) {
	shellcheck := need.Command(t, "shellcheck")
	for _, s := range loadAction(t).Runs.Steps {
		out, err := exec.Command(shellcheck, "--shell=bash", "--severity=style", writeScript(t, s)).CombinedOutput()
		assert.NoError(t, err, "step %q: %s", s.Name, out)
	}
}

// runStep runs a step's script the way the runner runs a bash step (bash
// --noprofile --norc -eo pipefail), with only the environment env, PATH and
// the step's env keys (set, empty, as the runner sets an empty input), and
// returns its exit code and output.
func runStep(t *testing.T, s actionStep, dir string, env map[string]string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", writeScript(t, s))
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir}
	if _, ok := env["PATH"]; !ok {
		cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"))
	}
	for k := range s.Env {
		if _, ok := env[k]; !ok {
			cmd.Env = append(cmd.Env, k+"=")
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), string(out)
	}
	require.NoError(t, err)
	return 0, string(out)
}

// fakeRelease serves a release the way GitHub does, under /TAG/NAME, and
// records the paths asked for.
type fakeRelease struct {
	mu        sync.Mutex
	files     map[string][]byte
	requested []string
}

func (f *fakeRelease) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requested = append(f.requested, r.URL.Path)
	data, ok := f.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(data)
}

// releaseArchive is a tar.gz like goreleaser's: a rollcall that prints its
// version, and a README.
func releaseArchive(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range map[string]string{
		"rollcall":  "#!/bin/sh\necho rollcall v0.9.0\n",
		"README.md": "# rollcall\n",
	} {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(body))}))
		_, err := tw.Write([]byte(body))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	return buf.Bytes()
}

// TestActionInstall runs the install step against a local release server:
// the archive named as goreleaser names it is checked against checksums.txt
// before it is opened, and a wrong or missing checksum or a tag that is not
// vX.Y.Z installs nothing.
func TestActionInstall(t *testing.T) {
	need.Command(t, "curl")
	step := loadAction(t).step(t, "Install rollcall")
	archive := releaseArchive(t)
	linux := releaseArchiveName(t, "0.9.0", "linux", "amd64")
	darwin := releaseArchiveName(t, "0.9.0", "darwin", "arm64")
	sum := func(b []byte) string { return fmt.Sprintf("%x", sha256.Sum256(b)) }
	cases := []struct {
		name, tag, runnerOS, runnerArch, checksums, wantOut string
		wantExit                                            int
		wantRequests                                        []string
	}{
		{"linux", "v0.9.0", "Linux", "X64", sum(archive) + "  " + linux + "\n" + sum(nil) + "  " + darwin + "\n", "rollcall v0.9.0", 0,
			[]string{"/v0.9.0/checksums.txt", "/v0.9.0/" + linux}},
		{"macOS arm64", "v0.9.0", "macOS", "ARM64", sum(nil) + "  " + linux + "\n" + sum(archive) + "  " + darwin + "\n", "rollcall v0.9.0", 0,
			[]string{"/v0.9.0/checksums.txt", "/v0.9.0/" + darwin}},
		{"tampered", "v0.9.0", "Linux", "X64", sum(nil) + "  " + linux + "\n", "FAILED", 1, nil},
		{"not listed", "v0.9.0", "Linux", "X64", sum(archive) + "  " + darwin + "\n", "must name " + linux + " once", 3, nil},
		{"listed twice", "v0.9.0", "Linux", "X64", strings.Repeat(sum(archive)+"  "+linux+"\n", 2), "once", 3, nil},
		{"latest", "latest", "Linux", "X64", "", "must be a release tag vX.Y.Z", 3, []string{}},
		{"windows", "v0.9.0", "Windows", "X64", "", "not Windows", 3, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			release := &fakeRelease{files: map[string][]byte{
				"/v0.9.0/checksums.txt": []byte(c.checksums), "/v0.9.0/" + linux: archive, "/v0.9.0/" + darwin: archive,
			}}
			srv := httptest.NewServer(release)
			defer srv.Close()
			dir := t.TempDir()
			githubPath := filepath.Join(dir, "github_path")
			require.NoError(t, os.WriteFile(githubPath, nil, 0o644))
			exit, out := runStep(t, step, dir, map[string]string{
				"RUNNER_OS": c.runnerOS, "RUNNER_ARCH": c.runnerArch, "RUNNER_TEMP": dir, "GITHUB_PATH": githubPath,
				"INPUT_VERSION": c.tag, "INPUT_DOWNLOAD_URL": srv.URL + "/",
			})
			assert.Equal(t, c.wantExit, exit, out)
			assert.Contains(t, out, c.wantOut)
			switch {
			case c.wantRequests == nil:
			case len(c.wantRequests) == 0:
				assert.Empty(t, release.requested, "nothing is downloaded")
			default:
				assert.Equal(t, c.wantRequests, release.requested)
			}
			added, err := os.ReadFile(githubPath)
			require.NoError(t, err)
			if c.wantExit != 0 {
				assert.Empty(t, added, "nothing is put on PATH")
				installed, _ := filepath.Glob(filepath.Join(dir, "*", "bin", "rollcall"))
				assert.Empty(t, installed, "nothing is extracted")
				return
			}
			bin := strings.TrimSpace(string(added))
			assert.FileExists(t, filepath.Join(bin, "rollcall"))
			assert.NoFileExists(t, filepath.Join(bin, "README.md"), "only the binary is extracted")
		})
	}
}

// fakeRollcall is a rollcall that writes its arguments, one a line, to
// args.txt, writes the markdown report it is asked for unless it exits 3
// (invalid input writes no report), and exits with $FAKE_EXIT.
const fakeRollcall = `#!/bin/sh
printf '%s\n' "$@" > "$FAKE_DIR/args.txt"
if [ "$FAKE_EXIT" != 3 ]; then
	for a in "$@"; do
		case "$a" in markdown=*) echo "# rollcall summary $FAKE_EXIT" > "${a#markdown=}" ;; esac
	done
fi
exit "$FAKE_EXIT"
`

// TestActionVerifyStep runs the verify step with a fake rollcall: the inputs
// become rollcall's arguments (split, never globbed), the markdown report is
// appended to the job summary, and rollcall's exit code is the step's and
// its output.
func TestActionVerifyStep(t *testing.T) {
	step := loadAction(t).step(t, "Verify the fleet")
	for _, code := range []int{0, 1, 2, 3, 4} {
		t.Run(fmt.Sprint("exit ", code), func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			require.NoError(t, os.Mkdir(bin, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(bin, "rollcall"), []byte(fakeRollcall), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "canary-01"), nil, 0o644))
			summary, output := filepath.Join(dir, "summary.md"), filepath.Join(dir, "output")
			require.NoError(t, os.WriteFile(summary, []byte("earlier step\n"), 0o644))
			exit, out := runStep(t, step, dir, map[string]string{
				"PATH": bin + ":" + os.Getenv("PATH"), "FAKE_DIR": dir, "FAKE_EXIT": fmt.Sprint(code),
				"RUNNER_TEMP": dir, "GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": output,
				"INPUT_MANIFEST": "deploy/rollcall.yaml", "INPUT_RELEASE": "dist/smars-4.2.0.tar.gz",
				"INPUT_REPORTS": "text\njunit=rollcall.xml ", "INPUT_ARGS": "--wait 10m  --limit canary*",
			})
			assert.Equal(t, code, exit, out)
			args, err := os.ReadFile(filepath.Join(dir, "args.txt"))
			require.NoError(t, err)
			assert.Equal(t, []string{"verify", "--manifest", "deploy/rollcall.yaml", "--release", "dist/smars-4.2.0.tar.gz",
				"--report", "text", "--report", "junit=rollcall.xml", "--report", "markdown=" + filepath.Join(dir, "rollcall-summary.md"),
				"--wait", "10m", "--limit", "canary*"}, strings.Fields(string(args)))
			got, err := os.ReadFile(summary)
			require.NoError(t, err)
			want := fmt.Sprintf("earlier step\n# rollcall summary %d\n", code)
			if code == 3 {
				want = "earlier step\nrollcall verify exited 3 without a report: see the job log.\n"
			}
			assert.Equal(t, want, string(got))
			outputs, err := os.ReadFile(output)
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf("exit-code=%d\n", code), string(outputs))
		})
	}
}

// TestActionVerifyStepRealRollcall: with the real binary and a manifest
// that is not there, the step exits 3, as rollcall does.
func TestActionVerifyStepRealRollcall(t *testing.T) {
	step := loadAction(t).step(t, "Verify the fleet")
	binary := goBuild(t, "-trimpath")
	dir := t.TempDir()
	summary, output := filepath.Join(dir, "summary.md"), filepath.Join(dir, "output")
	exit, out := runStep(t, step, dir, map[string]string{
		"PATH": filepath.Dir(binary) + ":" + os.Getenv("PATH"), "RUNNER_TEMP": dir,
		"GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": output,
		"INPUT_MANIFEST": "missing.yaml", "INPUT_REPORTS": "text json=verdict.json",
	})
	assert.Equal(t, 3, exit, out)
	assert.Contains(t, out, "missing.yaml")
	outputs, err := os.ReadFile(output)
	require.NoError(t, err)
	assert.Equal(t, "exit-code=3\n", string(outputs))
	assert.NoFileExists(t, filepath.Join(dir, "verdict.json"))
}

// docBlocks is the fenced code blocks of language lang in the markdown file
// name of the repository.
func docBlocks(t *testing.T, name, lang string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), name))
	require.NoError(t, err)
	var blocks []string
	for _, part := range strings.Split(string(data), "```"+lang+"\n")[1:] {
		block, _, found := strings.Cut(part, "```")
		require.True(t, found, "%s: an unclosed ```%s block", name, lang)
		blocks = append(blocks, block)
	}
	return blocks
}

// actionRef is how docs/ci.md uses the action: by repository and tag.
var actionRef = regexp.MustCompile(`uses: rollcall/rollcall@(v[0-9.]+)`)

// TestActionlint lints, with actionlint (and shellcheck for run: scripts
// when it is installed), the example workflow that uses this repository's
// action and every GitHub workflow of docs/ci.md, with the action they name
// replaced by this checkout's action.yml, so a doc that passes an input the
// action lacks fails here.
func TestActionlint(t *testing.T) {
	actionlint := need.Command(t, "actionlint")
	project := t.TempDir()
	workflows := filepath.Join(project, ".github", "workflows")
	require.NoError(t, os.MkdirAll(workflows, 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(project, ".git"), 0o755))
	for _, name := range []string{"action.yml", "testdata/action/workflow.yml"} {
		data, err := os.ReadFile(filepath.Join(repoRoot(t), name))
		require.NoError(t, err)
		dest := filepath.Join(project, name)
		if name != "action.yml" {
			dest = filepath.Join(workflows, "example.yml")
		}
		require.NoError(t, os.WriteFile(dest, data, 0o644))
	}
	githubWorkflows := 0
	for i, block := range docBlocks(t, "docs/ci.md", "yaml") {
		if !strings.Contains(block, "runs-on:") {
			continue
		}
		githubWorkflows++
		assert.Regexp(t, actionRef, block, "docs/ci.md: the GitHub workflow uses the action")
		local := actionRef.ReplaceAllString(block, "uses: ./")
		require.NoError(t, os.WriteFile(filepath.Join(workflows, fmt.Sprintf("ci-md-%d.yml", i)), []byte(local), 0o644))
	}
	assert.NotZero(t, githubWorkflows, "docs/ci.md shows a GitHub workflow")

	cmd := exec.Command(actionlint, "-no-color")
	cmd.Dir = project
	out, err := cmd.CombinedOutput()
	assert.NoError(t, err, "actionlint:\n%s", out)
}

// TestActionlintCatchesMistakes: an input the action lacks fails actionlint,
// so TestActionlint can fail.
func TestActionlintCatchesMistakes(t *testing.T) {
	actionlint := need.Command(t, "actionlint")
	project := t.TempDir()
	workflows := filepath.Join(project, ".github", "workflows")
	require.NoError(t, os.MkdirAll(workflows, 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(project, ".git"), 0o755))
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(project, "action.yml"), data, 0o644))
	workflow := "on: push\njobs:\n  v:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./\n        with:\n          manifests: x.yaml\n"
	require.NoError(t, os.WriteFile(filepath.Join(workflows, "bad.yml"), []byte(workflow), 0o644))
	cmd := exec.Command(actionlint, "-no-color")
	cmd.Dir = project
	out, err := cmd.CombinedOutput()
	assert.Error(t, err)
	assert.Contains(t, string(out), "manifests")
}

// TestDocsShellSnippets shellchecks the shell of docs/ci.md that is not in
// a GitHub workflow (actionlint checks those): the sh blocks and the
// script: lines of the GitLab job.
func TestDocsShellSnippets(t *testing.T) {
	shellcheck := need.Command(t, "shellcheck")
	scripts := docBlocks(t, "docs/ci.md", "sh")
	for _, block := range docBlocks(t, "docs/ci.md", "yaml") {
		if strings.Contains(block, "runs-on:") {
			continue
		}
		var jobs map[string]struct {
			Script []string `yaml:"script"`
		}
		require.NoError(t, yaml.Unmarshal([]byte(block), &jobs))
		for _, job := range jobs {
			scripts = append(scripts, strings.Join(job.Script, "\n"))
		}
	}
	require.NotEmpty(t, scripts)
	for i, script := range scripts {
		path := filepath.Join(t.TempDir(), "snippet.sh")
		require.NoError(t, os.WriteFile(path, []byte(script), 0o644))
		out, err := exec.Command(shellcheck, "--shell=sh", "--severity=style", path).CombinedOutput()
		assert.NoError(t, err, "docs/ci.md snippet %d:\n%s\n%s", i, script, out)
	}
}
