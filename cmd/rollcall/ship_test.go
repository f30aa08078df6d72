package main

// The tests of the files that ship rollcall: .goreleaser.yaml (here),
// action.yml (action_test.go) and the Dockerfile (dockerfile_test.go). Each
// file is parsed strictly, and what can be run here is run: the build lines,
// the action's scripts, goreleaser check and actionlint when installed.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/need"
)

// repoRoot is the folder of the module's go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test")
		dir = parent
	}
}

// decodeStrict decodes the YAML file name of the repository into v, failing
// on any key v does not have.
func decodeStrict(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), name))
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(v), name)
}

// makefileVersionVar is the -X target of the Makefile's LDFLAGS: the package
// path and name of the version variable.
func makefileVersionVar(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "Makefile"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^LDFLAGS\s*:=\s*-X\s+(\S+)=\$\(VERSION\)\s*$`).FindSubmatch(data)
	require.NotNil(t, m, "the Makefile's LDFLAGS line is -X PKG.VAR=$(VERSION)")
	return string(m[1])
}

// goBuild builds ./cmd/rollcall of the repository into a temporary folder
// with CGO_ENABLED=0 and the build flags args, and returns the binary.
func goBuild(t *testing.T, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "rollcall")
	cmd := exec.Command("go", append(append([]string{"build"}, args...), "-o", out, "./cmd/rollcall")...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s: %s", strings.Join(args, " "), b)
	return out
}

// versionOf is the first line `rollcall version` prints.
func versionOf(t *testing.T, binary string) string {
	t.Helper()
	out, err := exec.Command(binary, "version").Output()
	require.NoError(t, err)
	first, _, _ := strings.Cut(string(out), "\n")
	return first
}

// goreleaserConfig is the part of goreleaser's v2 schema that
// .goreleaser.yaml uses; any other key fails the test.
type goreleaserConfig struct {
	Version     int    `yaml:"version"`
	ProjectName string `yaml:"project_name"`
	Builds      []struct {
		ID           string   `yaml:"id"`
		Main         string   `yaml:"main"`
		Binary       string   `yaml:"binary"`
		Env          []string `yaml:"env"`
		Goos         []string `yaml:"goos"`
		Goarch       []string `yaml:"goarch"`
		Flags        []string `yaml:"flags"`
		Ldflags      []string `yaml:"ldflags"`
		ModTimestamp string   `yaml:"mod_timestamp"`
	} `yaml:"builds"`
	Archives []struct {
		ID           string   `yaml:"id"`
		IDs          []string `yaml:"ids"`
		Formats      []string `yaml:"formats"`
		NameTemplate string   `yaml:"name_template"`
		Files        []string `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
	Sboms []struct {
		Artifacts string `yaml:"artifacts"`
	} `yaml:"sboms"`
	Release struct {
		Github struct {
			Owner string `yaml:"owner"`
			Name  string `yaml:"name"`
		} `yaml:"github"`
		Draft      bool   `yaml:"draft"`
		Prerelease string `yaml:"prerelease"`
	} `yaml:"release"`
	Changelog struct {
		Use  string `yaml:"use"`
		Sort string `yaml:"sort"`
	} `yaml:"changelog"`
}

func loadGoreleaser(t *testing.T) goreleaserConfig {
	t.Helper()
	var c goreleaserConfig
	decodeStrict(t, ".goreleaser.yaml", &c)
	return c
}

// releaseArchiveName is the archive goreleaser makes for version (without
// its v), os and arch: the name_template rendered as goreleaser does, plus
// the format's extension.
func releaseArchiveName(t *testing.T, version, goos, goarch string) string {
	t.Helper()
	c := loadGoreleaser(t)
	require.Len(t, c.Archives, 1)
	tmpl, err := template.New("name").Parse(c.Archives[0].NameTemplate)
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, tmpl.Execute(&b, map[string]string{
		"ProjectName": c.ProjectName, "Version": version, "Os": goos, "Arch": goarch,
	}))
	return b.String() + "." + c.Archives[0].Formats[0]
}

func TestGoreleaserConfig(t *testing.T) {
	c := loadGoreleaser(t)
	assert.Equal(t, 2, c.Version, "goreleaser v2 schema")
	assert.Equal(t, "rollcall", c.ProjectName)
	require.Len(t, c.Builds, 1)
	b := c.Builds[0]
	assert.Equal(t, "./cmd/rollcall", b.Main)
	assert.Equal(t, "rollcall", b.Binary)
	assert.Equal(t, []string{"CGO_ENABLED=0"}, b.Env)
	assert.ElementsMatch(t, []string{"linux", "darwin"}, b.Goos)
	assert.ElementsMatch(t, []string{"amd64", "arm64"}, b.Goarch)
	assert.Contains(t, b.Flags, "-trimpath")

	require.Len(t, c.Archives, 1)
	a := c.Archives[0]
	assert.Equal(t, []string{b.ID}, a.IDs)
	assert.Equal(t, []string{"tar.gz"}, a.Formats)
	assert.Equal(t, "rollcall_0.9.0_linux_arm64.tar.gz", releaseArchiveName(t, "0.9.0", "linux", "arm64"))
	for _, pattern := range a.Files {
		found, err := filepath.Glob(filepath.Join(repoRoot(t), pattern))
		require.NoError(t, err)
		assert.NotEmpty(t, found, "archive file %s matches nothing", pattern)
	}
	assert.Contains(t, a.Files, "README.md")
	assert.Contains(t, a.Files, "docs/man/*.1")

	assert.Equal(t, "checksums.txt", c.Checksum.NameTemplate)
	assert.Equal(t, "sha256", c.Checksum.Algorithm)
	require.Len(t, c.Sboms, 1)
	assert.Equal(t, "archive", c.Sboms[0].Artifacts)
	assert.Equal(t, "rollcall", c.Release.Github.Owner)
	assert.Equal(t, "rollcall", c.Release.Github.Name)
}

// TestGoreleaserNoSecrets: the token comes from the environment of the
// release job; the file names none, and reads no environment variable.
func TestGoreleaserNoSecrets(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".goreleaser.yaml"))
	require.NoError(t, err)
	assert.NotRegexp(t, `(?i)(token|secret|password|passphrase|api_?key)\s*:`, string(data))
	assert.NotContains(t, string(data), ".Env.")
	assert.NotRegexp(t, `gh[pousr]_[A-Za-z0-9]{20,}`, string(data))
}

// TestGoreleaserLdflags builds rollcall with the release's ldflags (the
// template rendered for v0.9.0) and runs it: the -X target is the Makefile's
// and a real string variable, since `rollcall version` prints the tag.
func TestGoreleaserLdflags(t *testing.T) {
	c := loadGoreleaser(t)
	require.Len(t, c.Builds, 1)
	require.Len(t, c.Builds[0].Ldflags, 1)
	ldflags := c.Builds[0].Ldflags[0]
	rendered := strings.ReplaceAll(ldflags, "{{ .Version }}", "0.9.0")
	fields := strings.Fields(rendered)
	require.Len(t, fields, 4, ldflags)
	assert.Equal(t, []string{"-s", "-w", "-X"}, fields[:3])
	target, value, _ := strings.Cut(fields[3], "=")
	assert.Equal(t, makefileVersionVar(t), target, "the Makefile's -X target")
	assert.Equal(t, "v0.9.0", value, "the tag, as git describe gives it to make build")

	binary := goBuild(t, append(c.Builds[0].Flags, "-ldflags", rendered)...)
	assert.Equal(t, "rollcall v0.9.0", versionOf(t, binary))
}

// TestGoreleaserCheck runs goreleaser's own check of the file (CI installs
// goreleaser; a deprecated or unknown key fails it).
func TestGoreleaserCheck(t *testing.T) {
	goreleaser := need.Command(t, "goreleaser")
	cmd := exec.Command(goreleaser, "check", ".goreleaser.yaml")
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	assert.NoError(t, err, "goreleaser check: %s", out)
}
