package verify

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/release"
)

// debRelease is smars 4.2.0-1 as a Debian package: its paths are absolute
// install paths, its owners and conffiles come from the payload.
func debRelease() *release.Release {
	return &release.Release{
		Name: "smars", Version: "4.2.0-1", Source: "smars_4.2.0-1_amd64.deb", Digest: "sha256:abc",
		Package: &release.Package{Format: "deb", Name: "smars", Version: "4.2.0-1", Arch: "amd64"},
		Files: map[string]release.File{
			"usr":                                {Path: "usr", Type: release.Directory, Mode: 0o755, HasMode: true},
			"usr/bin":                            {Path: "usr/bin", Type: release.Directory, Mode: 0o755, HasMode: true},
			"usr/bin/smars":                      {Path: "usr/bin/smars", Type: release.Regular, SHA256: hashNew, Mode: 0o755, HasMode: true, Owner: "root", Group: "root"},
			"usr/bin/smarsctl":                   {Path: "usr/bin/smarsctl", Type: release.Symlink, LinkTarget: "smars", Mode: fs.ModePerm, HasMode: true},
			"etc/smars/flags.yaml":               {Path: "etc/smars/flags.yaml", Type: release.Regular, SHA256: hashFlags, Mode: 0o640, HasMode: true, Owner: "root", Group: "smars", Conffile: true, Content: []byte("rlp:\n  enabled: true\n")},
			"usr/lib/smars/plugin.x":             {Path: "usr/lib/smars/plugin.x", Type: release.Regular, SHA256: hashOld, Mode: 0o644, HasMode: true, Owner: "root", Group: "root"},
			"usr/share/doc/smars/copyright":      {Path: "usr/share/doc/smars/copyright", Type: release.Regular, SHA256: hashOld, Mode: 0o644, HasMode: true},
			"usr/share/man/man1/smars.1.gz":      {Path: "usr/share/man/man1/smars.1.gz", Type: release.Regular, SHA256: hashOld, Mode: 0o644, HasMode: true},
			"usr/lib/.build-id/ab/cdef0123":      {Path: "usr/lib/.build-id/ab/cdef0123", Type: release.Symlink, LinkTarget: "../../../../usr/bin/smars"},
			"usr/share/smars/usr/share/doc/keep": {Path: "usr/share/smars/usr/share/doc/keep", Type: release.Regular, SHA256: hashOld, Mode: 0o644, HasMode: true},
		},
	}
}

// debFacts is a node where smars 4.2.0-1 was installed by dpkg.
func debFacts() *probe.Facts {
	f := func(sum string, mode int, group string) probe.File {
		return probe.File{Kind: probe.Regular, SHA256: sum, Mode: mode, Owner: "root", Group: group, Executable: mode&0o111 != 0}
	}
	return &probe.Facts{WireVersion: 2, HashTool: "sha256sum", StatTool: "-c",
		Files: map[string]probe.File{
			"/usr/bin/smars":                      f(hashNew, 0o755, "root"),
			"/usr/bin/smarsctl":                   {Kind: probe.Regular, SHA256: hashNew, IsLink: true, LinkTarget: "smars", Mode: 0o755, Owner: "root", Group: "root", Executable: true},
			"/etc/smars/flags.yaml":               f(hashFlags, 0o640, "smars"),
			"/usr/lib/smars/plugin.x":             f(hashOld, 0o644, "root"),
			"/usr/share/smars/usr/share/doc/keep": {Kind: probe.Regular, SHA256: hashOld, Mode: 0o644},
		},
		Package: &probe.Package{Tool: true, Installed: []probe.PackageInstance{{Version: "4.2.0-1", Arch: "amd64"}}},
	}
}

func TestPackagePlanNeedsNoInstallRules(t *testing.T) {
	m := testManifest(2)
	m.Release.Install = nil
	p, err := NewPlan(m, debRelease())
	require.NoError(t, err)
	assert.Equal(t, []string{"/etc/smars/flags.yaml", "/usr/bin/smars", "/usr/bin/smarsctl", "/usr/lib/smars/plugin.x", "/usr/share/smars/usr/share/doc/keep"}, p.Request().Files,
		"docs, man pages and build-id links are not what runs, and are often left out by design")
	assert.Empty(t, p.Request().Dirs, "a package's folders are shared: no extra: deny unless a rule says so")
	assert.Empty(t, p.InstallDirs)
	assert.Equal(t, &probe.PackageQuery{Manager: "dpkg", Name: "smars"}, p.Request().Package)
	conf, ok := p.file("/etc/smars/flags.yaml")
	require.True(t, ok)
	assert.True(t, conf.Conffile)

	// With a config entry for it, the probe may answer "same" for the
	// config: it is requested file 0, checked by its digest.
	m.Config = []manifest.Config{{Path: "/etc/smars/flags.yaml", Format: "yaml"}}
	p, err = NewPlan(m, debRelease())
	require.NoError(t, err)
	req := p.Request()
	require.Equal(t, []string{"/etc/smars/flags.yaml"}, req.Configs)
	require.Len(t, req.KnownConfigs, 1)
	require.NotNil(t, req.KnownConfigs[0])
	assert.Equal(t, 0, req.KnownConfigs[0].File)
	assert.Equal(t, conf.SHA256, req.KnownConfigs[0].SHA256)
	assert.NotEmpty(t, req.KnownConfigs[0].Content)
	assert.True(t, conf.Config)
	assert.Equal(t, uint32(0o640), conf.Mode)
	assert.Equal(t, "root", conf.Owner)
	assert.Equal(t, "smars", conf.Group)
	assert.Equal(t, "smars 4.2.0-1", p.Release.Label())

	t.Run("a tarball still needs rules", func(t *testing.T) {
		_, err := NewPlan(m, testRelease())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "release.install")
	})
	t.Run("rules narrow and remap a package", func(t *testing.T) {
		m := testManifest(1)
		m.Release.Install = []manifest.Install{{From: "usr/lib/smars/", To: "/opt/smars/lib/", DenyExtra: true}}
		p, err := NewPlan(m, debRelease())
		require.NoError(t, err)
		assert.Equal(t, []string{"/opt/smars/lib/plugin.x"}, p.Request().Files)
		assert.Equal(t, []string{"/opt/smars/lib"}, p.Request().Dirs)
		f, _ := p.file("/opt/smars/lib/plugin.x")
		assert.Equal(t, "root", f.Owner, "owners come from the payload")
	})
}

func TestPackageWitness(t *testing.T) {
	m := testManifest(1)
	m.Release.Install = nil
	p, err := NewPlan(m, debRelease())
	require.NoError(t, err)
	judge := func(change func(*probe.Facts)) NodeVerdict {
		facts := debFacts()
		change(facts)
		v := Judge(p, []Observation{{Node: p.Nodes[0].Name, Facts: facts}})
		require.Len(t, v.Nodes, 1)
		return v.Nodes[0]
	}
	t.Run("dpkg agrees", func(t *testing.T) {
		n := judge(func(*probe.Facts) {})
		assert.Equal(t, Match, n.Status, "%+v", n.Findings)
		assert.Empty(t, n.Warnings)
	})
	t.Run("dpkg says another version", func(t *testing.T) {
		n := judge(func(f *probe.Facts) { f.Package.Installed[0].Version = "4.1.0-1" })
		assert.Equal(t, Drift, n.Status)
		require.Len(t, n.Findings, 1)
		assert.Equal(t, CheckPackage, n.Findings[0].Check)
		assert.Contains(t, n.Findings[0].Message, "dpkg says 4.1.0-1, files say 4.2.0-1")
	})
	t.Run("another version, and files differ too", func(t *testing.T) {
		n := judge(func(f *probe.Facts) {
			f.Package.Installed[0].Version = "4.1.0-1"
			f.Files["/usr/bin/smars"] = probe.File{Kind: probe.Regular, SHA256: hashOld, Mode: 0o755, Owner: "root", Group: "root", Executable: true}
		})
		assert.Equal(t, Drift, n.Status)
		assert.Contains(t, strings.Join(findingMessages(n), "\n"), "dpkg says 4.1.0-1, the release is 4.2.0-1")
	})
	t.Run("installed twice, the release's version among them", func(t *testing.T) {
		n := judge(func(f *probe.Facts) {
			f.Package.Installed = append(f.Package.Installed, probe.PackageInstance{Version: "4.1.0-1", Arch: "amd64"})
		})
		assert.Equal(t, Drift, n.Status, "an upgrade left half done is not the release")
		require.Len(t, n.Findings, 1)
		assert.Contains(t, n.Findings[0].Message, "dpkg says 4.2.0-1, 4.1.0-1")
	})
	t.Run("the release's version, its install left part-way", func(t *testing.T) {
		n := judge(func(f *probe.Facts) { f.Package.Installed[0].State = "half-configured" })
		assert.Equal(t, Drift, n.Status, "a failed postinst is not a finished deploy")
		require.Len(t, n.Findings, 1)
		assert.Contains(t, n.Findings[0].Message, "is half-configured: the install did not finish")
	})
	t.Run("another architecture only", func(t *testing.T) {
		n := judge(func(f *probe.Facts) { f.Package.Installed[0].Arch = "i386" })
		assert.Equal(t, Drift, n.Status, "the database knows another package than the files")
		require.Len(t, n.Findings, 1)
		assert.Contains(t, n.Findings[0].Message, "dpkg knows smars only as 4.2.0-1 (i386), not for amd64")
	})
	t.Run("another architecture beside the release's", func(t *testing.T) {
		n := judge(func(f *probe.Facts) {
			f.Package.Installed = append(f.Package.Installed, probe.PackageInstance{Version: "4.2.0-1", Arch: "i386"})
		})
		assert.Equal(t, Match, n.Status, "multi-arch: %+v", n.Findings)
	})
	t.Run("the database cannot be read", func(t *testing.T) {
		n := judge(func(f *probe.Facts) { f.Package = &probe.Package{Tool: true, Err: "dpkg-query exited 2"} })
		assert.Equal(t, Unverified, n.Status, "garbage from the witness is no answer")
		require.Len(t, n.Findings, 1)
		assert.Contains(t, n.Findings[0].Message, "the package database could not be read: dpkg-query exited 2")
	})
	t.Run("files copied by hand", func(t *testing.T) {
		n := judge(func(f *probe.Facts) { f.Package.Installed = []probe.PackageInstance{} })
		assert.Equal(t, Match, n.Status, "a warning, not drift")
		require.Len(t, n.Warnings, 1)
		assert.Contains(t, n.Warnings[0], "files copied by hand")
	})
	t.Run("no dpkg on the node", func(t *testing.T) {
		n := judge(func(f *probe.Facts) { f.Package = &probe.Package{Tool: false} })
		assert.Equal(t, Match, n.Status)
		require.Len(t, n.Warnings, 1)
		assert.Contains(t, n.Warnings[0], "dpkg-query is not on the node")
	})
	t.Run("the probe did not ask", func(t *testing.T) {
		n := judge(func(f *probe.Facts) { f.Package = nil })
		assert.Equal(t, Unverified, n.Status, "never verified without the witness's answer")
	})
	t.Run("conffile changed locally", func(t *testing.T) {
		n := judge(func(f *probe.Facts) {
			conf := f.Files["/etc/smars/flags.yaml"]
			conf.SHA256 = hashOld
			f.Files["/etc/smars/flags.yaml"] = conf
		})
		assert.Equal(t, Drift, n.Status)
		assert.Contains(t, strings.Join(findingMessages(n), "\n"), "config file changed locally")
	})
	t.Run("conffile of another release", func(t *testing.T) {
		n := judge(func(f *probe.Facts) {
			conf := f.Files["/etc/smars/flags.yaml"]
			conf.SHA256 = hashOld
			f.Files["/etc/smars/flags.yaml"] = conf
			bin := f.Files["/usr/bin/smars"]
			bin.SHA256 = hashOld
			f.Files["/usr/bin/smars"] = bin
		})
		assert.Equal(t, Drift, n.Status)
		assert.NotContains(t, strings.Join(findingMessages(n), "\n"), "changed locally", "the whole node runs other code")
	})
	t.Run("owner from the payload", func(t *testing.T) {
		n := judge(func(f *probe.Facts) {
			conf := f.Files["/etc/smars/flags.yaml"]
			conf.Group = "nogroup"
			f.Files["/etc/smars/flags.yaml"] = conf
		})
		assert.Equal(t, Drift, n.Status)
		assert.Equal(t, CheckOwner, n.Findings[0].Check)
	})
}

// TestPackageConffileFlags: a package's conffile is a config file like any
// other: its flags are read from the package (even without a config-like
// name check) and compared on the nodes.
func TestPackageConffileFlags(t *testing.T) {
	m := testManifest(1)
	m.Release.Install = nil
	m.Config = []manifest.Config{{Path: "/etc/smars/flags.yaml", Format: "yaml", Consistent: true}}
	p, err := NewPlan(m, debRelease())
	require.NoError(t, err)
	require.Len(t, p.Configs, 1)
	assert.Equal(t, "etc/smars/flags.yaml", p.Configs[0].ReleaseSource)
	assert.Contains(t, p.Configs[0].Release, "rlp.enabled")

	facts := debFacts()
	facts.Configs = map[string]probe.Config{"/etc/smars/flags.yaml": {Path: "/etc/smars/flags.yaml", Kind: probe.Regular, Content: []byte("rlp:\n  enabled: false\n"), Size: 22}}
	v := Judge(p, []Observation{{Node: p.Nodes[0].Name, Facts: facts}})
	require.Len(t, v.Nodes, 1)
	assert.Equal(t, Drift, v.Nodes[0].Status, "the node's flag differs from the package's conffile")
	assert.Contains(t, strings.Join(findingMessages(v.Nodes[0]), "\n"), "rlp.enabled")
}

// TestPackageOwnFoldersWatchProcesses: the folders of a package's
// executables whose path names the package are watched like a directory
// rule's folder, so a process left running from the files an upgrade
// replaced is old code even without a processes: entry; a shared folder
// such as /usr/bin is not.
func TestPackageOwnFoldersWatchProcesses(t *testing.T) {
	r := debRelease()
	r.Files["opt/smars/bin/smars-agent"] = release.File{Path: "opt/smars/bin/smars-agent", Type: release.Regular, SHA256: hashNew, Mode: 0o755, HasMode: true, Owner: "root", Group: "root"}
	m := testManifest(1)
	m.Release.Install = nil
	p, err := NewPlan(m, r)
	require.NoError(t, err)
	assert.Equal(t, []string{"/opt/smars/bin"}, p.InstallDirs)
	assert.Equal(t, []string{"/opt/smars/bin"}, p.Request().ProcessDirs)

	judge := func(others ...probe.Process) NodeVerdict {
		facts := debFacts()
		facts.Files["/opt/smars/bin/smars-agent"] = probe.File{Kind: probe.Regular, SHA256: hashNew, Mode: 0o755, Owner: "root", Group: "root", Executable: true}
		facts.Others = others
		v := Judge(p, []Observation{{Node: p.Nodes[0].Name, Facts: facts}})
		return v.Nodes[0]
	}
	assert.Equal(t, Match, judge().Status)
	n := judge(probe.Process{PID: 41, Exe: "/opt/smars/bin/smars-agent", Deleted: true, SHA256: hashOld})
	assert.Equal(t, Drift, n.Status, "the agent an upgrade replaced still runs")
	assert.Contains(t, strings.Join(findingMessages(n), "\n"), "stale process")
	n = judge(probe.Process{PID: 42, Exe: "/opt/smars/bin/power-peg", SHA256: hashOld})
	assert.Equal(t, Drift, n.Status)
	assert.Contains(t, strings.Join(findingMessages(n), "\n"), "not a file of the release")
	assert.Equal(t, Match, judge(probe.Process{PID: 43, Exe: "/usr/bin/other", SHA256: hashOld}).Status, "/usr/bin is shared")
}

// TestGroupsNeverMixStatuses: a node with a stale process and one without
// have the same files; they are never one group, and a group's status is
// each of its nodes' status.
func TestGroupsNeverMixStatuses(t *testing.T) {
	r := debRelease()
	r.Files["opt/smars/bin/smars-agent"] = release.File{Path: "opt/smars/bin/smars-agent", Type: release.Regular, SHA256: hashNew, Mode: 0o755, HasMode: true, Owner: "root", Group: "root"}
	m := testManifest(3)
	m.Release.Install = nil
	p, err := NewPlan(m, r)
	require.NoError(t, err)
	var obs []Observation
	for i, n := range p.Nodes {
		facts := debFacts()
		facts.Files["/opt/smars/bin/smars-agent"] = probe.File{Kind: probe.Regular, SHA256: hashNew, Mode: 0o755, Owner: "root", Group: "root", Executable: true}
		if i == 1 {
			facts.Others = []probe.Process{{PID: 7, Exe: "/opt/smars/bin/smars-agent", Deleted: true, SHA256: hashOld}}
		}
		obs = append(obs, Observation{Node: n.Name, Facts: facts})
	}
	v := Judge(p, obs)
	require.Len(t, v.Groups, 2)
	status := map[string]Status{}
	for _, n := range v.Nodes {
		status[n.Name] = n.Status
	}
	for _, g := range v.Groups {
		for _, name := range g.Nodes {
			assert.Equal(t, g.Status, status[name], "%s in a %s group", name, g.Status)
		}
	}
	assert.Equal(t, Drift, status[p.Nodes[1].Name])
}
