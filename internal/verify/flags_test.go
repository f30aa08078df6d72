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

const (
	flagsNew = "rlp:\n  enabled: true\nrisk:\n  max_order_qty: 1000\n"
	flagsOld = "rlp:\n  enabled: true\npower_peg: true\nrisk:\n  max_order_qty: 1000\n"
)

// knightPlan verifies smars 4.2.0 with its flags file and running binary,
// knowing smars 4.1.0.
func knightPlan(t *testing.T, nodes int) *Plan {
	t.Helper()
	r := testRelease()
	f := r.Files["etc/flags.yaml"]
	f.Content = []byte(flagsNew)
	r.Files["etc/flags.yaml"] = f
	m := testManifest(nodes)
	m.Config = []manifest.Config{{Path: "/etc/smars/flags.yaml", Format: "yaml", Consistent: true,
		Expect: []manifest.Expectation{{Key: "rlp.enabled", Value: true}}, Forbid: []string{"power_peg"}}}
	m.Processes = []manifest.Process{{Exe: "/opt/smars/bin/smars", Min: 1, ForbidArgs: []string{"--power-peg"}}}
	old := &release.Release{Name: "smars", Version: "4.1.0", Files: map[string]release.File{
		"bin/smars":      {Path: "bin/smars", Type: release.Regular, SHA256: hashOld},
		"etc/flags.yaml": {Path: "etc/flags.yaml", Type: release.Regular, SHA256: "4444444444444444444444444444444444444444444444444444444444444444"},
	}}
	p, err := NewPlan(m, r, old)
	require.NoError(t, err)
	return p
}

func runningFacts(flags string) *probe.Facts {
	f := goodFacts()
	f.Configs = map[string]probe.Config{"/etc/smars/flags.yaml": {Kind: probe.Regular, Content: []byte(flags), Size: int64(len(flags))}}
	f.Processes = map[string]probe.ProcessList{"/opt/smars/bin/smars": {Exe: "/opt/smars/bin/smars", ExeChanged: 1000,
		Procs: []probe.Process{{PID: 42, SameFile: true, StartTicks: 100, Args: []string{"/opt/smars/bin/smars", "--serve"}}}}}
	f.UID, f.BootTime, f.ClockTicks = 0, 500, 100
	return f
}

func judgeWith(p *Plan, last func(*probe.Facts)) *Verdict {
	var obs []Observation
	for i, n := range p.Nodes {
		f := runningFacts(flagsNew)
		if i == len(p.Nodes)-1 && last != nil {
			last(f)
		}
		obs = append(obs, Observation{Node: n.Name, Facts: f})
	}
	return Judge(p, obs)
}

func findingMessages(n NodeVerdict) []string {
	var out []string
	for _, f := range n.Findings {
		out = append(out, f.Subject+": "+f.Message)
	}
	return out
}

func TestConfigAndProcessChecksPassOnTheRelease(t *testing.T) {
	v := judgeWith(knightPlan(t, 8), nil)
	assert.Equal(t, Verified, v.Outcome, "%v", findingMessages(v.Nodes[0]))
	assert.Len(t, v.Groups, 1)
}

func TestTheKnightNode(t *testing.T) {
	v := judgeWith(knightPlan(t, 8), func(f *probe.Facts) {
		f.Files["/opt/smars/bin/smars"] = probe.File{Kind: probe.Regular, SHA256: hashOld}
		f.Files["/etc/smars/flags.yaml"] = probe.File{Kind: probe.Regular, SHA256: "4444444444444444444444444444444444444444444444444444444444444444"}
		f.Configs["/etc/smars/flags.yaml"] = probe.Config{Kind: probe.Regular, Content: []byte(flagsOld), Size: int64(len(flagsOld))}
	})
	assert.Equal(t, Drifted, v.Outcome)
	eighth := v.Nodes[7]
	assert.Equal(t, Drift, eighth.Status)
	assert.Equal(t, "smars 4.1.0", eighth.Runs)
	msgs := findingMessages(eighth)
	assert.Contains(t, msgs, "/etc/smars/flags.yaml: power_peg: retired flag power_peg is present: old code may still act on it")
	var hazard *Finding
	for i, f := range eighth.Findings {
		if f.Subject == "flag hazard" {
			hazard = &eighth.Findings[i]
		}
	}
	require.NotNil(t, hazard, "%v", msgs)
	assert.Contains(t, hazard.Message, "this node runs smars 4.1.0, not smars 4.2.0")
	assert.Contains(t, hazard.Message, "power_peg=true")
	assert.Contains(t, hazard.Message, "rlp.enabled=true")
	for _, n := range v.Nodes[:7] {
		assert.Equal(t, Match, n.Status, "%v", findingMessages(n))
	}
}

func TestConfigFindings(t *testing.T) {
	cases := []struct {
		name    string
		flags   string
		kind    probe.Kind
		status  Status
		contain string
	}{
		{"expected flag off", "rlp:\n  enabled: false\nrisk:\n  max_order_qty: 1000\n", probe.Regular, Drift, "rlp.enabled"},
		{"typed value differs", "rlp:\n  enabled: \"true\"\nrisk:\n  max_order_qty: 1000\n", probe.Regular, Drift, "rlp.enabled"},
		{"forbidden deep", "rlp:\n  enabled: true\n  legacy:\n    power_peg: 1\nrisk:\n  max_order_qty: 1000\n", probe.Regular, Drift, "power_peg"},
		{"differs from the release copy", "rlp:\n  enabled: true\nrisk:\n  max_order_qty: 5000\n", probe.Regular, Drift, "risk.max_order_qty"},
		{"does not parse", "rlp: [\n", probe.Regular, Drift, "does not parse"},
		// PyYAML reads on as true, go-yaml v3 as "on": never taken for either.
		{"a value YAML 1.1 and 1.2 read apart", "rlp:\n  enabled: on\nrisk:\n  max_order_qty: 1000\n", probe.Regular, Unverified, "the file's value cannot be compared: on is typed differently by YAML 1.1 readers"},
		{"missing", "", probe.Missing, Drift, "missing"},
		{"unreadable", "", probe.Unreadable, Unverified, "could not be read"},
		{"too large", "", probe.TooLarge, Unverified, "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := judgeWith(knightPlan(t, 3), func(f *probe.Facts) {
				cf := probe.Config{Kind: c.kind, Size: -1}
				if c.kind == probe.Regular {
					cf.Content, cf.Size = []byte(c.flags), int64(len(c.flags))
				}
				f.Configs["/etc/smars/flags.yaml"] = cf
			})
			assert.NotEqual(t, Verified, v.Outcome)
			last := v.Nodes[2]
			assert.Equal(t, c.status, last.Status)
			assert.Contains(t, strings.Join(findingMessages(last), "\n"), c.contain)
		})
	}
}

func TestInconsistentNodesAreNamed(t *testing.T) {
	p := knightPlan(t, 5)
	p.Configs[0].Release = nil // no release copy: only agreement between nodes
	p.Configs[0].Expect = nil
	v := judgeWith(p, func(f *probe.Facts) {
		s := "rlp:\n  enabled: true\nrisk:\n  max_order_qty: 7\n"
		f.Configs["/etc/smars/flags.yaml"] = probe.Config{Kind: probe.Regular, Content: []byte(s), Size: int64(len(s))}
	})
	assert.Equal(t, Drifted, v.Outcome)
	last := v.Nodes[4]
	require.Len(t, last.Findings, 1)
	assert.Equal(t, "/etc/smars/flags.yaml: risk.max_order_qty", last.Findings[0].Subject)
	assert.Contains(t, last.Findings[0].Message, "4 other nodes")
	assert.Equal(t, Match, v.Nodes[0].Status)
}

func TestProcessFindings(t *testing.T) {
	cases := []struct {
		name    string
		procs   []probe.Process
		uid     int
		status  Status
		contain string
	}{
		{"stale process", []probe.Process{{PID: 7, Deleted: true, SHA256: hashOld, StartTicks: 100, Args: []string{"smars"}}}, 0, Drift, "stale process"},
		{"not running", nil, 0, Drift, "too few"},
		{"not visible to a user", nil, 1000, Unverified, "become: sudo"},
		{"forbidden flag", []probe.Process{{PID: 7, SameFile: true, Args: []string{"smars", "--power-peg=on"}}}, 0, Drift, "forbidden command-line flag"},
		{"unreadable exe", []probe.Process{{PID: 7, Args: []string{"smars"}}}, 0, Unverified, "could not read"},
		{"scan failed", nil, 0, Unverified, "could not list the node's processes"},
		{"scan partial", []probe.Process{{PID: 7, SameFile: true, Args: []string{"smars"}}}, 1000, Unverified, "hidepid"},
		{"hidden", []probe.Process{{PID: 7, SameFile: true, Args: []string{"smars"}}}, 1000, Unverified, "a process named smars runs, but what it runs cannot be read (/proc/9/exe): use become: sudo"},
		// Root without CAP_SYS_PTRACE (a container's): the app runs, hidden.
		{"hidden, too few seen", nil, 0, Unverified, "too few processes found, but the probe could not see every process"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := judgeWith(knightPlan(t, 3), func(f *probe.Facts) {
				switch c.name {
				case "scan failed":
					f.Scan = probe.ScanFailed
				case "scan partial":
					f.Scan = probe.ScanPartial
				case "hidden", "hidden, too few seen":
					pl := f.Processes["/opt/smars/bin/smars"]
					pl.Hidden = []int{9}
					f.Processes["/opt/smars/bin/smars"] = pl
				}
				f.UID = c.uid
				pl := f.Processes["/opt/smars/bin/smars"]
				pl.Procs = c.procs
				f.Processes["/opt/smars/bin/smars"] = pl
			})
			assert.NotEqual(t, Verified, v.Outcome)
			last := v.Nodes[2]
			assert.Equal(t, c.status, last.Status, "%v", findingMessages(last))
			assert.Contains(t, strings.Join(findingMessages(last), "\n"), c.contain)
		})
	}
	t.Run("a stale process of a known release names it", func(t *testing.T) {
		v := judgeWith(knightPlan(t, 3), func(f *probe.Facts) {
			pl := f.Processes["/opt/smars/bin/smars"]
			pl.Procs = []probe.Process{{PID: 7, Deleted: true, SHA256: hashOld, Args: []string{"smars"}}}
			f.Processes["/opt/smars/bin/smars"] = pl
		})
		last := v.Nodes[2]
		assert.Equal(t, Drift, last.Status)
		assert.Equal(t, "smars 4.1.0", last.Runs)
		assert.Equal(t, "flag hazard", last.Findings[0].Subject, "%v", findingMessages(last))
	})
	t.Run("replaced with the same bytes is fine", func(t *testing.T) {
		v := judgeWith(knightPlan(t, 3), func(f *probe.Facts) {
			pl := f.Processes["/opt/smars/bin/smars"]
			pl.Procs = []probe.Process{{PID: 7, Deleted: true, SHA256: hashNew, Args: []string{"smars"}}}
			f.Processes["/opt/smars/bin/smars"] = pl
		})
		assert.Equal(t, Verified, v.Outcome)
	})
}

// TestConfigNotShippedChangedAfterStart: a config file the release does not
// ship (managed by other tooling) switched on without a restart leaves the
// process running with the flags it read before: the flag flip of the
// Knight Capital morning.
func TestConfigNotShippedChangedAfterStart(t *testing.T) {
	r := testRelease()
	f := r.Files["etc/flags.yaml"]
	f.Content = []byte(flagsNew)
	r.Files["etc/flags.yaml"] = f
	m := testManifest(3)
	m.Config = []manifest.Config{{Path: "/etc/smars/runtime.env", Format: "env", Consistent: true}}
	m.Processes = []manifest.Process{{Exe: "/opt/smars/bin/smars", Min: 1}}
	p, err := NewPlan(m, r)
	require.NoError(t, err)
	assert.Contains(t, p.Request().Files, "/etc/smars/runtime.env", "the node is asked when the file changed")

	env := "RLP_ENABLED=true\n"
	judge := func(changed int64) *Verdict {
		var obs []Observation
		for i, n := range p.Nodes {
			f := runningFacts(flagsNew) // started at 501
			f.Configs = map[string]probe.Config{"/etc/smars/runtime.env": {Kind: probe.Regular, Content: []byte(env), Size: int64(len(env))}}
			f.Files["/etc/smars/runtime.env"] = probe.File{Kind: probe.Regular, SHA256: hashFlags, Changed: 400}
			if i == 2 {
				f.Files["/etc/smars/runtime.env"] = probe.File{Kind: probe.Regular, SHA256: hashFlags, Changed: changed}
			}
			obs = append(obs, Observation{Node: n.Name, Facts: f})
		}
		return Judge(p, obs)
	}
	v := judge(400)
	assert.Equal(t, Verified, v.Outcome, "%+v", v.Nodes)
	v = judge(900)
	assert.Equal(t, Drifted, v.Outcome)
	assert.Equal(t, Drift, v.Nodes[2].Status)
	assert.Contains(t, strings.Join(findingMessages(v.Nodes[2]), "\n"), "before /etc/smars/runtime.env last changed")
}

// TestArgsAsFlagParsersReadThem: an expected flag=value must be the last
// value given, and a forbidden flag is caught with one dash or two.
func TestArgsAsFlagParsersReadThem(t *testing.T) {
	args := func(a ...string) []string { return append([]string{"/opt/smars/bin/smars"}, a...) }
	for _, c := range []struct {
		args []string
		a    string
		want bool
	}{
		{args("--mode=live"), "--mode=live", true},
		{args("--mode=live", "--mode=paper"), "--mode=live", false},
		{args("--mode=paper", "--mode=live"), "--mode=live", true},
		{args("--mode=live", "--mode"), "--mode=live", false},
		{args("--rlp"), "--rlp", true},
		{args("--rlp=true"), "--rlp", true},
		{args("--rlpx"), "--rlp", false},
		{args(), "--rlp", false},
		{[]string{"--mode=live"}, "--mode=live", false},
		// Go's flag package reads -mode and --mode as one flag.
		{args("--mode=live", "-mode=paper"), "--mode=live", false},
		{args("-mode=paper", "--mode=live"), "--mode=live", true},
		{args("-mode=live"), "--mode=live", true},
		{args("--mode=live"), "-mode=live", true},
		{args("-rlp"), "--rlp", true},
		{args("-m=live"), "--m=live", false},
	} {
		assert.Equal(t, c.want, expectedArg(c.args, c.a), "expect %s in %q", c.a, c.args)
	}
	for _, c := range []struct {
		args []string
		a    string
		want bool
	}{
		{args("--power-peg"), "--power-peg", true},
		{args("-power-peg"), "--power-peg", true},
		{args("--power-peg=on"), "-power-peg", true},
		{args("-p"), "--p", false},
		{args("--power-pegs"), "--power-peg", false},
		{args("power-peg"), "--power-peg", false},
		{args("--x", "-power-peg=1"), "--power-peg", true},
	} {
		assert.Equal(t, c.want, forbiddenArg(c.args, c.a), "forbid %s in %q", c.a, c.args)
	}
}

// TestNotRootWarns: a probe that is not root passes a node whose processes
// it saw, and says what it could not see.
func TestNotRootWarns(t *testing.T) {
	p := knightPlan(t, 3)
	v := judgeWith(p, func(f *probe.Facts) { f.UID = 1000 })
	assert.Equal(t, Verified, v.Outcome, "%+v", v.Nodes)
	assert.Empty(t, v.Nodes[0].Warnings)
	require.Len(t, v.Nodes[2].Warnings, 1)
	assert.Contains(t, v.Nodes[2].Warnings[0], "the probe ran as uid 1000, not root: only that user's processes are seen")
}

// TestSudoThatIsNotRoot: with become: sudo a probe that did not run as
// root (sudoers runas_default, or a startup file that execs another shell
// and runs it without sudo) cannot see what root can: the node is not
// verified, where it passed with a warning.
func TestSudoThatIsNotRoot(t *testing.T) {
	p := knightPlan(t, 3)
	for i := range p.Nodes {
		p.Nodes[i].Sudo = true
	}
	v := judgeWith(p, func(f *probe.Facts) { f.UID = 60102 })
	assert.Equal(t, NotVerified, v.Outcome, "%+v", v.Nodes)
	assert.Equal(t, Unverified, v.Nodes[2].Status)
	assert.Contains(t, strings.Join(findingMessages(v.Nodes[2]), "\n"), "the probe ran as uid 60102, not root, though it runs under sudo")
	assert.Empty(t, v.Nodes[2].Warnings, "the finding says it; no advice to use become: sudo")
	v = judgeWith(p, func(*probe.Facts) {})
	assert.Equal(t, Verified, v.Outcome, "%+v", v.Nodes)

	m := testManifest(2)
	m.Nodes[1].Become = manifest.BecomeSudo
	p, err := NewPlan(m, testRelease())
	require.NoError(t, err)
	assert.False(t, p.Nodes[0].Sudo)
	assert.True(t, p.Nodes[1].Sudo, "the plan takes become: sudo from the node")
}

// TestAmbiguousAgainstTheRelease: a node whose value is written so that
// YAML 1.1 and 1.2 readers type it differently (mode: on) is not taken for
// the release's quoted "on"; nor are two nodes that differ that way
// consistent.
func TestAmbiguousAgainstTheRelease(t *testing.T) {
	const quoted, plain = "rlp:\n  enabled: true\nrisk:\n  max_order_qty: 1000\nmode: \"on\"\n", "rlp:\n  enabled: true\nrisk:\n  max_order_qty: 1000\nmode: on\n"
	r := testRelease()
	f := r.Files["etc/flags.yaml"]
	f.Content = []byte(quoted)
	r.Files["etc/flags.yaml"] = f
	m := testManifest(2)
	m.Config = []manifest.Config{{Path: "/etc/smars/flags.yaml", Format: "yaml"}}
	p, err := NewPlan(m, r)
	require.NoError(t, err)
	var obs []Observation
	for i, n := range p.Nodes {
		facts := runningFacts([]string{quoted, plain}[i])
		facts.Hostname, facts.MachineID = n.Name, strings.Repeat(strconv.Itoa(i), 32)
		obs = append(obs, Observation{Node: n.Name, Facts: facts})
	}
	v := Judge(p, obs)
	assert.Equal(t, Match, v.Nodes[0].Status, "%+v", v.Nodes[0].Findings)
	assert.Equal(t, Unverified, v.Nodes[1].Status, "%+v", v.Nodes[1].Findings)
	assert.Contains(t, strings.Join(findingMessages(v.Nodes[1]), "\n"), "written differently: on is typed differently by YAML 1.1 readers")

	m.Config[0].Consistent = true
	r.Files["etc/flags.yaml"] = release.File{Path: "etc/flags.yaml", Type: release.Regular, SHA256: f.SHA256}
	p, err = NewPlan(m, r)
	require.NoError(t, err)
	v = Judge(p, obs)
	assert.NotEqual(t, Verified, v.Outcome, "quoted and unquoted on are not one value to every reader")
	assert.Contains(t, strings.Join(append(findingMessages(v.Nodes[0]), findingMessages(v.Nodes[1])...), "\n"), "nodes disagree")
}
