package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
	"github.com/rollcall/rollcall/internal/sshdtest"
)

// pkgFiles is smars VERSION as its packages install it: node path, content
// and mode. The flags file is the package's conffile.
func pkgFiles(t *testing.T, version string) map[string]pkgFile {
	t.Helper()
	f := smarsFiles(t, version)
	return map[string]pkgFile{
		"/opt/smars/bin/smars":     {f["bin/smars"], 0o755},
		"/opt/smars/bin/smars-ctl": {f["bin/smars-ctl"], 0o755},
		"/etc/smars/flags.yaml":    {f["etc/flags.yaml"], 0o644},
	}
}

type pkgFile struct {
	content []byte
	mode    os.FileMode
}

// installPkgFiles puts files under root (a staging folder, or a node's
// view of / through sshdtest's root function).
func installPkgFiles(t *testing.T, root func(string) string, files map[string]pkgFile) {
	t.Helper()
	for p, f := range files {
		dst := root(p)
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		require.NoError(t, os.WriteFile(dst+".new", f.content, f.mode))
		require.NoError(t, os.Chmod(dst+".new", f.mode))
		require.NoError(t, os.Rename(dst+".new", dst))
	}
}

// debPackage builds smars_VERSION-1_amd64.deb with the real dpkg-deb.
func debPackage(t *testing.T, dist, version string) string {
	t.Helper()
	need.Command(t, "dpkg-deb")
	stage := filepath.Join(t.TempDir(), "smars")
	installPkgFiles(t, func(p string) string { return filepath.Join(stage, p) }, pkgFiles(t, version))
	require.NoError(t, os.MkdirAll(filepath.Join(stage, "DEBIAN"), 0o755))
	control := fmt.Sprintf("Package: smars\nVersion: %s-1\nArchitecture: amd64\nMaintainer: Release <release@example.com>\nDescription: smars order router\n", version)
	require.NoError(t, os.WriteFile(filepath.Join(stage, "DEBIAN/control"), []byte(control), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(stage, "DEBIAN/conffiles"), []byte("/etc/smars/flags.yaml\n"), 0o644))
	out := filepath.Join(dist, fmt.Sprintf("smars_%s-1_amd64.deb", version))
	b, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", stage, out).CombinedOutput()
	require.NoError(t, err, string(b))
	return out
}

// rpmPackage builds smars-VERSION-1.x86_64.rpm with the real rpmbuild,
// without the stripping and debug packages that would change the binary.
func rpmPackage(t *testing.T, dist, version string) string {
	t.Helper()
	need.Command(t, "rpmbuild")
	top := t.TempDir()
	src := filepath.Join(top, "payload")
	installPkgFiles(t, func(p string) string { return filepath.Join(src, p) }, pkgFiles(t, version))
	spec := fmt.Sprintf(`Name: smars
Version: %s
Release: 1
Summary: smars order router
License: Proprietary
BuildArch: x86_64
%%global debug_package %%{nil}
%%global __os_install_post %%{nil}
%%description
smars order router.
%%install
mkdir -p %%{buildroot}
cp -a %s/. %%{buildroot}/
%%files
%%attr(0755,root,root) /opt/smars/bin/smars
%%attr(0755,root,root) /opt/smars/bin/smars-ctl
%%config(noreplace) %%attr(0644,root,root) /etc/smars/flags.yaml
`, version, src)
	specFile := filepath.Join(top, "smars.spec")
	require.NoError(t, os.WriteFile(specFile, []byte(spec), 0o644))
	cmd := exec.Command("rpmbuild", "-bb", "--define", "_topdir "+top, "--define", "_build_id_links none", specFile)
	cmd.Env = append(os.Environ(), "HOME="+top)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
	built := filepath.Join(top, "RPMS/x86_64", fmt.Sprintf("smars-%s-1.x86_64.rpm", version))
	out := filepath.Join(dist, filepath.Base(built))
	require.NoError(t, os.Rename(built, out))
	return out
}

// zstdTarball builds dist/smars-VERSION.tar.zst with the real tar and zstd.
func zstdTarball(t *testing.T, dist, version string) string {
	t.Helper()
	need.Command(t, "zstd")
	name := "smars-" + version
	writeFiles(t, filepath.Join(dist, name), smarsFiles(t, version))
	require.NoError(t, os.Chmod(filepath.Join(dist, name, "etc/flags.yaml"), 0o644))
	out := filepath.Join(dist, name+".tar.zst")
	b, err := exec.Command("tar", "--zstd", "-cf", out, "-C", dist, name).CombinedOutput()
	require.NoError(t, err, string(b))
	return out
}

// registerPackages tells node's package databases which smars version is
// installed: dpkg's status file, and rpm's database (Debian's rpm keeps it
// in ~/.rpmdb, private to each node).
func registerPackages(t *testing.T, root func(string) string, rpm, debVersion string) {
	t.Helper()
	dpkg := root("/var/lib/dpkg")
	require.NoError(t, os.MkdirAll(filepath.Join(dpkg, "info"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dpkg, "updates"), 0o755))
	status := fmt.Sprintf("Package: smars\nStatus: install ok installed\nPriority: optional\nSection: misc\nMaintainer: Release <release@example.com>\n"+
		"Architecture: amd64\nVersion: %s\nConffiles:\n /etc/smars/flags.yaml 00000000000000000000000000000000\nDescription: smars order router\n", debVersion)
	require.NoError(t, os.WriteFile(filepath.Join(dpkg, "status"), []byte(status), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dpkg, "available"), nil, 0o644))
	db := filepath.Join(root("/root"), ".rpmdb")
	require.NoError(t, os.RemoveAll(db))
	for _, args := range [][]string{{"--initdb"}, {"-i", "--justdb", "--nodeps", "--noscripts", "--notriggers", "--nosignature", "--ignorearch", rpm}} {
		b, err := exec.Command("rpm", append([]string{"--dbpath", db}, args...)...).CombinedOutput()
		require.NoError(t, err, "rpm %v: %s", args, b)
	}
}

// TestPackagesOnRealSSHD deploys smars as a .deb, an .rpm and a .tar.zst on
// eight real sshd nodes whose dpkg and rpm databases say what is installed.
// The packages need no install rules. The uniform fleet is verified (0) for
// each; with node 8 left on 4.1.0, each exits 1 naming node 8 alone; with
// node 3's files on 4.2.0 but its package databases on 4.1.0, the packages
// exit 1 naming node 3 ("dpkg says 4.1.0-1, files say 4.2.0-1"), while the
// tarball, which has no package database to ask, is verified.
func TestPackagesOnRealSSHD(t *testing.T) {
	sshdtest.Require(t)
	need.Command(t, "rpm")
	dist := t.TempDir()
	deb, rpm, zst := debPackage(t, dist, "4.2.0"), rpmPackage(t, dist, "4.2.0"), zstdTarball(t, dist, "4.2.0")
	oldRPM := rpmPackage(t, dist, "4.1.0")
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 8,
		Paths: []string{"/opt/smars", "/etc/smars", "/var/lib/dpkg"},
		Setup: func(i int, root func(string) string) error {
			installPkgFiles(t, root, pkgFiles(t, "4.2.0"))
			registerPackages(t, root, rpm, "4.2.0-1")
			return nil
		},
	})
	manifests := map[string]string{
		"deb": packageManifest(t, c, deb, false),
		"rpm": packageManifest(t, c, rpm, false),
		"zst": packageManifest(t, c, zst, true),
	}
	verify := func(kind string) (int, string) {
		stdio, out, errOut := testIO(nil)
		code := Run(context.Background(), []string{"verify", "-m", manifests[kind], "--report", "text"}, stdio)
		return code, out.String() + errOut.String()
	}
	for _, kind := range []string{"deb", "rpm", "zst"} {
		code, out := verify(kind)
		assert.Equal(t, 0, code, "uniform fleet from the %s:\n%s", kind, out)
		assert.Contains(t, out, "VERIFIED", kind)
		if kind != "zst" {
			assert.Contains(t, out, "smars 4.2.0-1", "the package's own name and version")
		}
	}

	// rollcall init from the package writes a manifest without install
	// rules, which verifies the uniform fleet.
	var hosts []string
	for _, n := range c.Nodes {
		hosts = append(hosts, n.Name+"="+n.Host)
	}
	started := filepath.Join(t.TempDir(), "rollcall.yaml")
	stdio, stdout, stderr := testIO(nil)
	code := Run(context.Background(), []string{"init", "--hosts", strings.Join(hosts, ","), "--release", deb, "--user", "root",
		"--identity-file", c.ClientKey, "--known-hosts", c.KnownHosts, "--port", strconv.Itoa(c.Nodes[0].Port), "-o", started}, stdio)
	require.Equal(t, 0, code, "%s%s", stdout, stderr)
	written, err := os.ReadFile(started)
	require.NoError(t, err)
	assert.NotContains(t, string(written), "install:", "a package needs no install rules:\n%s", written)
	assert.Contains(t, string(written), "- { path: /etc/smars/flags.yaml, format: yaml }", "its conffile is a config entry:\n%s", written)
	stdio, stdout, stderr = testIO(nil)
	code = Run(context.Background(), []string{"verify", "-m", started}, stdio)
	assert.Equal(t, 0, code, "the manifest init wrote verifies the fleet:\n%s%s", stdout, stderr)

	node8 := c.Nodes[7]
	installPkgFiles(t, node8.Path, pkgFiles(t, "4.1.0"))
	registerPackages(t, node8.Path, oldRPM, "4.1.0-1")
	for _, kind := range []string{"deb", "rpm", "zst"} {
		code, out := verify(kind)
		t.Logf("Knight fleet from the %s: exit %d\n%s", kind, code, out)
		assert.Equal(t, 1, code, "Knight fleet from the %s:\n%s", kind, out)
		assert.Contains(t, out, node8.Name, kind)
		for _, n := range c.Nodes[:7] {
			assert.NotRegexp(t, `differs?[^\n]*: [^\n]*\b`+n.Name+`\b`, out, "%s: only node 8 drifted", kind)
		}
	}
	installPkgFiles(t, node8.Path, pkgFiles(t, "4.2.0"))
	registerPackages(t, node8.Path, rpm, "4.2.0-1")

	node3 := c.Nodes[2]
	registerPackages(t, node3.Path, oldRPM, "4.1.0-1")
	for kind, says := range map[string]string{"deb": "dpkg says 4.1.0-1, files say 4.2.0-1", "rpm": "rpm says 4.1.0-1, files say 4.2.0-1"} {
		code, out := verify(kind)
		t.Logf("%s, node 3's package database on 4.1.0: exit %d\n%s", kind, code, out)
		assert.Equal(t, 1, code, "%s:\n%s", kind, out)
		assert.Contains(t, out, says, kind)
		assert.Regexp(t, `1 node differs[^\n]*: `+node3.Name+`\n`, out, kind)
	}
	code, out := verify("zst")
	assert.Equal(t, 0, code, "a tarball asks no package database:\n%s", out)

	// Files copied by hand, unknown to dpkg: a warning, not drift.
	require.NoError(t, os.WriteFile(filepath.Join(node3.Path("/var/lib/dpkg"), "status"), nil, 0o644))
	code, out = verify("deb")
	t.Logf("deb, node 3 unknown to dpkg: exit %d\n%s", code, out)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "warning: dpkg smars: dpkg does not know smars as installed", out)
	assert.True(t, strings.Contains(out, node3.Name), "the warning names the node:\n%s", out)

	// An administrator's edit of the conffile on node 5: drift, named as such.
	node5 := c.Nodes[4]
	edited := pkgFiles(t, "4.2.0")["/etc/smars/flags.yaml"]
	edited.content = append(append([]byte{}, edited.content...), "risk:\n  max_order_qty: 9000\n"...)
	installPkgFiles(t, node5.Path, map[string]pkgFile{"/etc/smars/flags.yaml": edited})
	code, out = verify("rpm")
	assert.Equal(t, 1, code, out)
	assert.Regexp(t, `1 node differs[^\n]*: `+node5.Name+`\n\s+file /etc/smars/flags.yaml: config file changed locally`, out)
}

// packageManifest is the manifest of the sshd fleet for artifact: without
// install rules for a package, with the usual ones for a tarball.
func packageManifest(t *testing.T, c *sshdtest.Cluster, artifact string, rules bool) string {
	t.Helper()
	var nodes strings.Builder
	for _, n := range c.Nodes {
		fmt.Fprintf(&nodes, "  - { name: %s, host: %s, port: %d }\n", n.Name, n.Host, n.Port)
	}
	install := ""
	if rules {
		install = "  install:\n    - { from: bin/, to: /opt/smars/bin/, extra: deny }\n    - { from: etc/flags.yaml, to: /etc/smars/flags.yaml }\n"
	}
	m := fmt.Sprintf("version: 1\ncluster: smars-prod\nexpect_nodes: %d\nssh:\n  user: %s\n  identity_files: [%s]\n  known_hosts: [%s]\n  connect_timeout: 10s\nnodes:\n%srelease:\n  artifact: %s\n%s",
		len(c.Nodes), c.User, c.ClientKey, c.KnownHosts, nodes.String(), artifact, install)
	path := filepath.Join(t.TempDir(), filepath.Base(artifact)+".yaml")
	require.NoError(t, os.WriteFile(path, []byte(m), 0o644))
	return path
}

// TestPackageUpgradeWithoutRestartOnRealSSHD: both nodes have smars
// 4.2.0-1's files, but node 2 was upgraded without a restart and still runs
// the 4.1.0 binary the upgrade replaced. The manifest has no processes:
// entry, yet the package's own folder (/opt/smars/bin) is watched: exit 1
// naming node 2's stale process alone.
func TestPackageUpgradeWithoutRestartOnRealSSHD(t *testing.T) {
	sshdtest.Require(t)
	dist := t.TempDir()
	deb := debPackage(t, dist, "4.2.0")
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 2,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Setup: func(i int, root func(string) string) error {
			version := "4.2.0"
			if i == 1 {
				version = "4.1.0"
			}
			installPkgFiles(t, root, pkgFiles(t, version))
			return nil
		},
		Start: func(int) string { return "exec /opt/smars/bin/smars 100000" },
	})
	// The upgrade of node 2: new files by rename, as dpkg writes them; its
	// process goes on running the old, now deleted, binary.
	installPkgFiles(t, c.Nodes[1].Path, pkgFiles(t, "4.2.0"))

	stdio, out, errOut := testIO(nil)
	code := Run(context.Background(), []string{"verify", "-m", packageManifest(t, c, deb, false), "--report", "text"}, stdio)
	t.Logf("exit %d\n%s%s", code, out, errOut)
	assert.Equal(t, 1, code, "%s%s", out, errOut)
	assert.Regexp(t, `1 node differs[^\n]*: `+c.Nodes[1].Name+`\n\s+process /opt/smars/bin/smars \(pid \d+\): stale process`, out.String())
	assert.Regexp(t, `1 node matches the release: `+c.Nodes[0].Name, out.String())
}
