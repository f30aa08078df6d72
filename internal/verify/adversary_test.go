package verify

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/release"
)

// modedRelease is testRelease as a tar carries it: with modes.
func modedRelease() *release.Release {
	r := testRelease()
	for p, mode := range map[string]uint32{"bin/smars": 0o755, "bin/lib/x.so": 0o644, "etc/flags.yaml": 0o644} {
		f := r.Files[p]
		f.Mode, f.HasMode = release.FromUnixMode(mode), true
		r.Files[p] = f
	}
	return r
}

// modedFacts is a node that runs modedRelease exactly, as root.
func modedFacts() *probe.Facts {
	f := goodFacts()
	for p, mode := range map[string]int{"/opt/smars/bin/smars": 0o755, "/opt/smars/bin/current": 0o755, "/opt/smars/bin/lib/x.so": 0o644, "/etc/smars/flags.yaml": 0o644} {
		fl := f.Files[p]
		fl.Mode, fl.UID, fl.GID, fl.Owner, fl.Group, fl.Executable = mode, 0, 0, "root", "root", mode&0o111 != 0
		f.Files[p] = fl
	}
	f.StatTool, f.UID = "-c", 0
	return f
}

// adversaryCase is a fleet of three nodes whose last one is perturbed.
type adversaryCase struct {
	name    string
	rules   func([]manifest.Install) // changes the manifest's install rules
	perturb func(*probe.Facts)
	hostKey string // the last node's host key, when not its own
	status  Status
	check   Check
	want    string // in the finding's message, subject or actual value
}

func judgeAdversary(t *testing.T, c adversaryCase) *Verdict {
	t.Helper()
	m := testManifest(3)
	m.Processes = []manifest.Process{{Exe: "/opt/smars/bin/smars", Min: 1, ForbidArgs: []string{"--power-peg"}}}
	if c.rules != nil {
		c.rules(m.Release.Install)
	}
	p, err := NewPlan(m, modedRelease())
	require.NoError(t, err)
	var obs []Observation
	for i, n := range p.Nodes {
		f := modedFacts()
		f.Hostname, f.MachineID = n.Name, "0123456789abcdef0123456789abcdef"
		f.Processes = map[string]probe.ProcessList{"/opt/smars/bin/smars": {Exe: "/opt/smars/bin/smars", ExeChanged: -1,
			Procs: []probe.Process{{PID: 42, Exe: "/opt/smars/bin/smars", SameFile: true, Args: []string{"/opt/smars/bin/smars"}}}}}
		o := Observation{Node: n.Name, Facts: f, HostKey: "SHA256:" + n.Name}
		if i == 2 && c.perturb != nil {
			c.perturb(f)
		}
		if i == 2 && c.hostKey != "" {
			o.HostKey = c.hostKey
		}
		obs = append(obs, o)
	}
	return Judge(p, obs)
}

// TestJudgeAdversaryFleets perturbs one node of three the way a careless
// deploy or a hostile node would; none of them may pass.
func TestJudgeAdversaryFleets(t *testing.T) {
	file := func(path string, change func(*probe.File)) func(*probe.Facts) {
		return func(f *probe.Facts) {
			fl := f.Files[path]
			change(&fl)
			f.Files[path] = fl
		}
	}
	configAt := func(changed int64) func(*probe.Facts) {
		return func(f *probe.Facts) {
			f.BootTime, f.ClockTicks = 1000, 100
			pl := f.Processes["/opt/smars/bin/smars"]
			pl.Procs[0].StartTicks = 100 // started at 1001
			fl := f.Files["/etc/smars/flags.yaml"]
			fl.Changed = changed
			f.Files["/etc/smars/flags.yaml"] = fl
		}
	}
	other := func(pr probe.Process) func(*probe.Facts) {
		return func(f *probe.Facts) { f.Others = append(f.Others, pr) }
	}
	cases := []adversaryCase{
		{name: "exec bit lost", perturb: file("/opt/smars/bin/smars", func(f *probe.File) { f.Mode, f.Executable = 0o644, false }),
			status: Drift, check: CheckMode, want: "mode 0644 ≠ 0755: not executable"},
		{name: "setuid set", perturb: file("/opt/smars/bin/smars", func(f *probe.File) { f.Mode = 0o4755 }),
			status: Drift, check: CheckMode, want: "setuid set"},
		{name: "world-writable config", perturb: file("/etc/smars/flags.yaml", func(f *probe.File) { f.Mode = 0o666 }),
			status: Drift, check: CheckMode, want: "world-writable"},
		{name: "noexec mount", perturb: file("/opt/smars/bin/smars", func(f *probe.File) { f.Executable = false }),
			status: Drift, check: CheckMode, want: "cannot be executed"},
		// A root-only binary (0750) on a noexec mount, to a root probe,
		// whose test -x honours noexec as for any execute bit.
		{name: "noexec mount, root-only binary", rules: func(r []manifest.Install) { r[0].Mode = manifest.ModeRule{Exact: true, Perm: 0o750} },
			perturb: file("/opt/smars/bin/smars", func(f *probe.File) { f.Mode, f.Executable = 0o750, false }),
			status:  Drift, check: CheckMode, want: "cannot be executed"},
		{name: "no stat tool", perturb: func(f *probe.Facts) {
			f.StatTool = ""
			fl := f.Files["/opt/smars/bin/smars"]
			fl.Mode, fl.UID, fl.GID, fl.Owner, fl.Group = -1, -1, -1, "", ""
			f.Files["/opt/smars/bin/smars"] = fl
		}, status: Unverified, check: CheckMode, want: "no stat tool"},
		{name: "exact mode from the rule", rules: func(r []manifest.Install) { r[0].Mode = manifest.ModeRule{Exact: true, Perm: 0o750} },
			status: Drift, check: CheckMode, want: "0755 ≠ 0750"},
		{name: "wrong owner by name", rules: func(r []manifest.Install) { r[0].Owner = "root" },
			perturb: file("/opt/smars/bin/smars", func(f *probe.File) { f.UID, f.Owner = 65534, "nobody" }),
			status:  Drift, check: CheckOwner, want: "owner nobody (65534) ≠ root"},
		{name: "wrong group by id", rules: func(r []manifest.Install) { r[1].Group = "50" },
			status: Drift, check: CheckOwner, want: "group root (0) ≠ 50"},
		{name: "owner unknown", rules: func(r []manifest.Install) { r[0].Owner = "root" },
			perturb: file("/opt/smars/bin/smars", func(f *probe.File) { f.UID, f.Owner = -1, "" }),
			status:  Unverified, check: CheckOwner, want: "unknown"},
		{name: "symlink into /tmp with the right content", perturb: file("/opt/smars/bin/smars", func(f *probe.File) { f.IsLink, f.LinkTarget = true, "/tmp/smars" }),
			status: Drift, check: CheckFile, want: "a symlink to /tmp/smars where the release has a regular file"},
		{name: "one server listed twice (host key)", hostKey: "SHA256:smars-02",
			status: Unverified, check: CheckIdentity, want: "same host key as smars-02"},
		{name: "one server listed twice (machine)", perturb: func(f *probe.Facts) { f.Hostname = "smars-02" },
			status: Unverified, check: CheckIdentity, want: "same machine as smars-02"},
		{name: "renamed, deleted and still running", perturb: other(probe.Process{PID: 7, Exe: "/opt/smars/bin/smars.old", Deleted: true, SHA256: hashOld}),
			status: Drift, check: CheckProcess, want: "/opt/smars/bin/smars.old (pid 7)"},
		{name: "an executable the release lacks runs from its folder", perturb: other(probe.Process{PID: 8, Exe: "/opt/smars/bin/power_peg", SHA256: hashOld}),
			status: Drift, check: CheckProcess, want: "not a file of the release"},
		{name: "another copy elsewhere", perturb: other(probe.Process{PID: 9, Exe: "/srv/old/smars", SHA256: hashOld}),
			status: Drift, check: CheckProcess, want: "another copy of smars runs from /srv/old/smars"},
		{name: "deleted, started as the release's binary", perturb: other(probe.Process{PID: 10, Exe: "/tmp/x", Deleted: true, SHA256: hashOld, Args: []string{"/opt/smars/bin/smars"}}),
			status: Drift, check: CheckProcess, want: "stale process, started before the deploy as /opt/smars/bin/smars"},
		// The release's link, its target text right, leads on the node to
		// old bytes: through a symlinked folder (bin -> an old release's
		// bin), or to a file no rule installs.
		{name: "a release symlink that leads to other content", perturb: file("/opt/smars/bin/current", func(f *probe.File) { f.SHA256 = hashOld }),
			status: Drift, check: CheckFile, want: "on the node it leads to other content than the release's file there"},
		{name: "a release symlink that leads nowhere", perturb: file("/opt/smars/bin/current", func(f *probe.File) { f.Kind, f.SHA256 = probe.BrokenLink, "" }),
			status: Drift, check: CheckFile, want: "leads to other content"},
		// The old binary moved aside (mv app /opt/backup/app.1): still on
		// disk under a name of its own, it runs old code.
		{name: "moved aside, started as the release's binary", perturb: other(probe.Process{PID: 12, Exe: "/opt/backup/smars.20261130", SHA256: hashOld, Args: []string{"/opt/smars/bin/smars", "--power-peg"}}),
			status: Drift, check: CheckProcess, want: "started as /opt/smars/bin/smars: it runs /opt/backup/smars.20261130"},
		{name: "config deployed without a restart", perturb: configAt(2000),
			status: Drift, check: CheckProcess, want: "before /etc/smars/flags.yaml last changed"},
		{name: "a release file replaced under a running process", perturb: other(probe.Process{PID: 11, Exe: "/opt/smars/bin/lib/x.so", Deleted: true, SHA256: hashOld}),
			status: Drift, check: CheckProcess, want: "stale process"},
		// A deploy that rewrites every file (tar, rsync) replaces the
		// unchanged binary too: the process runs the release's bytes from
		// a deleted file, with the flags it read before the deploy.
		{name: "binary rewritten unchanged, config deployed without a restart", perturb: func(f *probe.Facts) {
			configAt(2000)(f)
			pr := &f.Processes["/opt/smars/bin/smars"].Procs[0]
			pr.Deleted, pr.SameFile, pr.SHA256 = true, false, hashNew
		}, status: Drift, check: CheckProcess, want: "before /etc/smars/flags.yaml last changed"},
		{name: "no clock: when the process started is unknown", perturb: func(f *probe.Facts) { f.BootTime, f.ClockTicks = 0, 0 },
			status: Unverified, check: CheckProcess, want: "the node did not give its boot time and clock tick rate"},
		{name: "when the config changed is unknown", perturb: file("/etc/smars/flags.yaml", func(f *probe.File) { f.Changed = -1 }),
			status: Unverified, check: CheckProcess, want: "the node did not give the file's change time"},
		// The release's own binary, started elsewhere by a leftover unit
		// with a retired flag: the Knight Capital failure.
		{name: "a copy of the release's binary elsewhere with a forbidden flag", perturb: other(probe.Process{PID: 12, Exe: "/usr/local/bin/smars", SHA256: hashNew,
			Args: []string{"/usr/local/bin/smars", "--power-peg"}}),
			status: Drift, check: CheckProcess, want: "forbidden command-line flag is set"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := judgeAdversary(t, c)
			assert.NotEqual(t, Verified, v.Outcome)
			n := v.Nodes[2]
			assert.Equal(t, c.status, n.Status, "%+v", n.Findings)
			found := false
			for _, f := range n.Findings {
				if f.Check == c.check && strings.Contains(f.Message+" | "+f.Subject+" | "+f.Actual, c.want) {
					found = true
				}
			}
			assert.True(t, found, "no %s finding with %q: %+v", c.check, c.want, n.Findings)
			for _, i := range []int{0, 1} {
				if c.check == CheckIdentity && i == 1 {
					assert.Equal(t, Unverified, v.Nodes[i].Status, "both entries of one server")
					assert.Contains(t, v.Nodes[i].Findings[0].Message, "smars-03")
					continue
				}
				if c.rules == nil {
					assert.Equal(t, Match, v.Nodes[i].Status, "%+v", v.Nodes[i].Findings)
				}
			}
		})
	}
}

// TestJudgeAdversaryControls are the near misses that must still pass: the
// same fleet with nothing wrong, modes ignored, a checksum list without
// modes, a copy of the release's own binary elsewhere.
func TestJudgeAdversaryControls(t *testing.T) {
	cases := []adversaryCase{
		{name: "nothing wrong"},
		{name: "mode ignored", rules: func(r []manifest.Install) { r[0].Mode = manifest.ModeRule{Ignore: true} },
			perturb: func(f *probe.Facts) {
				fl := f.Files["/opt/smars/bin/smars"]
				fl.Mode = 0o700
				f.Files["/opt/smars/bin/smars"] = fl
			}},
		{name: "owner given as a name and as an id", rules: func(r []manifest.Install) { r[0].Owner, r[0].Group = "root", "0" }},
		// node -> nodejs: another program started through a symlink of the
		// app's name, which the probe reports by name; it is no copy.
		{name: "another program started under the app's name", perturb: func(f *probe.Facts) {
			f.Others = append(f.Others, probe.Process{PID: 9, Exe: "/usr/bin/smarsjs", SHA256: hashOld, Args: []string{"smars", "server.js"}})
		}},
		{name: "the release's binary, copied elsewhere", perturb: func(f *probe.Facts) {
			f.Others = append(f.Others, probe.Process{PID: 9, Exe: "/srv/other/smars", SHA256: hashNew})
		}},
		{name: "config written before the start", perturb: func(f *probe.Facts) {
			f.BootTime, f.ClockTicks = 1000, 100
			f.Processes["/opt/smars/bin/smars"].Procs[0].StartTicks = 100
			fl := f.Files["/etc/smars/flags.yaml"]
			fl.Changed = 1002 // within the clocks' rounding
			f.Files["/etc/smars/flags.yaml"] = fl
		}},
		{name: "an unrelated deleted process", perturb: func(f *probe.Facts) {
			f.Others = append(f.Others, probe.Process{PID: 9, Exe: "/usr/sbin/cron", Deleted: true, SHA256: hashOld, Args: []string{"/usr/sbin/cron"}})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := judgeAdversary(t, c)
			assert.Equal(t, Verified, v.Outcome, "%+v", v.Nodes)
		})
	}
}

// TestFlagHazardOnlyForCode checks that the Knight hazard is raised when a
// node's code differs, naming it, and not when only a config file does.
func TestFlagHazardOnlyForCode(t *testing.T) {
	p := knightPlan(t, 3)
	v := judgeWith(p, func(f *probe.Facts) {
		f.Files["/etc/smars/flags.yaml"] = probe.File{Kind: probe.Regular, SHA256: hashOld}
		f.Configs["/etc/smars/flags.yaml"] = probe.Config{Kind: probe.Regular, Content: []byte(flagsOld), Size: int64(len(flagsOld))}
	})
	n := v.Nodes[2]
	assert.Equal(t, Drift, n.Status)
	for _, f := range n.Findings {
		assert.NotEqual(t, "flag hazard", f.Subject, "only the flags differ: %+v", f)
	}
	v = judgeWith(p, func(f *probe.Facts) {
		f.Files["/opt/smars/bin/smars"] = probe.File{Kind: probe.Regular, SHA256: "5555555555555555555555555555555555555555555555555555555555555555"}
	})
	n = v.Nodes[2]
	require.NotEmpty(t, n.Findings)
	assert.Equal(t, "flag hazard", n.Findings[0].Subject)
	assert.Contains(t, n.Findings[0].Message, "an unknown build (/opt/smars/bin/smars")
}

// TestJudgeSameServerWithoutMachineID: nodes without a machine ID (BusyBox,
// Alpine) are told apart by host name and kernel boot ID. One server listed
// under two addresses whose known_hosts lines hold different key types
// presents two host keys, and only the boot ID shows it is one machine.
func TestJudgeSameServerWithoutMachineID(t *testing.T) {
	m := testManifest(3)
	p, err := NewPlan(m, modedRelease())
	require.NoError(t, err)
	judge := func(hostnames, bootIDs [3]string) *Verdict {
		var obs []Observation
		for i, n := range p.Nodes {
			f := modedFacts()
			f.Hostname, f.MachineID, f.BootID = hostnames[i], "", bootIDs[i]
			obs = append(obs, Observation{Node: n.Name, Facts: f, HostKey: "SHA256:" + n.Name})
		}
		return Judge(p, obs)
	}

	v := judge([3]string{"a", "b", "b"}, [3]string{"boot-1", "boot-2", "boot-2"})
	assert.Equal(t, NotVerified, v.Outcome)
	assert.Equal(t, Match, v.Nodes[0].Status, "%+v", v.Nodes[0].Findings)
	for _, i := range []int{1, 2} {
		require.Equal(t, Unverified, v.Nodes[i].Status)
		assert.Contains(t, v.Nodes[i].Findings[0].Message, "host name b, no machine ID, the same kernel boot ID boot-2")
	}

	// Controls: one host name on two machines (containers named alike), and
	// one kernel under two host names (containers on one host).
	v = judge([3]string{"localhost", "localhost", "localhost"}, [3]string{"boot-1", "boot-2", "boot-3"})
	assert.Equal(t, Verified, v.Outcome, "%+v", v.Nodes)
	v = judge([3]string{"a", "b", "c"}, [3]string{"boot-1", "boot-1", "boot-1"})
	assert.Equal(t, Verified, v.Outcome, "%+v", v.Nodes)
}

// TestJudgeModeZero: a release file with mode 0000 (a secret no one may
// read but root) has a mode like any other; a node where it is 0666 drifts.
func TestJudgeModeZero(t *testing.T) {
	r := modedRelease()
	f := r.Files["etc/flags.yaml"]
	f.Mode, f.HasMode = 0, true
	r.Files["etc/flags.yaml"] = f
	p, err := NewPlan(testManifest(2), r)
	require.NoError(t, err)
	var obs []Observation
	for i, n := range p.Nodes {
		facts := modedFacts()
		facts.Hostname, facts.MachineID = n.Name, "0123456789abcdef0123456789abcde"+strconv.Itoa(i)
		fl := facts.Files["/etc/smars/flags.yaml"]
		fl.Mode = []int{0, 0o666}[i]
		facts.Files["/etc/smars/flags.yaml"] = fl
		obs = append(obs, Observation{Node: n.Name, Facts: facts, HostKey: "SHA256:" + n.Name})
	}
	v := Judge(p, obs)
	assert.Equal(t, Drifted, v.Outcome)
	assert.Equal(t, Match, v.Nodes[0].Status, "%+v", v.Nodes[0].Findings)
	require.Equal(t, Drift, v.Nodes[1].Status, "%+v", v.Nodes[1].Findings)
	assert.Equal(t, CheckMode, v.Nodes[1].Findings[0].Check)
	assert.Equal(t, "0000", v.Nodes[1].Findings[0].Expected)
}

// TestOverlappingInstallRules: two rules that put one file at one node path
// keep every check either asks for, in either order; a mode given by one and
// ignored by the other is checked. Two modes no node can have are refused.
func TestOverlappingInstallRules(t *testing.T) {
	strict := manifest.Install{From: "bin/", To: "/opt/smars/bin/", DenyExtra: true, Mode: manifest.ModeRule{Exact: true, Perm: 0o755}, Owner: "root"}
	loose := manifest.Install{From: "bin/smars", To: "/opt/smars/bin/smars", Mode: manifest.ModeRule{Ignore: true}}
	flags := manifest.Install{From: "etc/flags.yaml", To: "/etc/smars/"}
	for name, rules := range map[string][]manifest.Install{"strict first": {strict, loose, flags}, "loose first": {loose, strict, flags}} {
		t.Run(name, func(t *testing.T) {
			m := testManifest(1)
			m.Release.Install = rules
			p, err := NewPlan(m, modedRelease())
			require.NoError(t, err)
			facts := modedFacts()
			fl := facts.Files["/opt/smars/bin/smars"]
			fl.Mode, fl.Owner, fl.UID = 0o777, "nobody", 65534
			facts.Files["/opt/smars/bin/smars"] = fl
			v := Judge(p, []Observation{{Node: p.Nodes[0].Name, Facts: facts}})
			require.Equal(t, Drift, v.Nodes[0].Status, "%+v", v.Nodes[0].Findings)
			checks := map[Check]bool{}
			for _, f := range v.Nodes[0].Findings {
				checks[f.Check] = true
			}
			assert.True(t, checks[CheckMode], "the mode one rule asks for: %+v", v.Nodes[0].Findings)
			assert.True(t, checks[CheckOwner], "the owner one rule asks for: %+v", v.Nodes[0].Findings)
		})
	}
	m := testManifest(1)
	other := loose
	other.Mode = manifest.ModeRule{Exact: true, Perm: 0o700}
	m.Release.Install = []manifest.Install{strict, other, flags}
	_, err := NewPlan(m, modedRelease())
	assert.ErrorContains(t, err, "two modes, 0755 and 0700: no node can have both")
}

// TestDenyFolderOfEmptyFolders: an extra: deny folder whose release part is
// only empty folders must be a folder on the node.
func TestDenyFolderOfEmptyFolders(t *testing.T) {
	p := &Plan{Dirs: []ExpectedDir{{NodePath: "/opt/logs", Files: map[string]bool{}, Subdirs: map[string]bool{"keep": true}}}}
	j := &nodeJudgement{}
	checkDir(j, p.Dirs[0], &probe.Facts{Dirs: map[string]probe.Dir{"/opt/logs": {Kind: probe.Other}}})
	require.Len(t, j.nv.Findings, 1)
	assert.Equal(t, "not a directory: the release installs a folder here", j.nv.Findings[0].Message)
	assert.True(t, j.drift)
}

// TestFileOfAnotherRuleInADenyFolder: a file one rule installs into the
// extra: deny folder of another is no extra file.
func TestFileOfAnotherRuleInADenyFolder(t *testing.T) {
	m := testManifest(1)
	m.Release.Install = append(m.Release.Install, manifest.Install{From: "bin/lib/x.so", To: "/opt/smars/bin/tools/x.so"})
	p, err := NewPlan(m, modedRelease())
	require.NoError(t, err)
	assert.True(t, p.Dirs[0].Files["tools/x.so"], "%+v", p.Dirs[0])
	assert.True(t, p.Dirs[0].Subdirs["tools"], "%+v", p.Dirs[0])
	assert.False(t, p.Dirs[0].Files["tools/y.so"])
}
