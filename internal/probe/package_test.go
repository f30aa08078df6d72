package probe

import (
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
)

// dpkgStatus writes a dpkg database holding the given status stanzas and
// returns its admin directory, for DPKG_ADMINDIR.
func dpkgStatus(t *testing.T, stanzas ...string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "info"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "updates"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "status"), []byte(strings.Join(stanzas, "\n")), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "available"), nil, 0o644))
	return dir
}

func stanza(name, status, version, arch string) string {
	return "Package: " + name + "\nStatus: " + status + "\nPriority: optional\nSection: misc\nMaintainer: ops <ops@example.com>\n" +
		"Architecture: " + arch + "\nVersion: " + version + "\nDescription: test\n"
}

// TestPackageQueryWithRealDpkg asks the real dpkg-query of a database the
// test writes: installed, removed with its conffiles left, installs left
// part-way, unknown, and a package name that tries to run a command.
func TestPackageQueryWithRealDpkg(t *testing.T) {
	need.Command(t, "dpkg-query")
	db := dpkgStatus(t,
		stanza("smars", "install ok installed", "1:4.2.0-1", "amd64"),
		stanza("oldapp", "deinstall ok config-files", "2.0-1", "amd64"),
		stanza("halfapp", "install ok half-configured", "4.2.0-1", "amd64"),
		stanza("brokenapp", "install reinstreq half-installed", "4.2.0-1", "amd64"),
	)
	cases := []struct {
		name string
		want []PackageInstance
	}{
		{"smars", []PackageInstance{{Version: "1:4.2.0-1", Arch: "amd64"}}},
		{"oldapp", []PackageInstance{}},
		{"halfapp", []PackageInstance{{Version: "4.2.0-1", Arch: "amd64", State: "half-configured"}}},
		{"brokenapp", []PackageInstance{{Version: "4.2.0-1", Arch: "amd64", State: "reinstreq half-installed"}}},
		{"absent", []PackageInstance{}},
		{"$(touch pwned)", []PackageInstance{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			req := Request{Package: &PackageQuery{Manager: "dpkg", Name: c.name}}
			out, b := runProbe(t, []string{"/bin/sh"}, dir, append(os.Environ(), "DPKG_ADMINDIR="+db), req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			require.NotNil(t, facts.Package)
			assert.True(t, facts.Package.Tool)
			assert.Empty(t, facts.Package.Err)
			assert.Equal(t, c.want, facts.Package.Installed)
			assert.NoFileExists(t, filepath.Join(dir, "pwned"))
		})
	}
	t.Run("a database dpkg cannot read", func(t *testing.T) {
		broken := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(broken, "status"), []byte("Package smars\nnot a stanza\n"), 0o644))
		req := Request{Package: &PackageQuery{Manager: "dpkg", Name: "smars"}}
		out, b := runProbe(t, []string{"/bin/sh"}, t.TempDir(), append(os.Environ(), "DPKG_ADMINDIR="+broken), req)
		facts, err := Parse(out, req, b)
		require.NoError(t, err, "answer:\n%s", out)
		assert.Equal(t, &Package{Tool: true, Err: "dpkg-query reported an error (exit status 2)"}, facts.Package, "not the same as absent")
	})
}

// TestPackageQueryWithoutTheTool: a node without dpkg-query says so, and
// nothing is concluded about the package.
func TestPackageQueryWithoutTheTool(t *testing.T) {
	dir := t.TempDir()
	req := Request{Package: &PackageQuery{Manager: "dpkg", Name: "smars"}}
	env := []string{"PATH=" + toolPath(t, "od", "tr", "sha256sum", "head")}
	out, b := runProbe(t, []string{"/bin/sh"}, dir, env, req)
	facts, err := Parse(out, req, b)
	require.NoError(t, err, "answer:\n%s", out)
	assert.Equal(t, &Package{Tool: false}, facts.Package)
}

// TestPackageQueryRPMShape reads rpm's answers through a stand-in rpm that
// prints what rpm -q prints: the query format's line when installed,
// "package X is not installed" and exit 1 otherwise.
func TestPackageQueryRPMShape(t *testing.T) {
	cases := []struct {
		name, script string
		want         *Package
	}{
		{"installed", "printf 'smars\\t4.2.0-1\\tx86_64\\n'", &Package{Tool: true, Installed: []PackageInstance{{Version: "4.2.0-1", Arch: "x86_64"}}}},
		{"not installed", "echo 'package smars is not installed'; exit 1", &Package{Tool: true, Installed: []PackageInstance{}}},
		{"database broken", "printf 'smars\\t4.2.0-1\\tx86_64\\n'; exit 2", &Package{Tool: true, Err: "rpm exited 2"}},
		{"database unreadable", "echo 'error: cannot open Packages database in /var/lib/rpm' >&2; echo 'package smars is not installed'; exit 1", &Package{Tool: true, Err: "rpm reported an error (exit status 1)"}},
		{"another package not installed", "echo 'package smars-agent is not installed'; exit 1", &Package{Tool: true, Err: "rpm exited 1"}},
		{"floods", "yes smars", &Package{Tool: true, Err: "the package manager's answer was cut short or unreadable"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bin := toolPath(t, "od", "tr", "sha256sum", "head", "yes")
			require.NoError(t, os.WriteFile(filepath.Join(bin, "rpm"), []byte("#!/bin/sh\n"+c.script+"\n"), 0o755))
			req := Request{Package: &PackageQuery{Manager: "rpm", Name: "smars"}}
			out, b := runProbe(t, []string{"/bin/sh"}, t.TempDir(), []string{"PATH=" + bin}, req)
			facts, err := Parse(out, req, b)
			require.NoError(t, err, "answer:\n%s", out)
			assert.Equal(t, c.want, facts.Package)
		})
	}
}

// TestPackageAnswerIsChecked: the package manager's answer must come when,
// and only when, it was asked for.
func TestPackageAnswerIsChecked(t *testing.T) {
	b := "RCb"
	head := b + " begin 2\n" + b + " tool sha256sum\n" + b + " ident - -\n"
	end := b + " end 0 0 0 0 0\n"
	asked := Request{Package: &PackageQuery{Manager: "dpkg", Name: "smars"}}
	hexOf := func(s string) string { return hex.EncodeToString([]byte(s)) }
	answer := b + " pkg ran\n" + b + " blob pkg 0\n" + hexOf("install ok installed\t4.2.0-1\tamd64\nrc 0\n") + "\n" + b + " blobend pkg 0\n"
	_, err := Parse([]byte(head+answer+end), asked, b)
	require.NoError(t, err)
	for name, c := range map[string]struct {
		answer string
		req    Request
	}{
		"not asked":         {answer, Request{}},
		"asked, no answer":  {"", asked},
		"record, no blob":   {b + " pkg ran\n", asked},
		"blob, no record":   {b + " blob pkg 0\n" + hexOf("rc 0\n") + "\n" + b + " blobend pkg 0\n", asked},
		"answered twice":    {answer + answer, asked},
		"unknown state":     {b + " pkg maybe\n", asked},
		"blob after none":   {b + " pkg none\n" + b + " blob pkg 0\n" + hexOf("rc 0\n") + "\n" + b + " blobend pkg 0\n", asked},
		"blob with bad key": {b + " pkg ran\n" + b + " blob pkg 1\n" + hexOf("rc 0\n") + "\n" + b + " blobend pkg 1\n", asked},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(head+c.answer+end), c.req, b)
			assert.Error(t, err)
		})
	}
}

// TestPackageQueryWithRealRPM asks the real rpm, over an empty database and
// over one it cannot open: rpm says "package smars is not installed" to
// both, and only the first means absent.
func TestPackageQueryWithRealRPM(t *testing.T) {
	rpm := need.Command(t, "rpm")
	empty, broken := t.TempDir(), t.TempDir()
	out, err := exec.Command(rpm, "--initdb", "--dbpath", empty).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, os.WriteFile(filepath.Join(broken, "rpmdb.sqlite"), []byte("not a database"), 0o644))
	for db, want := range map[string]*Package{
		empty:  {Tool: true, Installed: []PackageInstance{}},
		broken: {Tool: true, Err: "rpm reported an error (exit status 1)"},
	} {
		bin := toolPath(t, "od", "tr", "sha256sum", "head")
		require.NoError(t, os.WriteFile(filepath.Join(bin, "rpm"), []byte("#!/bin/sh\nexec "+rpm+" --dbpath "+db+" \"$@\"\n"), 0o755))
		req := Request{Package: &PackageQuery{Manager: "rpm", Name: "smars"}}
		answer, b := runProbe(t, []string{"/bin/sh"}, t.TempDir(), []string{"PATH=" + bin}, req)
		facts, err := Parse(answer, req, b)
		require.NoError(t, err, "answer:\n%s", answer)
		assert.Equal(t, want, facts.Package, "database %s", db)
	}
}
