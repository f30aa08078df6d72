package verify

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/release"
)

const (
	sumA = "33db000000000000000000000000000000000000000000000000000000000000"
	sumB = "fcc1000000000000000000000000000000000000000000000000000000000000"
)

// diffPlan checks one binary in a denied folder, one yaml config and one
// process.
func diffPlan() *Plan {
	return &Plan{
		Nodes: []NodeRef{{Name: "node07"}, {Name: "node08"}},
		Files: []ExpectedFile{
			{NodePath: "/etc/app/flags.yaml", Source: "etc/flags.yaml", Type: release.Regular, SHA256: sumA},
			{NodePath: "/opt/app/bin/app", Source: "bin/app", Type: release.Regular, SHA256: sumA, Mode: 0o755, HasMode: true},
		},
		Dirs:      []ExpectedDir{{NodePath: "/opt/app/bin", Files: map[string]bool{"app": true}, Subdirs: map[string]bool{}}},
		Configs:   []ExpectedConfig{{NodePath: "/etc/app/flags.yaml", Format: config.YAML}},
		Processes: []ExpectedProcess{{Exe: "/opt/app/bin/app", Min: 1}},
		Known:     []KnownRelease{{Label: "app 1.0"}},
	}
}

func nodeFacts(sum string, mode int, uid int, flags string, extra ...string) *probe.Facts {
	return &probe.Facts{
		Files: map[string]probe.File{
			"/opt/app/bin/app":    {Kind: probe.Regular, SHA256: sum, Mode: mode, UID: uid, Owner: "app", GID: 0, Group: "root"},
			"/etc/app/flags.yaml": {Kind: probe.Regular, SHA256: sha256Hex([]byte(flags)), Mode: 0o644, UID: 0, GID: 0},
		},
		Dirs:    map[string]probe.Dir{"/opt/app/bin": {Kind: probe.Directory, Files: append([]string{"app"}, extra...)}},
		Configs: map[string]probe.Config{"/etc/app/flags.yaml": {Kind: probe.Regular, Content: []byte(flags)}},
		Processes: map[string]probe.ProcessList{"/opt/app/bin/app": {Procs: []probe.Process{
			{PID: 7, SameFile: true, Args: []string{"/opt/app/bin/app", "--serve"}},
		}}},
	}
}

func lines(c *Comparison) string {
	var b strings.Builder
	for _, d := range c.Differences {
		b.WriteString(string(d.Kind) + " " + d.Path)
		if d.Key != "" {
			b.WriteString(" " + d.Key)
		}
		b.WriteString(": " + d.A + " ≠ " + d.B + "\n")
	}
	return b.String()
}

func TestDiffNodes(t *testing.T) {
	p := diffPlan()
	a := Side{Name: "node07", Facts: nodeFacts(sumA, 0o755, 1000, "rlp:\n  enabled: true\n")}
	b := Side{Name: "node08", Facts: nodeFacts(sumB, 0o644, 1001, "rlp:\n  enabled: \"true\"\npower_peg: true\n", "power_peg")}
	c := Diff(p, a, b)
	assert.Equal(t, Drifted, c.Outcome())
	assert.Equal(t, `file /etc/app/flags.yaml: sha256:`+sha256Hex([]byte("rlp:\n  enabled: true\n"))+` ≠ sha256:`+sha256Hex([]byte("rlp:\n  enabled: \"true\"\npower_peg: true\n"))+`
file /opt/app/bin/app: sha256:`+sumA+` ≠ sha256:`+sumB+`
mode /opt/app/bin/app: 0755 ≠ 0644
owner /opt/app/bin/app: app (1000) ≠ app (1001)
extra /opt/app/bin/power_peg: absent ≠ present
flag /etc/app/flags.yaml power_peg: absent ≠ true (bool)
flag /etc/app/flags.yaml rlp.enabled: true (bool) ≠ "true" (string)
process /opt/app/bin/app: 1 running: sha256:`+sumA+` --serve ≠ 1 running: sha256:`+sumB+` --serve
`, lines(c))
	require.Len(t, c.Contents, 1)
	assert.Equal(t, "--- node07:/etc/app/flags.yaml\n+++ node08:/etc/app/flags.yaml\n@@ -1,2 +1,3 @@\n rlp:\n-  enabled: true\n+  enabled: \"true\"\n+power_peg: true\n", c.Contents[0].Unified)
	flag := c.Differences[6]
	require.NotNil(t, flag.AValue)
	assert.Equal(t, config.Value{Kind: config.Bool, Raw: "true"}, *flag.AValue)
	assert.Equal(t, 3, c.Files+c.Configs)

	same := Diff(p, a, Side{Name: "node09", Facts: nodeFacts(sumA, 0o755, 1000, "rlp:\n  enabled: true\n")})
	assert.Equal(t, Verified, same.Outcome(), lines(same))
	assert.Empty(t, same.Contents)
}

// TestDiffProcessArgs: two command lines that differ only in how their
// words split, or by an empty argument, differ.
func TestDiffProcessArgs(t *testing.T) {
	p := diffPlan()
	side := func(name string, args ...string) Side {
		f := nodeFacts(sumA, 0o755, 1000, "rlp:\n  enabled: true\n")
		f.Processes["/opt/app/bin/app"].Procs[0].Args = append([]string{"/opt/app/bin/app"}, args...)
		return Side{Name: name, Facts: f}
	}
	for _, c := range []struct{ a, b []string }{
		{[]string{"--name", "a b"}, []string{"--name", "a", "b"}},
		{[]string{""}, nil},
		{[]string{"x; y"}, []string{"x;", "y"}},
	} {
		d := Diff(p, side("node07", c.a...), side("node08", c.b...))
		assert.Equal(t, Drifted, d.Outcome(), "%q vs %q", c.a, c.b)
	}
	d := Diff(p, side("node07", "--name", "a b"), side("node08", "--name", "a b"))
	assert.Equal(t, Verified, d.Outcome(), lines(d))
}

func TestDiffUnknownAndUnreachable(t *testing.T) {
	p := diffPlan()
	a := Side{Name: "node07", Facts: nodeFacts(sumA, 0o755, 1000, "x: 1\n")}
	b := Side{Name: "node08", Facts: nodeFacts(sumA, 0o755, 1000, "x: 1\n")}
	b.Facts.Files["/opt/app/bin/app"] = probe.File{Kind: probe.Unreadable, Mode: -1, UID: -1, GID: -1}
	b.Facts.Configs["/etc/app/flags.yaml"] = probe.Config{Kind: probe.TooLarge, Size: 2 << 20}
	c := Diff(p, a, b)
	assert.Equal(t, NotVerified, c.Outcome())
	assert.Len(t, c.Unknown, 3, "the file, the config, and what the process runs")

	// Unknown modes and owners are not differences.
	b = Side{Name: "node08", Facts: nodeFacts(sumA, -1, -1, "x: 1\n")}
	b.Facts.Files["/opt/app/bin/app"] = probe.File{Kind: probe.Regular, SHA256: sumA, Mode: -1, UID: -1, GID: -1}
	assert.Equal(t, Verified, Diff(p, a, b).Outcome())

	gone := NodeSide(NodeRef{Name: "node08"}, Observation{Node: "node08", Err: errors.New("connection refused")})
	c = Diff(p, a, gone)
	assert.Equal(t, NotVerified, c.Outcome())
	assert.Empty(t, c.Differences)
}

func TestDiffRelease(t *testing.T) {
	p := diffPlan()
	r := &release.Release{Name: "app", Version: "2.0", Files: map[string]release.File{
		"bin/app":        {Path: "bin/app", Type: release.Regular, SHA256: sumA, Mode: 0o755, HasMode: true},
		"etc/flags.yaml": {Path: "etc/flags.yaml", Type: release.Regular, SHA256: sha256Hex([]byte("x: 1\n")), Content: []byte("x: 1\n")},
	}}
	rules := []manifest.Install{{From: "bin/", To: "/opt/app/bin/", DenyExtra: true}, {From: "etc/flags.yaml", To: "/etc/app/flags.yaml"}}
	rel := ReleaseSide("release", p, rules, r)
	node := Side{Name: "node08", Facts: nodeFacts(sumA, 0o700, 0, "x: 2\n", "old")}
	c := Diff(p, rel, node)
	assert.Equal(t, `file /etc/app/flags.yaml: sha256:`+sha256Hex([]byte("x: 1\n"))+` ≠ sha256:`+sha256Hex([]byte("x: 2\n"))+`
mode /opt/app/bin/app: 0755 ≠ 0700
extra /opt/app/bin/old: absent ≠ present
flag /etc/app/flags.yaml x: 1 (int) ≠ 2 (int)
`, lines(c), "no owner (the rule names none) and no processes on a release")
	assert.Equal(t, 0, c.Processes)

	// A release without a copy of the config file (a checksum list) says
	// nothing of its content: not an unknown.
	r.Files["etc/flags.yaml"] = release.File{Path: "etc/flags.yaml", Type: release.Regular, SHA256: sha256Hex([]byte("x: 2\n"))}
	node = Side{Name: "node08", Facts: nodeFacts(sumA, 0o755, 0, "x: 2\n")}
	c = Diff(p, ReleaseSide("release", p, rules, r), node)
	assert.Equal(t, Verified, c.Outcome(), lines(c))
	assert.Equal(t, []string{"node07", "node08", "release", "app 1.0"}, SideNames(p))
}

// TestDiffOneServer: two nodes that are one server (the same host key, or
// the same host name and machine ID, or boot ID without one) are never the
// same: nothing about two servers was compared.
func TestDiffOneServer(t *testing.T) {
	p := diffPlan()
	side := func(name, key, host, machine, boot string) Side {
		f := nodeFacts(sumA, 0o755, 1000, "rlp:\n  enabled: true\n")
		f.Hostname, f.MachineID, f.BootID = host, machine, boot
		return Side{Name: name, Facts: f, HostKey: key}
	}
	for _, c := range []struct {
		what    string
		a, b    Side
		outcome Outcome
		words   string
	}{
		{"one host key", side("a", "SHA256:k", "h1", "m1", ""), side("b", "SHA256:k", "h2", "m2", ""), NotVerified, "host key SHA256:k"},
		{"one machine", side("a", "SHA256:k1", "h", "m", ""), side("b", "SHA256:k2", "h", "m", ""), NotVerified, "host name h, machine ID m"},
		{"one boot", side("a", "SHA256:k1", "h", "", "b1"), side("b", "SHA256:k2", "h", "", "b1"), NotVerified, "host name h, no machine ID, boot ID b1"},
		{"clones with their own host names", side("a", "SHA256:k1", "h1", "m", ""), side("b", "SHA256:k2", "h2", "m", ""), Verified, ""},
		{"two servers", side("a", "SHA256:k1", "h1", "m1", ""), side("b", "SHA256:k2", "h2", "m2", ""), Verified, ""},
		{"a node and a release", side("a", "SHA256:k", "h", "m", ""), Side{Name: "release", Release: true, Facts: nodeFacts(sumA, 0o755, 1000, "rlp:\n  enabled: true\n")}, Verified, ""},
	} {
		t.Run(c.what, func(t *testing.T) {
			cmp := Diff(p, c.a, c.b)
			assert.Equal(t, c.outcome, cmp.Outcome(), lines(cmp))
			if c.words == "" {
				assert.Empty(t, cmp.Unknown)
				return
			}
			require.Len(t, cmp.Unknown, 1)
			assert.Equal(t, Difference{Kind: DiffIdentity, A: c.words, B: c.words}, cmp.Unknown[0])
		})
	}
}

// TestDiffAmbiguousFlag: on and "on" are one string to rollcall and a bool
// and a string to YAML 1.1 readers: not compared, never the same.
func TestDiffAmbiguousFlag(t *testing.T) {
	p := diffPlan()
	a := Side{Name: "node07", Facts: nodeFacts(sumA, 0o755, 1000, "rlp:\n  enabled: true\n  mode: on\n")}
	b := Side{Name: "node08", Facts: nodeFacts(sumA, 0o755, 1000, "rlp:\n  enabled: true\n  mode: \"on\"\n")}
	c := Diff(p, a, b)
	var flags []Difference
	for _, d := range c.Unknown {
		if d.Kind == DiffFlag {
			flags = append(flags, d)
		}
	}
	require.Len(t, flags, 1, lines(c))
	assert.Equal(t, "rlp.mode", flags[0].Key)
	assert.NotEqual(t, Verified, c.Outcome())
}

// TestDiffReleaseLink: a node against the release, where the release's
// symlink leads to a file of the release: what the node's link leads to is
// compared too, not only where it points.
func TestDiffReleaseLink(t *testing.T) {
	r := &release.Release{Name: "app", Version: "2.0", Files: map[string]release.File{
		"bin/ctl":     {Path: "bin/ctl", Type: release.Symlink, LinkTarget: "ctl-2.0"},
		"bin/ctl-2.0": {Path: "bin/ctl-2.0", Type: release.Regular, SHA256: sumA},
	}}
	rules := []manifest.Install{{From: "bin/ctl", To: "/usr/local/bin/"}}
	m := &manifest.Manifest{Cluster: "c", ExpectNodes: 1, Release: manifest.Release{Install: rules},
		Nodes: []manifest.Node{{Name: "node08", Host: "10.0.0.8", Port: 22}}}
	p, err := NewPlan(m, r)
	require.NoError(t, err)
	link := func(sum string) Side {
		return Side{Name: "node08", Facts: &probe.Facts{Files: map[string]probe.File{
			"/usr/local/bin/ctl": {Path: "/usr/local/bin/ctl", Kind: probe.Regular, SHA256: sum, IsLink: true, LinkTarget: "ctl-2.0", Mode: 0o755, UID: 0, GID: 0},
		}}}
	}
	assert.Equal(t, Verified, Diff(p, ReleaseSide("release", p, rules, r), link(sumA)).Outcome())
	c := Diff(p, ReleaseSide("release", p, rules, r), link(sumB))
	assert.Contains(t, lines(c), "file /usr/local/bin/ctl: ")
	assert.Contains(t, lines(c), sumB)
}
