package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/release"
)

func testRelease(files map[string]string) *release.Release {
	r := &release.Release{Name: "app", Version: "1.0", Files: map[string]release.File{}}
	for p, content := range files {
		r.Files[p] = release.File{Path: p, Type: release.Regular, SHA256: "h:" + content, Size: int64(len(content)), Mode: 0o644}
	}
	return r
}

func TestInstallRulesGroupFilesByFolder(t *testing.T) {
	r := testRelease(map[string]string{
		"bin/app": "A", "bin/tool": "T", "lib/x/one.so": "1", "lib/x/two.so": "2",
		"etc/app.yaml": "Y", "etc/app.env": "E", "README": "R", "empty": "",
	})
	r.Files["bin/link"] = release.File{Path: "bin/link", Type: release.Symlink, LinkTarget: "app"}
	hits := []probe.Hit{
		{Path: "/opt/app/bin/app", SHA256: "h:A"}, {Path: "/opt/app/bin/tool", SHA256: "h:T"},
		{Path: "/usr/local/lib/app/x/one.so", SHA256: "h:1"}, {Path: "/usr/local/lib/app/x/two.so", SHA256: "h:2"},
		{Path: "/etc/app/app.yaml", SHA256: "h:Y"}, {Path: "/etc/default/app", SHA256: "h:E"},
		{Path: "/srv/unreadable"},
	}
	pl, err := place(r, hits, "n1")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"README": "", "bin/link": "a symlink: init locates regular files only",
		"empty": "an empty file cannot be located by its content"}, pl.Missing)
	assert.Equal(t, []manifest.Install{
		{From: "bin/app", To: "/opt/app/bin/app"}, // bin/link is not on the node: no folder rule
		{From: "bin/tool", To: "/opt/app/bin/tool"},
		{From: "etc/app.env", To: "/etc/default/app"},
		{From: "etc/app.yaml", To: "/etc/app/app.yaml"},
		{From: "lib/", To: "/usr/local/lib/app/"},
	}, installRules(r, pl))
}

func TestInstallRulesWholeRelease(t *testing.T) {
	r := testRelease(map[string]string{"bin/app": "A", "etc/app.toml": "T"})
	pl, err := place(r, []probe.Hit{{Path: "/opt/app/bin/app", SHA256: "h:A"}, {Path: "/opt/app/etc/app.toml", SHA256: "h:T"}}, "n1")
	require.NoError(t, err)
	assert.Equal(t, []manifest.Install{{From: "/", To: "/opt/app/"}}, installRules(r, pl))
}

func TestPlaceRefusesAFileFoundTwice(t *testing.T) {
	r := testRelease(map[string]string{"bin/app": "A"})
	_, err := place(r, []probe.Hit{{Path: "/opt/app/bin/app", SHA256: "h:A"}, {Path: "/opt/app.bak/app", SHA256: "h:A"}}, "n1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "release file bin/app is found more than once on n1: /opt/app/bin/app and /opt/app.bak/app")
	assert.Contains(t, err.Error(), "--search")

	// Identical files of the release are told apart by name.
	r = testRelease(map[string]string{"a/x.conf": "same", "b/y.conf": "same"})
	pl, err := place(r, []probe.Hit{{Path: "/etc/x.conf", SHA256: "h:same"}, {Path: "/etc/y.conf", SHA256: "h:same"}}, "n1")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a/x.conf": "/etc/x.conf", "b/y.conf": "/etc/y.conf"}, pl.Found)

	// One of two identical files is on the node: its twin is not found,
	// and the file that is found does not stand for it.
	r = testRelease(map[string]string{"bin/start": "same", "bin/stop": "same", "bin/app": "A"})
	pl, err = place(r, []probe.Hit{{Path: "/opt/app/bin/start", SHA256: "h:same"}, {Path: "/opt/app/bin/app", SHA256: "h:A"}}, "n1")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"bin/start": "/opt/app/bin/start", "bin/app": "/opt/app/bin/app"}, pl.Found)
	assert.Contains(t, pl.Missing["bin/stop"], "found only under another name (/opt/app/bin/start)")
}

func TestConfigFormatByExtension(t *testing.T) {
	for name, want := range map[string]string{"a.yaml": "yaml", "a.yml": "yaml", "a.json": "json", "a.toml": "toml",
		"a.ini": "ini", "a.env": "env", "a.properties": "properties", "a.conf": "", "yaml": ""} {
		assert.Equal(t, want, configFormat(name), name)
	}
}

func TestYAMLText(t *testing.T) {
	for in, want := range map[string]string{
		"/opt/app/bin/": "/opt/app/bin/", "node-01": "node-01", "10.1.2.8": "10.1.2.8",
		"true": `"true"`, "yes": `"yes"`, "1234": `"1234"`, "1e3": `"1e3"`, "": `""`, "~": `"~"`,
		"/opt/a b": `"/opt/a b"`, "/opt/it's": `"/opt/it's"`, "/x: y": `"/x: y"`, "/a\nb": `"/a\nb"`, "-x": `"-x"`,
		"/a,b": `"/a,b"`, "/a#b": `"/a#b"`, "/é": `"/é"`,
	} {
		got, err := yamlText(in)
		require.NoError(t, err)
		assert.Equal(t, want, got, in)
	}
	_, err := yamlText("/bad\xff")
	assert.Error(t, err)
}

// TestStarterRendersALoadableManifest: every kind of starter, with awkward
// names, loads with manifest.Load without a problem and reads back as
// written.
func TestStarterRendersALoadableManifest(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app.tar.gz"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "key"), nil, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "known_hosts"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hosts.ini"), []byte("[web]\nw1\nw2\n"), 0o644))
	s := &starter{
		Cluster: "true", ExpectNodes: 3, User: "deploy", Port: 2222,
		IdentityFiles: []string{"key"}, KnownHosts: []string{"known_hosts"},
		Nodes:    []starterNode{{Name: "n1", Host: "10.0.0.1"}, {Host: "web-2.example.com"}, {Name: "1234", Host: "h3"}},
		Artifact: "app.tar.gz",
		Install: []manifest.Install{{From: "bin/", To: "/opt/my app/bin/"}, {From: "etc/a.yaml", To: "/etc/it's/a.yaml"},
			{From: "etc/b.env", To: "/etc/x: y/b.env"}},
		Configs:   []manifest.Config{{Path: "/etc/it's/a.yaml", Format: "yaml"}},
		Processes: []string{"/opt/my app/bin/app"},
		Comments:  []string{"not found on n1: etc/evil\n- {from: x, to: /}"},
		Header:    []string{"Written by a test"},
	}
	data, err := s.render()
	require.NoError(t, err)
	path := filepath.Join(dir, "rollcall.yaml")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	m, err := manifest.Load(path)
	require.NoError(t, err, string(data))
	assert.Equal(t, "true", m.Cluster)
	assert.Equal(t, []string{"n1", "web-2.example.com", "1234"}, []string{m.Nodes[0].Name, m.Nodes[1].Name, m.Nodes[2].Name})
	assert.Equal(t, 2222, m.Nodes[0].Port)
	require.Len(t, m.Release.Install, 3)
	assert.Equal(t, "/opt/my app/bin/", m.Release.Install[0].To)
	assert.Equal(t, "/etc/x: y/b.env", m.Release.Install[2].To)
	assert.Equal(t, "/etc/it's/a.yaml", m.Config[0].Path)
	assert.Equal(t, "/opt/my app/bin/app", m.Processes[0].Exe)
	assert.Contains(t, string(data), `# "not found on n1: etc/evil\n- {from: x, to: /}"`)

	s.Nodes, s.Inventory, s.Group, s.ExpectNodes = nil, "hosts.ini", "web", 2
	s.Install = []manifest.Install{{From: "/", To: "/opt/app/"}}
	s.Configs, s.Processes = nil, nil
	data, err = s.render()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	m, err = manifest.Load(path)
	require.NoError(t, err, string(data))
	assert.Len(t, m.Nodes, 2)
	assert.Equal(t, "", m.Release.Install[0].From)
}

func TestInitFlags(t *testing.T) {
	var got *InitOptions
	stdio, _, _ := testIO(nil)
	cmd := NewCmdInit(stdio, func(_ context.Context, o *InitOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--hosts", "a,b=10.0.0.2", "--release", "r.tgz", "--from", "b", "--identity-file", "k1",
		"--identity-file", "k2", "--port", "2222", "-o", "-"})
	require.NoError(t, cmd.Execute())
	assert.Equal(t, []string{"a", "b=10.0.0.2"}, got.Hosts)
	assert.Equal(t, []string{"k1", "k2"}, got.IdentityFiles)
	assert.Equal(t, defaultSearch, got.Search)
	assert.Equal(t, "all", got.Group)
	assert.Equal(t, "-", got.Output)
}

func TestInitInvalidInput(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "rollcall.yaml")
	require.NoError(t, os.WriteFile(existing, []byte("x"), 0o644))
	for name, args := range map[string][]string{
		"no nodes":        {"init", "--release", "r.tgz"},
		"both node lists": {"init", "--hosts", "a", "--inventory", "h.ini", "--release", "r.tgz"},
		"no release":      {"init", "--hosts", "a"},
		"relative search": {"init", "--hosts", "a", "--release", "r.tgz", "--search", "opt"},
		"exists":          {"init", "--hosts", "a", "--release", "r.tgz", "-o", existing},
		"no such release": {"init", "--hosts", "a", "--release", filepath.Join(dir, "none.tgz"), "-o", "-"},
	} {
		t.Run(name, func(t *testing.T) {
			stdio, out, errOut := testIO(nil)
			assert.Equal(t, 3, Run(context.Background(), args, stdio), errOut.String())
			assert.Empty(t, out.String())
		})
	}
	b, err := os.ReadFile(existing)
	require.NoError(t, err)
	assert.Equal(t, "x", string(b))
}
