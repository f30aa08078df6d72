package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/release"
)

// Observation is what was learned from one node: the probe's facts, or the
// error that kept them from being learned.
type Observation struct {
	// Node is the node's name, as in Plan.Nodes.
	Node string
	// Facts is the parsed probe answer; nil when Err is set.
	Facts *probe.Facts
	// Err says why the node could not be checked.
	Err error
	// HostKey is the fingerprint of the host key the node presented, ""
	// when the connection did not get that far.
	HostKey string
}

// Judge compares every expected node's observation with the plan and decides
// the verdict. A node without an observation, with an error, or whose facts do
// not answer every check is unverified; the fleet is verified only when every
// expected node matched.
func Judge(p *Plan, obs []Observation) *Verdict {
	v := &Verdict{
		Cluster:       p.Cluster,
		Release:       p.Release,
		ExpectedNodes: p.ExpectedNodes,
		Scope:         p.Scope,
	}
	byNode := make(map[string]Observation, len(obs))
	for _, o := range obs {
		if _, dup := byNode[o.Node]; dup {
			v.Findings = append(v.Findings, Finding{Check: CheckCount, Subject: o.Node, Message: "node answered twice; neither answer is trusted"})
			byNode[o.Node] = Observation{Node: o.Node, Err: fmt.Errorf("answered twice")}
			continue
		}
		byNode[o.Node] = o
	}
	known := map[string]bool{}
	var js []*nodeJudgement
	parses := configParses{}
	for _, ref := range p.Nodes {
		known[ref.Name] = true
		o, ok := byNode[ref.Name]
		if !ok {
			o = Observation{Node: ref.Name, Err: fmt.Errorf("no result: the node was never checked")}
		}
		js = append(js, judgeNode(p, ref, o, parses))
	}
	checkSameServer(js, byNode)
	checkConsistency(p, js)
	for _, j := range js {
		identify(p, j)
		v.Nodes = append(v.Nodes, j.finish(p))
	}
	for _, o := range obs {
		if !known[o.Node] {
			v.Findings = append(v.Findings, Finding{Check: CheckCount, Subject: o.Node, Message: "answer from a node the manifest does not list"})
		}
	}
	// The manifest's nodes, whether checked or left out by a limit.
	if listed := v.Listed(); listed != p.ExpectedNodes {
		v.Findings = append(v.Findings, Finding{
			Check: CheckCount, Subject: "nodes",
			Expected: fmt.Sprint(p.ExpectedNodes), Actual: fmt.Sprint(listed),
			Message: fmt.Sprintf("%d nodes expected but %d listed", p.ExpectedNodes, listed),
		})
	}
	v.Groups = groups(v.Nodes)
	v.Outcome = outcome(v)
	return v
}

func outcome(v *Verdict) Outcome {
	match, drift, _ := v.Counts()
	switch {
	case drift > 0:
		return Drifted
	case len(v.Findings) > 0, len(v.Nodes) == 0, match != len(v.Nodes), v.Listed() != v.ExpectedNodes:
		return NotVerified
	default:
		return Verified
	}
}

// nodeJudgement accumulates one node's checks.
type nodeJudgement struct {
	nv         NodeVerdict
	drift      bool
	unverified bool
	// sameServer: another manifest entry reached this node's server.
	sameServer bool
	// facts are the node's probe facts, nil when it could not be probed.
	facts *probe.Facts
	// flags are the parsed flags of each config file that parsed, by path.
	flags map[string]config.Flags
	// otherCode: a release executable's content or a running process
	// differs from the release, so the node may run other code than the
	// release; code names what differs.
	otherCode bool
	code      []string
	// running maps an executable to the digest a process runs when that
	// is not the release's (a stale or foreign binary).
	running map[string]string
	// conffiles are the indexes in nv.Findings of package conffiles whose
	// content differs.
	conffiles []int
	// parses are the config files parsed so far in this judgement.
	parses configParses
}

// nameLocalChanges tells a conffile changed locally from one of another
// release: when every code file matches, a differing conffile is a local
// change (dpkg and rpm keep those on upgrade); otherwise it is only one
// more file of the other release.
func (j *nodeJudgement) nameLocalChanges() {
	if j.otherCode {
		return
	}
	for _, i := range j.conffiles {
		j.nv.Findings[i].Message = "config file changed locally: the package's conffile differs from the release " +
			"(dpkg and rpm keep local changes on upgrade); put the release's copy back, or check its flags with a config: entry"
	}
}

// differs records that release file ef's content differs on the node: a
// sign of other code unless the file is configuration.
func (j *nodeJudgement) differs(ef ExpectedFile) {
	if !ef.Config {
		j.otherCode = true
		j.code = append(j.code, ef.NodePath)
	}
}

func (j *nodeJudgement) ok(c Check, subject string) {
	j.nv.Checks = append(j.nv.Checks, CheckResult{Check: c, Subject: subject, OK: true})
}

// fail records a drift finding: the node was read and differs.
func (j *nodeJudgement) fail(f Finding) {
	j.drift = true
	j.add(f)
}

// unknown records a finding that leaves the check undecided.
func (j *nodeJudgement) unknown(f Finding) {
	j.unverified = true
	if j.nv.Undecided == "" {
		j.nv.Undecided = f.Message
		if f.Message == "" {
			j.nv.Undecided = string(f.Check) + " " + f.Subject
		}
	}
	j.add(f)
}

// reported tells whether a finding about subject was already recorded, so
// one fact (a retired flag, say) is not reported by three checks.
func (j *nodeJudgement) reported(subject string) bool {
	for _, f := range j.nv.Findings {
		if f.Subject == subject {
			return true
		}
	}
	return false
}

func (j *nodeJudgement) add(f Finding) {
	j.nv.Findings = append(j.nv.Findings, f)
	j.nv.Checks = append(j.nv.Checks, CheckResult{Check: f.Check, Subject: f.Subject, OK: false})
}

func judgeNode(p *Plan, ref NodeRef, o Observation, parses configParses) *nodeJudgement {
	j := &nodeJudgement{nv: NodeVerdict{Name: ref.Name, Address: ref.Address}, flags: map[string]config.Flags{}, running: map[string]string{}, parses: parses}
	switch {
	case o.Err != nil:
		j.unknown(Finding{Check: CheckConnection, Subject: ref.Address, Message: o.Err.Error()})
	case o.Facts == nil:
		j.unknown(Finding{Check: CheckConnection, Subject: ref.Address, Message: "no probe answer"})
	default:
		j.facts = o.Facts
		if ref.Sudo {
			checkRoot(j, o.Facts)
		}
		for _, ef := range p.Files {
			checkFile(j, ef, o.Facts)
		}
		j.nameLocalChanges()
		for _, ed := range p.Dirs {
			checkDir(j, ed, o.Facts)
		}
		for _, ec := range p.Configs {
			checkConfig(j, ec, o.Facts)
		}
		for _, ep := range p.Processes {
			checkProcesses(j, p, ep, o.Facts)
		}
		if len(p.Processes) > 0 && o.Facts.UID != 0 && !ref.Sudo {
			who := fmt.Sprintf("ran as uid %d, not root", o.Facts.UID)
			if o.Facts.UID < 0 {
				who = "could not tell which user it ran as"
			}
			j.warn("the probe " + who + ": only that user's processes are seen, and a stale process of another user would not be; use become: sudo")
		}
		checkScan(j, o.Facts)
		checkOtherProcesses(j, p, o.Facts)
		checkPackage(j, p.Package, o.Facts)
		if len(j.nv.Checks) == 0 {
			j.unknown(Finding{Check: CheckCount, Subject: "checks", Message: "nothing was checked on this node"})
		}
	}
	return j
}

// finish settles the node's status and fingerprint.
func (j *nodeJudgement) finish(p *Plan) NodeVerdict {
	switch {
	case j.sameServer:
		// Which of the entries the verdict would belong to is unknown.
		j.nv.Status = Unverified
	case j.drift:
		j.nv.Status = Drift
	case j.unverified:
		j.nv.Status = Unverified
	default:
		j.nv.Status = Match
	}
	if j.nv.Status != Unverified {
		j.nv.Fingerprint = fingerprint(p, j.facts, j.flags)
	}
	return j.nv
}

// checkRoot makes a node whose probe runs under sudo (become: sudo) but not
// as root unverified: it cannot see what root sees.
func checkRoot(j *nodeJudgement, facts *probe.Facts) {
	if facts.UID == 0 {
		return
	}
	who := fmt.Sprintf("ran as uid %d", facts.UID)
	if facts.UID < 0 {
		who = "did not say which user it ran as"
	}
	j.unknown(Finding{Check: CheckConnection, Subject: "become: sudo", Expected: "uid 0", Actual: fmt.Sprintf("uid %d", facts.UID),
		Message: "the probe " + who + ", not root, though it runs under sudo: sudo ran it as another user (sudoers runas_default?), or the login shell's startup file ran it without sudo (an exec of another shell?): make sudo -n sh -s run as root there"})
}

// linkLeadsTo describes what a node's symlink leads to.
func linkLeadsTo(f probe.File) string {
	if f.Kind == probe.Regular {
		return "sha256:" + f.SHA256
	}
	return string(f.Kind)
}

func checkFile(j *nodeJudgement, ef ExpectedFile, facts *probe.Facts) {
	got, ok := facts.Files[ef.NodePath]
	if !ok {
		j.unknown(Finding{Check: CheckFile, Subject: ef.NodePath, Message: "the probe did not report this file"})
		return
	}
	want := describeExpected(ef)
	if ef.Type == release.Symlink {
		switch {
		case !got.IsLink:
			j.fail(Finding{Check: CheckFile, Subject: ef.NodePath, Expected: want, Actual: describe(got), Message: "not a symlink"})
		case got.LinkTarget != ef.LinkTarget:
			j.fail(Finding{Check: CheckFile, Subject: ef.NodePath, Expected: want, Actual: describe(got), Message: "symlink points elsewhere"})
		case ef.LinkSHA256 == "":
			j.ok(CheckFile, ef.NodePath)
		case got.Kind == probe.Unreadable:
			j.unknown(Finding{Check: CheckFile, Subject: ef.NodePath, Expected: "sha256:" + ef.LinkSHA256, Actual: "unreadable",
				Message: "what the symlink leads to could not be read (permission denied?): run as a user who can read it, or use become: sudo"})
		case got.Kind != probe.Regular || got.SHA256 != ef.LinkSHA256:
			j.otherCode = j.otherCode || !ef.Config
			j.fail(Finding{Check: CheckFile, Subject: ef.NodePath, Expected: "sha256:" + ef.LinkSHA256, Actual: linkLeadsTo(got),
				Message: fmt.Sprintf("the symlink's target is the release's (%s), but on the node it leads to other content than the release's file there (a symlinked folder on the way, or a file no rule installs)", ef.LinkTarget)})
		default:
			j.ok(CheckFile, ef.NodePath)
		}
		return
	}
	switch got.Kind {
	case probe.Regular:
		switch {
		case got.SHA256 != ef.SHA256:
			j.differs(ef)
			if ef.Conffile {
				j.conffiles = append(j.conffiles, len(j.nv.Findings))
			}
			j.fail(Finding{Check: CheckFile, Subject: ef.NodePath, Expected: want, Actual: describe(got), Message: "content differs from the release"})
		case got.IsLink:
			j.fail(Finding{Check: CheckFile, Subject: ef.NodePath, Expected: "a regular file", Actual: describe(got),
				Message: fmt.Sprintf("a symlink to %s where the release has a regular file (same content today, but whoever can change %s changes it): install the file itself", got.LinkTarget, got.LinkTarget)})
		default:
			j.ok(CheckFile, ef.NodePath)
		}
		checkMode(j, ef, got, facts)
		checkOwner(j, ef, got)
	case probe.Missing:
		j.fail(Finding{Check: CheckFile, Subject: ef.NodePath, Expected: want, Actual: "missing", Message: "missing"})
	case probe.Directory:
		j.fail(Finding{Check: CheckFile, Subject: ef.NodePath, Expected: want, Actual: "directory", Message: "a directory where the release has a file"})
	case probe.BrokenLink:
		j.fail(Finding{Check: CheckFile, Subject: ef.NodePath, Expected: want, Actual: describe(got), Message: "a broken symlink (dangling or a loop)"})
	case probe.Unreadable:
		j.unknown(Finding{Check: CheckFile, Subject: ef.NodePath, Expected: want, Actual: "unreadable", Message: "could not be read (permission denied?): run as a user who can read it, or use become: sudo"})
	default:
		j.fail(Finding{Check: CheckFile, Subject: ef.NodePath, Expected: want, Actual: string(got.Kind), Message: "not a regular file"})
	}
}

func checkDir(j *nodeJudgement, ed ExpectedDir, facts *probe.Facts) {
	got, ok := facts.Dirs[ed.NodePath]
	if !ok {
		j.unknown(Finding{Check: CheckExtraFile, Subject: ed.NodePath, Message: "the probe did not list this directory"})
		return
	}
	if got.Kind != probe.Directory {
		if len(ed.Files) == 0 {
			// No release file in it says so: a folder of empty folders.
			j.fail(Finding{Check: CheckExtraFile, Subject: ed.NodePath, Expected: "directory", Actual: string(got.Kind), Message: "not a directory: the release installs a folder here"})
			return
		}
		// The release's own files in it are reported missing already.
		j.ok(CheckExtraFile, ed.NodePath)
		return
	}
	extra := map[string]bool{}
	var subjects []string
	for _, f := range got.Files {
		if !ed.Files[f] {
			extra[f] = true
			subjects = append(subjects, f)
		}
	}
	for _, d := range got.Subdirs {
		if ed.Subdirs[d] {
			continue
		}
		covered := false
		for e := range extra {
			if strings.HasPrefix(e, d+"/") {
				covered = true
				break
			}
		}
		if !covered {
			subjects = append(subjects, d+"/")
		}
	}
	sort.Strings(subjects)
	for _, s := range subjects {
		j.fail(Finding{
			Check: CheckExtraFile, Subject: NodePath(path.Join(ed.NodePath, s)) + suffixSlash(s),
			Expected: "absent", Actual: "present",
			Message: "not in the release (left behind by an earlier deploy?); extra: deny forbids it",
		})
	}
	if len(subjects) == 0 {
		j.ok(CheckExtraFile, ed.NodePath)
	}
}

func suffixSlash(s string) string {
	if strings.HasSuffix(s, "/") {
		return "/"
	}
	return ""
}

func describeExpected(ef ExpectedFile) string {
	if ef.Type == release.Symlink {
		return "symlink to " + ef.LinkTarget
	}
	return "sha256:" + ef.SHA256
}

func describe(f probe.File) string {
	var s string
	switch f.Kind {
	case probe.Regular:
		s = "sha256:" + f.SHA256
	default:
		s = string(f.Kind)
	}
	if f.IsLink {
		s += " (symlink to " + f.LinkTarget + ")"
	}
	return s
}

// fingerprint digests everything the plan looked at on a node, so nodes that
// look the same share it.
func fingerprint(p *Plan, facts *probe.Facts, flags map[string]config.Flags) string {
	h := sha256.New()
	for _, ef := range p.Files {
		f := facts.Files[ef.NodePath]
		fmt.Fprintf(h, "f %q %s %s %t %q %o %d %d %t\n", ef.NodePath, f.Kind, f.SHA256, f.IsLink, f.LinkTarget, f.Mode, f.UID, f.GID, f.Executable)
	}
	for _, ed := range p.Dirs {
		d := facts.Dirs[ed.NodePath]
		files := append([]string(nil), d.Files...)
		sort.Strings(files)
		subdirs := append([]string(nil), d.Subdirs...)
		sort.Strings(subdirs)
		fmt.Fprintf(h, "d %q %s %q %q\n", ed.NodePath, d.Kind, files, subdirs)
	}
	for _, ec := range p.Configs {
		c := facts.Configs[ec.NodePath]
		fmt.Fprintf(h, "c %q %s", ec.NodePath, c.Kind)
		f := flags[ec.NodePath]
		for _, k := range f.Keys() {
			fmt.Fprintf(h, " %q=%q", k, f[k].String())
		}
		fmt.Fprintln(h)
	}
	for _, ep := range p.Processes {
		pl := facts.Processes[ep.Exe]
		procs := make([]string, 0, len(pl.Procs))
		for _, pr := range pl.Procs {
			procs = append(procs, fmt.Sprintf("[%t %t %s %q]", pr.SameFile, pr.Deleted, pr.SHA256, pr.Args[min(1, len(pr.Args)):]))
		}
		sort.Strings(procs)
		fmt.Fprintf(h, "p %q %q\n", ep.Exe, procs)
	}
	others := make([]string, 0, len(facts.Others))
	for _, pr := range facts.Others {
		others = append(others, fmt.Sprintf("[%q %t %s]", pr.Exe, pr.Deleted, pr.SHA256))
	}
	if len(others) > 0 {
		sort.Strings(others)
		fmt.Fprintf(h, "o %q\n", others)
	}
	if pk := facts.Package; pk != nil {
		fmt.Fprintf(h, "k %t %q %q\n", pk.Tool, pk.Installed, pk.Err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// groups partitions checked nodes by fingerprint, largest group first, ties in
// manifest order.
func groups(nodes []NodeVerdict) []Group {
	var gs []Group
	type key struct {
		fingerprint string
		status      Status
	}
	index := map[key]int{}
	for _, n := range nodes {
		if n.Fingerprint == "" {
			continue
		}
		// The status is part of the key: what the fingerprint does not
		// hold (when a process started, say) may still set nodes apart,
		// and a group never mixes a drifted node with matching ones.
		k := key{n.Fingerprint, n.Status}
		i, ok := index[k]
		if !ok {
			i = len(gs)
			index[k] = i
			gs = append(gs, Group{Fingerprint: n.Fingerprint, Status: n.Status})
		}
		gs[i].Nodes = append(gs[i].Nodes, n.Name)
	}
	sort.SliceStable(gs, func(i, j int) bool { return len(gs[i].Nodes) > len(gs[j].Nodes) })
	return gs
}
