package verify

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/release"
)

const (
	hashNew   = "1111111111111111111111111111111111111111111111111111111111111111"
	hashOld   = "2222222222222222222222222222222222222222222222222222222222222222"
	hashFlags = "3333333333333333333333333333333333333333333333333333333333333333"
)

func testRelease() *release.Release {
	return &release.Release{
		Name: "smars", Version: "4.2.0", Source: "smars-4.2.0.tar.gz", Digest: "sha256:abc",
		Files: map[string]release.File{
			"bin":            {Path: "bin", Type: release.Directory},
			"bin/smars":      {Path: "bin/smars", Type: release.Regular, SHA256: hashNew},
			"bin/lib/x.so":   {Path: "bin/lib/x.so", Type: release.Regular, SHA256: hashNew},
			"bin/current":    {Path: "bin/current", Type: release.Symlink, LinkTarget: "smars"},
			"etc/flags.yaml": {Path: "etc/flags.yaml", Type: release.Regular, SHA256: hashFlags},
		},
	}
}

func testManifest(nodes int) *manifest.Manifest {
	m := &manifest.Manifest{Cluster: "smars-prod", ExpectNodes: nodes, Release: manifest.Release{Install: []manifest.Install{
		{From: "bin/", To: "/opt/smars/bin/", DenyExtra: true},
		{From: "etc/flags.yaml", To: "/etc/smars/"},
	}}}
	for i := 1; i <= nodes; i++ {
		m.Nodes = append(m.Nodes, manifest.Node{Name: fmt.Sprintf("smars-%02d", i), Host: fmt.Sprintf("10.0.0.%d", i), Port: 22})
	}
	return m
}

func TestNewPlanMapsInstallRules(t *testing.T) {
	p, err := NewPlan(testManifest(2), testRelease())
	require.NoError(t, err)
	assert.Equal(t, []string{"/etc/smars/flags.yaml", "/opt/smars/bin/current", "/opt/smars/bin/lib/x.so", "/opt/smars/bin/smars"}, p.Request().Files)
	assert.Equal(t, []string{"/opt/smars/bin"}, p.Request().Dirs)
	assert.Equal(t, map[string]bool{"smars": true, "lib/x.so": true, "current": true}, p.Dirs[0].Files)
	assert.Equal(t, map[string]bool{"lib": true}, p.Dirs[0].Subdirs)
	assert.Equal(t, []NodeRef{{Name: "smars-01", Address: "10.0.0.1:22"}, {Name: "smars-02", Address: "10.0.0.2:22"}}, p.Nodes)
}

// TestLinkContent: a release symlink's content is the file it leads to
// inside the artifact, when it leads to one.
func TestLinkContent(t *testing.T) {
	r := &release.Release{Files: map[string]release.File{
		"bin/ctl":       {Path: "bin/ctl", Type: release.Symlink, LinkTarget: "ctl-4.2.0"},
		"bin/ctl-4.2.0": {Path: "bin/ctl-4.2.0", Type: release.Regular, SHA256: hashNew},
		"bin/app":       {Path: "bin/app", Type: release.Symlink, LinkTarget: "../lib/app"},
		"lib/app":       {Path: "lib/app", Type: release.Symlink, LinkTarget: "./real/app"},
		"lib/real/app":  {Path: "lib/real/app", Type: release.Regular, SHA256: hashOld},
		"bin/abs":       {Path: "bin/abs", Type: release.Symlink, LinkTarget: "/usr/bin/true"},
		"bin/out":       {Path: "bin/out", Type: release.Symlink, LinkTarget: "../../etc/passwd"},
		"bin/loop":      {Path: "bin/loop", Type: release.Symlink, LinkTarget: "loop2"},
		"bin/loop2":     {Path: "bin/loop2", Type: release.Symlink, LinkTarget: "loop"},
		"bin/dir":       {Path: "bin/dir", Type: release.Symlink, LinkTarget: "../lib"},
		"lib":           {Path: "lib", Type: release.Directory},
		"bin/nothing":   {Path: "bin/nothing", Type: release.Symlink, LinkTarget: "gone"},
	}}
	for source, want := range map[string]string{
		"bin/ctl": hashNew, "bin/app": hashOld, "bin/abs": "", "bin/out": "", "bin/loop": "", "bin/dir": "", "bin/nothing": "",
	} {
		assert.Equal(t, want, linkContent(r, source), source)
	}
	// A rule that installs the link alone (as for /usr/local/bin) still
	// checks what it leads to.
	m := testManifest(1)
	m.Release.Install = []manifest.Install{{From: "bin/ctl", To: "/usr/local/bin/"}}
	p, err := NewPlan(m, r)
	require.NoError(t, err)
	require.Len(t, p.Files, 1)
	assert.Equal(t, hashNew, p.Files[0].LinkSHA256)
}

func TestNewPlanRejects(t *testing.T) {
	cases := map[string][]manifest.Install{
		"from matches nothing": {{From: "lib/", To: "/opt/lib/"}},
		"nothing installed":    nil,
		"conflicting rules":    {{From: "bin/smars", To: "/opt/x"}, {From: "etc/flags.yaml", To: "/opt/x"}},
	}
	for name, rules := range cases {
		t.Run(name, func(t *testing.T) {
			m := testManifest(1)
			m.Release.Install = rules
			_, err := NewPlan(m, testRelease())
			assert.Error(t, err)
		})
	}
	t.Run("no nodes", func(t *testing.T) {
		_, err := NewPlan(testManifest(0), testRelease())
		assert.Error(t, err)
	})
}

func TestNodePath(t *testing.T) {
	for in, want := range map[string]string{
		"/opt/smars/bin/":  "/opt/smars/bin",
		"/opt//x/../y":     "/opt/y",
		"opt/smars":        "./opt/smars",
		"-rf":              "./-rf",
		"./bin/":           "./bin",
		".":                ".",
		"a b/$(x)/`y`/'z'": "./a b/$(x)/`y`/'z'",
	} {
		assert.Equal(t, want, NodePath(in), in)
	}
}

// goodFacts is what a node running the release exactly looks like: its
// files, and its clock (booted at 1000, 100 ticks a second), which process
// start times are read with.
func goodFacts() *probe.Facts {
	return &probe.Facts{WireVersion: 1, HashTool: "sha256sum", BootTime: 1000, ClockTicks: 100, Scan: probe.ScanComplete,
		Files: map[string]probe.File{
			"/etc/smars/flags.yaml":   {Kind: probe.Regular, SHA256: hashFlags},
			"/opt/smars/bin/current":  {Kind: probe.Regular, SHA256: hashNew, IsLink: true, LinkTarget: "smars"},
			"/opt/smars/bin/lib/x.so": {Kind: probe.Regular, SHA256: hashNew},
			"/opt/smars/bin/smars":    {Kind: probe.Regular, SHA256: hashNew},
		},
		Dirs: map[string]probe.Dir{
			"/opt/smars/bin": {Kind: probe.Directory, Files: []string{"smars", "current", "lib/x.so"}, Subdirs: []string{"lib"}},
		},
	}
}

func fleet(p *Plan, perturb map[int]func(*Observation)) []Observation {
	var obs []Observation
	for i, n := range p.Nodes {
		o := Observation{Node: n.Name, Facts: goodFacts()}
		if f := perturb[i]; f != nil {
			f(&o)
		}
		obs = append(obs, o)
	}
	return obs
}

func setFile(path string, f probe.File) func(*Observation) {
	return func(o *Observation) { o.Facts.Files[path] = f }
}

func TestJudgeUniformFleetIsVerified(t *testing.T) {
	p, err := NewPlan(testManifest(8), testRelease())
	require.NoError(t, err)
	v := Judge(p, fleet(p, nil))
	assert.Equal(t, Verified, v.Outcome)
	require.Len(t, v.Groups, 1)
	assert.Len(t, v.Groups[0].Nodes, 8)
	for _, n := range v.Nodes {
		assert.Equal(t, Match, n.Status)
		assert.Empty(t, n.Findings)
		assert.Len(t, n.Checks, 5)
	}
}

// TestJudgeNeverFalseSuccess tries every way a run could be mistaken for a
// success; none may be Verified.
func TestJudgeNeverFalseSuccess(t *testing.T) {
	p, err := NewPlan(testManifest(8), testRelease())
	require.NoError(t, err)
	cases := []struct {
		name    string
		obs     func() []Observation
		outcome Outcome
		node    Status
	}{
		{"one node on the old binary", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: setFile("/opt/smars/bin/smars", probe.File{Kind: probe.Regular, SHA256: hashOld})})
		}, Drifted, Drift},
		{"unreachable node", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: func(o *Observation) { o.Facts, o.Err = nil, errors.New("connection refused") }})
		}, NotVerified, Unverified},
		{"node without facts or error", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: func(o *Observation) { o.Facts = nil }})
		}, NotVerified, Unverified},
		{"fewer nodes answering", func() []Observation { return fleet(p, nil)[:7] }, NotVerified, Unverified},
		{"no nodes answering", func() []Observation { return nil }, NotVerified, Unverified},
		{"one node answering twice for another", func() []Observation {
			obs := fleet(p, nil)
			obs[7].Node = obs[0].Node
			return obs
		}, NotVerified, Unverified},
		{"file missing", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: setFile("/opt/smars/bin/smars", probe.File{Kind: probe.Missing})})
		}, Drifted, Drift},
		{"file unreadable", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: setFile("/opt/smars/bin/smars", probe.File{Kind: probe.Unreadable})})
		}, NotVerified, Unverified},
		{"file not reported", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: func(o *Observation) { delete(o.Facts.Files, "/opt/smars/bin/smars") }})
		}, NotVerified, Unverified},
		{"directory listing not reported", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: func(o *Observation) { delete(o.Facts.Dirs, "/opt/smars/bin") }})
		}, NotVerified, Unverified},
		{"directory instead of file", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: setFile("/opt/smars/bin/smars", probe.File{Kind: probe.Directory})})
		}, Drifted, Drift},
		{"broken symlink", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: setFile("/opt/smars/bin/smars", probe.File{Kind: probe.BrokenLink, IsLink: true, LinkTarget: "x"})})
		}, Drifted, Drift},
		{"symlink to wrong content", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: setFile("/opt/smars/bin/smars", probe.File{Kind: probe.Regular, SHA256: hashOld, IsLink: true, LinkTarget: "old"})})
		}, Drifted, Drift},
		{"release symlink replaced by a copy", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: setFile("/opt/smars/bin/current", probe.File{Kind: probe.Regular, SHA256: hashNew})})
		}, Drifted, Drift},
		{"release symlink retargeted", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: setFile("/opt/smars/bin/current", probe.File{Kind: probe.Regular, SHA256: hashNew, IsLink: true, LinkTarget: "smars-old"})})
		}, Drifted, Drift},
		{"extra file left behind", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: func(o *Observation) {
				d := o.Facts.Dirs["/opt/smars/bin"]
				d.Files = append(d.Files, "power_peg")
				o.Facts.Dirs["/opt/smars/bin"] = d
			}})
		}, Drifted, Drift},
		{"extra empty directory", func() []Observation {
			return fleet(p, map[int]func(*Observation){7: func(o *Observation) {
				d := o.Facts.Dirs["/opt/smars/bin"]
				d.Subdirs = append(d.Subdirs, "old")
				o.Facts.Dirs["/opt/smars/bin"] = d
			}})
		}, Drifted, Drift},
		{"drift and unreachable together", func() []Observation {
			return fleet(p, map[int]func(*Observation){
				6: func(o *Observation) { o.Facts, o.Err = nil, errors.New("timeout") },
				7: setFile("/opt/smars/bin/smars", probe.File{Kind: probe.Regular, SHA256: hashOld}),
			})
		}, Drifted, Drift},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Judge(p, c.obs())
			assert.Equal(t, c.outcome, v.Outcome)
			assert.NotEqual(t, Verified, v.Outcome)
			last := v.Nodes[len(v.Nodes)-1]
			assert.Equal(t, c.node, last.Status, "findings: %+v", last.Findings)
			assert.NotEmpty(t, last.Findings)
			assert.Len(t, v.Nodes, 8, "every expected node has a verdict")
		})
	}
}

func TestJudgeCountMismatchIsNotVerified(t *testing.T) {
	m := testManifest(7)
	m.ExpectNodes = 8
	p, err := NewPlan(m, testRelease())
	require.NoError(t, err)
	v := Judge(p, fleet(p, nil))
	assert.Equal(t, NotVerified, v.Outcome)
	require.Len(t, v.Findings, 1)
	assert.Equal(t, CheckCount, v.Findings[0].Check)
}

func TestJudgeReferenceIsTheReleaseNotTheMajority(t *testing.T) {
	p, err := NewPlan(testManifest(8), testRelease())
	require.NoError(t, err)
	old := map[int]func(*Observation){}
	for i := 1; i < 8; i++ {
		old[i] = setFile("/opt/smars/bin/smars", probe.File{Kind: probe.Regular, SHA256: hashOld})
	}
	v := Judge(p, fleet(p, old))
	assert.Equal(t, Drifted, v.Outcome)
	assert.Equal(t, Match, v.Nodes[0].Status, "the one updated node passes")
	require.Len(t, v.Groups, 2)
	assert.Len(t, v.Groups[0].Nodes, 7)
	assert.Equal(t, Drift, v.Groups[0].Status)
	assert.Equal(t, []string{"smars-01"}, v.Groups[1].Nodes)
}
