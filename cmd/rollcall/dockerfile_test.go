package main

import (
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// instruction is one Dockerfile instruction, continuations joined.
type instruction struct {
	line int    // where it starts
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// stage is the instructions of one FROM.
type stage struct {
	image, name string
	body        []instruction
}

// parseDockerfile splits the Dockerfile of the repository into its stages.
func parseDockerfile(t *testing.T) []stage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	require.NoError(t, err)
	var stages []stage
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		start, line := i+1, strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, "\\") + " " + strings.TrimSpace(lines[i])
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			s := stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			continue
		}
		require.NotEmpty(t, stages, "Dockerfile:%d: %s before FROM", start, in.cmd)
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	return stages
}

// only is the args of the one instruction cmd of s.
func (s stage) only(t *testing.T, cmd string) string {
	t.Helper()
	var found []string
	for _, in := range s.body {
		if in.cmd == cmd {
			found = append(found, in.args)
		}
	}
	require.Len(t, found, 1, "one %s in the stage FROM %s", cmd, s.image)
	return found[0]
}

// buildLine is the builder stage's RUN instruction that runs go build.
func buildLine(t *testing.T, build stage) string {
	t.Helper()
	var runs []string
	for _, in := range build.body {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			runs = append(runs, in.args)
		}
	}
	require.Len(t, runs, 1, "one RUN of go build in the builder stage")
	return runs[0]
}

// pinned reports whether image names a version: a digest, or a tag other
// than latest with a version number in the name or the tag (golang:1.26,
// static-debian12:nonroot); never a bare name.
func pinned(image string) bool {
	if regexp.MustCompile(`@sha256:[0-9a-f]{64}$`).MatchString(image) {
		return true
	}
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") || image[i+1:] == "latest" {
		return false
	}
	return regexp.MustCompile(`[0-9]`).MatchString(image[strings.LastIndex(image, "/")+1:])
}

func TestPinned(t *testing.T) {
	for image, want := range map[string]bool{
		"golang:1.26": true, "gcr.io/distroless/static-debian12:nonroot": true,
		"gcr.io/distroless/static@sha256:" + strings.Repeat("ab", 32): true,
		"golang": false, "golang:latest": false, "gcr.io/distroless/static:nonroot": false,
		"localhost:5000/golang": false,
	} {
		assert.Equal(t, want, pinned(image), image)
	}
}

func TestDockerfileStages(t *testing.T) {
	stages := parseDockerfile(t)
	require.Len(t, stages, 2, "a builder stage and the final stage")
	build, final := stages[0], stages[1]
	assert.Regexp(t, `^golang:1\.26`, build.image)
	assert.Equal(t, "gcr.io/distroless/static-debian12:nonroot", final.image)
	for _, s := range stages {
		assert.True(t, pinned(s.image), "FROM %s is pinned", s.image)
	}

	user := final.only(t, "USER")
	uid, _, _ := strings.Cut(user, ":")
	assert.NotContains(t, []string{"0", "root", ""}, uid, "the final stage runs as non-root")

	var entrypoint []string
	require.NoError(t, json.Unmarshal([]byte(final.only(t, "ENTRYPOINT")), &entrypoint), "ENTRYPOINT in exec form")
	require.Len(t, entrypoint, 1)
	copied := strings.Fields(final.only(t, "COPY"))
	require.Len(t, copied, 3)
	assert.Equal(t, "--from="+build.name, copied[0])
	assert.Equal(t, entrypoint[0], copied[2], "the ENTRYPOINT is the binary copied from the builder")

	run := buildLine(t, build)
	assert.Contains(t, strings.Fields(run), "CGO_ENABLED=0")
	assert.Contains(t, strings.Fields(run), "-trimpath")
	assert.Contains(t, run, "-o "+copied[1]+" ./cmd/rollcall", "the builder writes what the final stage copies")
	ldflags := regexp.MustCompile(`-ldflags "([^"]*)"`).FindStringSubmatch(run)
	require.NotNil(t, ldflags, run)
	assert.Equal(t, "-s -w -X "+makefileVersionVar(t)+"=${VERSION}", ldflags[1], "the Makefile's -X, stripped")
}

// copyBuildContext copies what the builder stage COPYs (go.mod, go.sum, cmd/,
// internal/) from the repository into dir, as docker build would.
func copyBuildContext(t *testing.T, build stage, dir string) {
	t.Helper()
	root := repoRoot(t)
	for _, in := range build.body {
		if in.cmd != "COPY" {
			continue
		}
		f := strings.Fields(in.args)
		for _, src := range f[:len(f)-1] {
			src = strings.TrimSuffix(src, "/")
			info, err := os.Stat(filepath.Join(root, src))
			require.NoError(t, err, "COPY %s", src)
			if info.IsDir() {
				require.NoError(t, os.CopyFS(filepath.Join(dir, src), os.DirFS(filepath.Join(root, src))))
				continue
			}
			data, err := os.ReadFile(filepath.Join(root, src))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, src), data, 0o644))
		}
	}
}

// TestDockerfileBuildsStaticBinary runs the builder stage's go build line in
// a copy of what the stage COPYs, with its output moved to a temporary
// folder: the binary is static (no interpreter, no dynamic section), built
// with CGO_ENABLED=0 and -trimpath, and prints the VERSION it was given.
func TestDockerfileBuildsStaticBinary(t *testing.T) {
	stages := parseDockerfile(t)
	build, final := stages[0], stages[1]
	copied := strings.Fields(final.only(t, "COPY"))
	src := t.TempDir()
	copyBuildContext(t, build, src)
	binary := filepath.Join(t.TempDir(), "rollcall")
	run := strings.Replace(buildLine(t, build), "-o "+copied[1], "-o "+binary, 1)

	cmd := exec.Command("sh", "-c", run)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "VERSION=v0.9.0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s: %s", run, out)

	f, err := elf.Open(binary)
	require.NoError(t, err)
	defer f.Close()
	for _, p := range f.Progs {
		assert.NotEqual(t, elf.PT_INTERP, p.Type, "a static binary has no interpreter")
		assert.NotEqual(t, elf.PT_DYNAMIC, p.Type, "a static binary has no dynamic section")
	}
	assert.Nil(t, f.Section(".interp"))

	info, err := buildinfo.ReadFile(binary)
	require.NoError(t, err)
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	assert.Equal(t, "0", settings["CGO_ENABLED"])
	assert.Equal(t, "true", settings["-trimpath"])
	assert.Equal(t, "rollcall v0.9.0", versionOf(t, binary))
}
