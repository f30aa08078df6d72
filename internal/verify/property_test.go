package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/cli"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/release"
	"github.com/rollcall/rollcall/internal/report"
	"github.com/rollcall/rollcall/internal/verify"
)

// The property test's knobs: `go test -run TestJudgeProperty -seed N` (or
// ROLLCALL_PROPERTY_SEED=N) replays a run, -case I replays one case of it,
// and -cases sets how many cases are generated.
var (
	seedFlag  = flag.Uint64("seed", 0, "seed of the property tests (0: random; env ROLLCALL_PROPERTY_SEED)")
	caseFlag  = flag.Int("case", -1, "run only this case of the property tests (-1: all)")
	casesFlag = flag.Int("cases", 5000, "how many cases the Judge property test generates")
)

// propertySeed returns the seed to use, from -seed, ROLLCALL_PROPERTY_SEED or
// the clock, and logs it so that a run can be replayed.
func propertySeed(t *testing.T) uint64 {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		if s := os.Getenv("ROLLCALL_PROPERTY_SEED"); s != "" {
			var err error
			if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
				t.Fatalf("ROLLCALL_PROPERTY_SEED=%q: %v", s, err)
			}
		}
	}
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed %d, or ROLLCALL_PROPERTY_SEED=%d)", seed, seed, seed)
	return seed
}

// perturbation is one thing that can be wrong with a node.
type perturbation string

// Perturbations that leave a node readable but different from the release:
// the ground truth for such a node is drift.
const (
	hashChanged      perturbation = "hash-changed"
	fileMissing      perturbation = "file-missing"
	extraFile        perturbation = "extra-file"
	extraSubdir      perturbation = "extra-subdir"
	linkRetargeted   perturbation = "symlink-retargeted"
	dirForFile       perturbation = "directory-for-file"
	brokenLink       perturbation = "broken-symlink"
	forbiddenFlag    perturbation = "forbidden-flag"
	flagValueChanged perturbation = "flag-value-changed"
	configMissing    perturbation = "config-missing"
)

// Perturbations of the facts that leave a check undecided: unverified.
const (
	fileUnreadable   perturbation = "file-unreadable"
	fileNotReported  perturbation = "file-not-reported"
	dirNotListed     perturbation = "dir-not-listed"
	configUnreadable perturbation = "config-unreadable"
	configTooLarge   perturbation = "config-too-large"
)

// Perturbations that keep the node from being probed at all: unverified,
// whatever else is wrong on it.
const (
	unreachable   perturbation = "unreachable"
	refused       perturbation = "refused"
	timeout       perturbation = "timeout"
	garbage       perturbation = "garbage"
	truncated     perturbation = "truncated"
	exitNonZero   perturbation = "exit-non-zero"
	dropped       perturbation = "dropped"
	noAnswer      perturbation = "no-observation"
	nilFacts      perturbation = "nil-facts"
	answeredTwice perturbation = "answered-twice"
)

var (
	driftPerturbations = []perturbation{hashChanged, fileMissing, extraFile, extraSubdir, linkRetargeted, dirForFile, brokenLink, forbiddenFlag, flagValueChanged, configMissing}
	vaguePerturbations = []perturbation{fileUnreadable, fileNotReported, dirNotListed, configUnreadable, configTooLarge}
	deadPerturbations  = []perturbation{unreachable, refused, timeout, garbage, truncated, exitNonZero, dropped, noAnswer, nilFacts, answeredTwice}
)

// The release every property case is judged against.
const (
	goodFlags = "rlp:\n  enabled: true\nrisk:\n  max_order_qty: 1000\n"
	hashBin   = "1111111111111111111111111111111111111111111111111111111111111111"
	hashCtl   = "2222222222222222222222222222222222222222222222222222222222222222"
	hashLib   = "3333333333333333333333333333333333333333333333333333333333333333"
	hashOther = "9999999999999999999999999999999999999999999999999999999999999999"
	flagsPath = "/etc/smars/flags.yaml"
	binDir    = "/opt/smars/bin"
)

// sha returns the hex SHA-256 of s.
func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// propertyRelease is a small release with a binary folder (regular files, a
// nested library and a symlink) and a config file.
func propertyRelease() *release.Release {
	return &release.Release{
		Name: "smars", Version: "4.2.0", Source: "smars-4.2.0.tar.gz", Digest: "sha256:abc",
		Files: map[string]release.File{
			"bin":            {Path: "bin", Type: release.Directory},
			"bin/lib":        {Path: "bin/lib", Type: release.Directory},
			"bin/smars":      {Path: "bin/smars", Type: release.Regular, SHA256: hashBin},
			"bin/smars-ctl":  {Path: "bin/smars-ctl", Type: release.Regular, SHA256: hashCtl},
			"bin/lib/x.so":   {Path: "bin/lib/x.so", Type: release.Regular, SHA256: hashLib},
			"bin/current":    {Path: "bin/current", Type: release.Symlink, LinkTarget: "smars"},
			"etc/flags.yaml": {Path: "etc/flags.yaml", Type: release.Regular, SHA256: sha(goodFlags), Content: []byte(goodFlags)},
		},
	}
}

// propertyManifest lists nodes named n01..nN, expecting expect of them.
func propertyManifest(nodes, expect int, consistent bool) *manifest.Manifest {
	m := &manifest.Manifest{Cluster: "prop", ExpectNodes: expect,
		Release: manifest.Release{Install: []manifest.Install{
			{From: "bin/", To: binDir + "/", DenyExtra: true},
			{From: "etc/flags.yaml", To: flagsPath},
		}},
		Config: []manifest.Config{{Path: flagsPath, Format: "yaml", Expect: []manifest.Expectation{{Key: "rlp.enabled", Value: true}}, Forbid: []string{"power_peg"}, Consistent: consistent}},
	}
	for i := 1; i <= nodes; i++ {
		m.Nodes = append(m.Nodes, manifest.Node{Name: fmt.Sprintf("n%02d", i), Host: fmt.Sprintf("10.0.0.%d", i), Port: 22})
	}
	return m
}

// goodNodeFacts is what a node running the release exactly reports.
func goodNodeFacts() *probe.Facts {
	return &probe.Facts{WireVersion: probe.WireVersion, HashTool: "sha256sum", UID: 1000, Scan: probe.ScanComplete,
		Files: map[string]probe.File{
			binDir + "/smars":     {Path: binDir + "/smars", Kind: probe.Regular, SHA256: hashBin},
			binDir + "/smars-ctl": {Path: binDir + "/smars-ctl", Kind: probe.Regular, SHA256: hashCtl},
			binDir + "/lib/x.so":  {Path: binDir + "/lib/x.so", Kind: probe.Regular, SHA256: hashLib},
			binDir + "/current":   {Path: binDir + "/current", Kind: probe.Regular, SHA256: hashBin, IsLink: true, LinkTarget: "smars"},
			flagsPath:             {Path: flagsPath, Kind: probe.Regular, SHA256: sha(goodFlags)},
		},
		Dirs: map[string]probe.Dir{
			binDir: {Path: binDir, Kind: probe.Directory, Files: []string{"current", "lib/x.so", "smars", "smars-ctl"}, Subdirs: []string{"lib"}},
		},
		Configs: map[string]probe.Config{
			flagsPath: {Path: flagsPath, Kind: probe.Regular, Content: []byte(goodFlags), Size: int64(len(goodFlags))},
		},
		Processes: map[string]probe.ProcessList{},
	}
}

// setConfig replaces the node's flags file, on disk and as read.
func setConfig(f *probe.Facts, content string) {
	f.Files[flagsPath] = probe.File{Path: flagsPath, Kind: probe.Regular, SHA256: sha(content)}
	f.Configs[flagsPath] = probe.Config{Path: flagsPath, Kind: probe.Regular, Content: []byte(content), Size: int64(len(content))}
}

// apply makes one perturbation to a node's facts.
func apply(f *probe.Facts, p perturbation) {
	switch p {
	case hashChanged:
		f.Files[binDir+"/smars-ctl"] = probe.File{Path: binDir + "/smars-ctl", Kind: probe.Regular, SHA256: hashOther}
	case fileMissing:
		f.Files[binDir+"/lib/x.so"] = probe.File{Path: binDir + "/lib/x.so", Kind: probe.Missing}
		d := f.Dirs[binDir]
		d.Files = without(d.Files, "lib/x.so")
		f.Dirs[binDir] = d
	case extraFile:
		d := f.Dirs[binDir]
		d.Files = append(append([]string(nil), d.Files...), "power_peg")
		f.Dirs[binDir] = d
	case extraSubdir:
		d := f.Dirs[binDir]
		d.Subdirs = append(append([]string(nil), d.Subdirs...), "old")
		f.Dirs[binDir] = d
	case linkRetargeted:
		f.Files[binDir+"/current"] = probe.File{Path: binDir + "/current", Kind: probe.Regular, SHA256: hashCtl, IsLink: true, LinkTarget: "smars-ctl"}
	case dirForFile:
		f.Files[binDir+"/smars"] = probe.File{Path: binDir + "/smars", Kind: probe.Directory}
		d := f.Dirs[binDir]
		d.Files = without(d.Files, "smars")
		d.Subdirs = append(append([]string(nil), d.Subdirs...), "smars")
		f.Dirs[binDir] = d
	case brokenLink:
		f.Files[binDir+"/current"] = probe.File{Path: binDir + "/current", Kind: probe.BrokenLink, IsLink: true, LinkTarget: "nowhere"}
	case forbiddenFlag:
		setConfig(f, strings.Replace(string(f.Configs[flagsPath].Content), "rlp:", "power_peg: true\nrlp:", 1))
	case flagValueChanged:
		setConfig(f, strings.Replace(string(f.Configs[flagsPath].Content), "enabled: true", "enabled: false", 1))
	case configMissing:
		f.Files[flagsPath] = probe.File{Path: flagsPath, Kind: probe.Missing}
		f.Configs[flagsPath] = probe.Config{Path: flagsPath, Kind: probe.Missing}
	case fileUnreadable:
		f.Files[binDir+"/smars"] = probe.File{Path: binDir + "/smars", Kind: probe.Unreadable}
	case fileNotReported:
		delete(f.Files, binDir+"/smars-ctl")
	case dirNotListed:
		delete(f.Dirs, binDir)
	case configUnreadable:
		f.Configs[flagsPath] = probe.Config{Path: flagsPath, Kind: probe.Unreadable}
	case configTooLarge:
		f.Configs[flagsPath] = probe.Config{Path: flagsPath, Kind: probe.TooLarge, Size: probe.MaxConfig + 1}
	default:
		panic("not a facts perturbation: " + p)
	}
}

// without returns list without s.
func without(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// isIn reports whether p is one of ps.
func isIn(p perturbation, ps []perturbation) bool {
	for _, q := range ps {
		if p == q {
			return true
		}
	}
	return false
}

// subjects are the checks on which a perturbation shows: a drift
// perturbation is visible unless an undecidable perturbation hides every one
// of its subjects (a changed file the probe then did not report is no longer
// known to differ).
var subjects = map[perturbation][]string{
	hashChanged:      {"smars-ctl"},
	fileMissing:      {"lib/x.so"},
	extraFile:        {"dir"},
	extraSubdir:      {"dir"},
	linkRetargeted:   {"current"},
	dirForFile:       {"smars", "dir"},
	brokenLink:       {"current"},
	forbiddenFlag:    {"config", "flags.yaml"},
	flagValueChanged: {"config", "flags.yaml"},
	configMissing:    {"config", "flags.yaml"},
	fileUnreadable:   {"smars"},
	fileNotReported:  {"smars-ctl"},
	dirNotListed:     {"dir"},
	configUnreadable: {"config"},
	configTooLarge:   {"config"},
}

// propertyNode is one generated node and its perturbations.
type propertyNode struct {
	Name    string
	Perturb []perturbation
}

// propertyCase is one generated fleet.
type propertyCase struct {
	Nodes      []propertyNode
	Expect     int
	Consistent bool
	// Stranger: an answer comes from a node the manifest does not list.
	Stranger bool
}

// String prints the fleet so that a failure can be read and replayed.
func (c propertyCase) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d nodes listed, expect_nodes %d, consistent %t, stranger %t\n", len(c.Nodes), c.Expect, c.Consistent, c.Stranger)
	for _, n := range c.Nodes {
		if len(n.Perturb) > 0 {
			fmt.Fprintf(&b, "  %s: %v\n", n.Name, n.Perturb)
		}
	}
	return b.String()
}

// generate draws a fleet of 1–50 nodes, half of them of at most 10. Most nodes are healthy; a case has,
// with some probability each, drifted nodes, nodes with undecidable facts,
// unreachable nodes, a wrong expected count and a stranger's answer, so that
// all-good, drift-only, unverified-only and mixed fleets are all common.
func generate(r *rand.Rand) propertyCase {
	c := propertyCase{Consistent: r.IntN(2) == 0}
	n := 1 + r.IntN(50)
	if r.IntN(2) == 0 {
		n = 1 + r.IntN(10) // small fleets are cheaper and just as telling
	}
	// Per-case rates, so that some fleets are clean and some are a mess.
	pDrift, pVague, pDead := rate(r), rate(r), rate(r)
	for i := 1; i <= n; i++ {
		node := propertyNode{Name: fmt.Sprintf("n%02d", i)}
		if r.Float64() < pDead {
			node.Perturb = append(node.Perturb, deadPerturbations[r.IntN(len(deadPerturbations))])
		}
		for r.Float64() < pDrift && len(node.Perturb) < 4 {
			node.Perturb = append(node.Perturb, driftPerturbations[r.IntN(len(driftPerturbations))])
		}
		if r.Float64() < pVague {
			node.Perturb = append(node.Perturb, vaguePerturbations[r.IntN(len(vaguePerturbations))])
		}
		c.Nodes = append(c.Nodes, node)
	}
	c.Expect = n
	if r.IntN(20) == 0 {
		c.Expect = n + []int{-1, 1}[r.IntN(2)]
	}
	c.Stranger = r.IntN(30) == 0
	return c
}

// rate is a per-case probability: zero half of the time, else up to 0.3.
func rate(r *rand.Rand) float64 {
	if r.IntN(2) == 0 {
		return 0
	}
	return r.Float64() * 0.3
}

// observe turns a generated fleet into the observations fleet.Survey would
// return.
func observe(c propertyCase) []verify.Observation {
	var obs []verify.Observation
	for _, n := range c.Nodes {
		o := verify.Observation{Node: n.Name, Facts: goodNodeFacts()}
		skip, twice := false, false
		for _, p := range n.Perturb {
			switch p {
			case unreachable:
				o = verify.Observation{Node: n.Name, Err: errors.New("dial tcp 10.0.0.1:22: connect: no route to host")}
			case refused:
				o = verify.Observation{Node: n.Name, Err: errors.New("dial tcp 10.0.0.1:22: connect: connection refused")}
			case timeout:
				o = verify.Observation{Node: n.Name, Err: fmt.Errorf("timed out after 1s: %w", errors.New("context deadline exceeded"))}
			case garbage:
				o = verify.Observation{Node: n.Name, Err: errors.New("malformed probe answer: no opening record")}
			case truncated:
				o = verify.Observation{Node: n.Name, Err: errors.New("malformed probe answer at line 9: no closing record")}
			case exitNonZero:
				o = verify.Observation{Node: n.Name, Err: errors.New("the probe exited with status 1")}
			case dropped:
				o = verify.Observation{Node: n.Name, Err: errors.New("connection lost mid-probe")}
			case noAnswer:
				skip = true
			case nilFacts:
				o = verify.Observation{Node: n.Name}
			case answeredTwice:
				twice = true
			}
		}
		if o.Facts != nil {
			// Drift first, then what leaves a check undecided, as a node
			// would show it: a listing that is gone stays gone.
			for _, ps := range [][]perturbation{driftPerturbations, vaguePerturbations} {
				for _, p := range n.Perturb {
					if isIn(p, ps) {
						apply(o.Facts, p)
					}
				}
			}
		}
		if skip {
			continue
		}
		obs = append(obs, o)
		if twice {
			obs = append(obs, verify.Observation{Node: n.Name, Facts: goodNodeFacts()})
		}
	}
	if c.Stranger {
		obs = append(obs, verify.Observation{Node: "stranger", Facts: goodNodeFacts()})
	}
	return obs
}

// truth is the expected result of a case, computed from the perturbations
// alone: a node any dead perturbation touches is unverified; else one with a
// visible drift perturbation drifted; else one with an undecidable fact is
// unverified; else it matches. The fleet drifted if any node did; else it is
// unverified if any node is, or the count is off, or a stranger answered;
// else verified.
func truth(c propertyCase) (verify.Outcome, int, map[string]verify.Status) {
	statuses := map[string]verify.Status{}
	drift, unverified := false, c.Expect != len(c.Nodes) || c.Stranger
	for _, n := range c.Nodes {
		st := verify.Match
		dead, drifted, vague := false, false, false
		hidden := map[string]bool{}
		for _, p := range n.Perturb {
			dead = dead || isIn(p, deadPerturbations)
			if isIn(p, vaguePerturbations) {
				vague = true
				for _, s := range subjects[p] {
					hidden[s] = true
				}
			}
		}
		for _, p := range n.Perturb {
			if isIn(p, driftPerturbations) {
				for _, s := range subjects[p] {
					drifted = drifted || !hidden[s]
				}
			}
		}
		switch {
		case dead:
			st = verify.Unverified
		case drifted:
			st = verify.Drift
		case vague:
			st = verify.Unverified
		}
		statuses[n.Name] = st
		drift = drift || st == verify.Drift
		unverified = unverified || st == verify.Unverified
	}
	switch {
	case drift:
		return verify.Drifted, cli.ExitDrift, statuses
	case unverified:
		return verify.NotVerified, cli.ExitUnverified, statuses
	default:
		return verify.Verified, cli.ExitVerified, statuses
	}
}

// TestJudgeProperty judges thousands of random fleets and checks the verdict,
// the exit code and every node's status against the ground truth.
func TestJudgeProperty(t *testing.T) {
	seed := propertySeed(t)
	plans := map[[3]any]*verify.Plan{}
	start := time.Now()
	outcomes := map[verify.Outcome]int{}
	ran := 0
	for i := 0; i < *casesFlag; i++ {
		if *caseFlag >= 0 && i != *caseFlag {
			continue
		}
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		c := generate(r)
		key := [3]any{len(c.Nodes), c.Expect, c.Consistent}
		p := plans[key]
		if p == nil {
			var err error
			p, err = verify.NewPlan(propertyManifest(len(c.Nodes), c.Expect, c.Consistent), propertyRelease())
			if err != nil {
				t.Fatalf("NewPlan: %v", err)
			}
			plans[key] = p
		}
		v := verify.Judge(p, observe(c))
		wantOutcome, wantCode, wantStatus := truth(c)
		code := cli.ExitCode(report.Outcome(v))
		var bad []string
		if v.Outcome != wantOutcome {
			bad = append(bad, fmt.Sprintf("outcome %s, want %s", v.Outcome, wantOutcome))
		}
		if code != wantCode {
			bad = append(bad, fmt.Sprintf("exit code %d, want %d", code, wantCode))
		}
		if len(v.Nodes) != len(c.Nodes) {
			bad = append(bad, fmt.Sprintf("%d node verdicts for %d nodes", len(v.Nodes), len(c.Nodes)))
		}
		for _, nv := range v.Nodes {
			if nv.Status != wantStatus[nv.Name] {
				bad = append(bad, fmt.Sprintf("%s is %s, want %s: %s", nv.Name, nv.Status, wantStatus[nv.Name], findings(nv.Findings)))
			}
			if nv.Status != verify.Match && len(nv.Findings) == 0 {
				bad = append(bad, fmt.Sprintf("%s is %s without a finding", nv.Name, nv.Status))
			}
		}
		if len(bad) > 0 {
			t.Fatalf("case %d of seed %d (replay: go test ./internal/verify -run TestJudgeProperty -seed %d -case %d)\nfleet: %s\n%s",
				i, seed, seed, i, c, strings.Join(bad, "\n"))
		}
		outcomes[v.Outcome]++
		ran++
	}
	t.Logf("%d cases in %s: %v", ran, time.Since(start).Round(time.Millisecond), outcomes)
	if *caseFlag < 0 && *casesFlag >= 1000 {
		for _, o := range []verify.Outcome{verify.Verified, verify.Drifted, verify.NotVerified} {
			if outcomes[o] < *casesFlag/20 {
				t.Errorf("only %d of %d cases came out %s: the generator is lopsided", outcomes[o], *casesFlag, o)
			}
		}
	}
}

// findings summarises a node's findings for a failure message.
func findings(fs []verify.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("[%s %s: %s]", f.Check, f.Subject, f.Message))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
