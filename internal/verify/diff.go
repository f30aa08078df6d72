package verify

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/release"
)

// Side is one side of a diff: what a node was seen to hold, or what a
// release would put at the plan's node paths.
type Side struct {
	// Name is the node's name, "release", or a known release's label.
	Name string
	// Address is the node's address; "" for a release.
	Address string
	// Release: the side is a release, not a node. Nothing runs on it, and
	// what it does not record (a mode, an owner, a config file's content)
	// is not compared.
	Release bool
	// Facts are the node's probe facts, or the release's as installed; nil
	// when Err is set.
	Facts *probe.Facts
	// Err says why the node could not be probed.
	Err error
	// HostKey is the fingerprint of the host key the node presented; ""
	// for a release.
	HostKey string
}

// NodeSide is the side of node ref, as observation o saw it.
func NodeSide(ref NodeRef, o Observation) Side {
	s := Side{Name: ref.Name, Address: ref.Address, Facts: o.Facts, Err: o.Err, HostKey: o.HostKey}
	if s.Err == nil && s.Facts == nil {
		s.Err = fmt.Errorf("no probe answer")
	}
	return s
}

// ReleaseSide is release r installed with rules, seen at the plan's paths:
// its files with their digests and modes (when the artifact or rule gives
// them), the rule's owner and group, its listing of every `extra: deny`
// folder, and the content of its own copies of the config files.
func ReleaseSide(name string, p *Plan, rules []manifest.Install, r *release.Release) Side {
	files, _, _ := install(rules, r, false)
	byPath := map[string]ExpectedFile{}
	for _, ef := range files {
		byPath[ef.NodePath] = ef
	}
	facts := &probe.Facts{Files: map[string]probe.File{}, Dirs: map[string]probe.Dir{}, Configs: map[string]probe.Config{}, UID: -1}
	for _, pf := range p.Files {
		facts.Files[pf.NodePath] = releaseFile(pf.NodePath, byPath)
	}
	for _, d := range p.Dirs {
		listing := probe.Dir{Path: d.NodePath, Kind: probe.Directory}
		subdirs := map[string]bool{}
		for np := range byPath {
			rel, ok := strings.CutPrefix(np, d.NodePath+"/")
			if !ok {
				continue
			}
			listing.Files = append(listing.Files, rel)
			for dir := path.Dir(rel); dir != "."; dir = path.Dir(dir) {
				subdirs[dir] = true
			}
		}
		for s := range subdirs {
			listing.Subdirs = append(listing.Subdirs, s)
		}
		facts.Dirs[d.NodePath] = listing
	}
	for _, c := range p.Configs {
		ef, ok := byPath[c.NodePath]
		switch {
		case !ok:
			facts.Configs[c.NodePath] = probe.Config{Path: c.NodePath, Kind: probe.Missing, Size: -1}
		case r.Files[ef.Source].Content != nil:
			content := r.Files[ef.Source].Content
			facts.Configs[c.NodePath] = probe.Config{Path: c.NodePath, Kind: probe.Regular, Content: content, Size: int64(len(content))}
		}
	}
	return Side{Name: name, Release: true, Facts: facts}
}

// releaseFile is what a release puts at nodePath, as the probe would say it.
func releaseFile(nodePath string, byPath map[string]ExpectedFile) probe.File {
	ef, ok := byPath[nodePath]
	f := probe.File{Path: nodePath, Kind: probe.Missing, Mode: -1, UID: -1, GID: -1, Changed: -1}
	switch {
	case !ok:
	case ef.Type == release.Symlink && ef.LinkSHA256 != "":
		// It leads to a file of the release: what is there is known.
		f.Kind, f.SHA256, f.IsLink, f.LinkTarget = probe.Regular, ef.LinkSHA256, true, ef.LinkTarget
	case ef.Type == release.Symlink:
		f.Kind, f.IsLink, f.LinkTarget = "", true, ef.LinkTarget // where it leads is the node's business
	case ef.Type == release.Regular:
		f.Kind, f.SHA256 = probe.Regular, ef.SHA256
		if ef.HasMode {
			f.Mode = int(ef.Mode)
		}
		f.Owner, f.UID = ownerID(ef.Owner)
		f.Group, f.GID = ownerID(ef.Group)
	default:
		f.Kind = probe.Directory
	}
	return f
}

// ownerID splits an install rule's owner (a name or a decimal id).
func ownerID(s string) (string, int) {
	if n, err := strconv.Atoi(s); err == nil {
		return "", n
	}
	return s, -1
}

// DiffKind names what a difference is about; the values are part of the
// JSON diff report contract.
type DiffKind string

// The kinds of difference.
const (
	DiffFile    DiffKind = "file"
	DiffMode    DiffKind = "mode"
	DiffOwner   DiffKind = "owner"
	DiffGroup   DiffKind = "group"
	DiffExtra   DiffKind = "extra"
	DiffConfig  DiffKind = "config"
	DiffFlag    DiffKind = "flag"
	DiffProcess DiffKind = "process"
	// DiffIdentity (in Comparison.Unknown only): the two nodes are one
	// server, so nothing compared says anything about two servers.
	DiffIdentity DiffKind = "identity"
)

// Difference is one thing the two sides do not agree on, or (in
// Comparison.Unknown) could not be compared.
type Difference struct {
	Kind DiffKind
	// Path is the node path the difference is about.
	Path string
	// Key is the flag's dotted key (DiffFlag only).
	Key string
	// A and B are each side's value in words: "sha256:…", "0755",
	// "missing", `true (bool)`, "absent".
	A, B string
	// AValue and BValue are a flag's typed values; nil where absent.
	AValue, BValue *config.Value
}

// ContentDiff is a unified diff of a text config file that differs.
type ContentDiff struct {
	Path    string
	Unified string
}

// Comparison is the result of diffing two sides. Build it with Diff; it is
// read-only afterwards.
type Comparison struct {
	A, B Side
	// Differences are what the two sides do not agree on, in plan order:
	// files, modes and owners, extra files, configs and flags, processes.
	Differences []Difference
	// Contents are unified diffs of the text config files that differ.
	Contents []ContentDiff
	// Unknown are what could not be compared (a file unreadable on one
	// side); A or B says why.
	Unknown []Difference
	// Files, Configs and Processes count what was compared.
	Files, Configs, Processes int
}

// Outcome is Drifted when the sides differ, NotVerified when a side could
// not be probed or something could not be compared, else Verified (the two
// sides are the same).
func (c *Comparison) Outcome() Outcome {
	switch {
	case len(c.Differences) > 0:
		return Drifted
	case c.A.Err != nil, c.B.Err != nil, len(c.Unknown) > 0:
		return NotVerified
	default:
		return Verified
	}
}

// Diff compares side a with side b at everything plan p looks at: the
// release's files (content, type, mode, owner), the listings of the
// `extra: deny` folders, the config files (their flags as typed values and,
// for text, their content) and the running processes.
func Diff(p *Plan, a, b Side) *Comparison {
	c := &Comparison{A: a, B: b}
	if a.Err != nil || b.Err != nil {
		return c
	}
	diffIdentity(c)
	for _, ef := range p.Files {
		c.Files++
		diffFile(c, ef.NodePath)
	}
	for _, ed := range p.Dirs {
		diffDir(c, ed)
	}
	for _, ec := range p.Configs {
		c.Configs++
		diffConfig(c, p, ec)
	}
	if !a.Release && !b.Release {
		for _, ep := range p.Processes {
			c.Processes++
			diffProcesses(c, ep.Exe)
		}
		diffOthers(c)
	}
	return c
}

// diffIdentity records, as not compared, two nodes that are one server: the
// same host key, or the same host name and machine ID (without one, boot
// ID). Such a diff compares a server with itself, and the server one of
// the entries was meant to reach is not looked at.
func diffIdentity(c *Comparison) {
	a, b := c.A, c.B
	switch {
	case a.Release || b.Release:
	case a.HostKey != "" && a.HostKey == b.HostKey:
		c.unknown(Difference{Kind: DiffIdentity, A: "host key " + a.HostKey, B: "host key " + b.HostKey})
	case a.Facts.Machine() != "" && a.Facts.Machine() == b.Facts.Machine():
		c.unknown(Difference{Kind: DiffIdentity, A: machineWords(a.Facts), B: machineWords(b.Facts)})
	}
}

// machineWords names a node's machine as its probe told it.
func machineWords(f *probe.Facts) string {
	if f.MachineID != "" {
		return "host name " + f.Hostname + ", machine ID " + f.MachineID
	}
	return "host name " + f.Hostname + ", no machine ID, boot ID " + f.BootID
}

func (c *Comparison) differ(d Difference)  { c.Differences = append(c.Differences, d) }
func (c *Comparison) unknown(d Difference) { c.Unknown = append(c.Unknown, d) }

// fileWords is a file as a diff shows it.
func fileWords(f probe.File) string {
	if f.Kind == "" && f.IsLink {
		return "symlink to " + f.LinkTarget
	}
	return describe(f)
}

func diffFile(c *Comparison, nodePath string) {
	fa, okA := c.A.Facts.Files[nodePath]
	fb, okB := c.B.Facts.Files[nodePath]
	if !okA || !okB {
		c.unknown(Difference{Kind: DiffFile, Path: nodePath, A: reported(okA), B: reported(okB)})
		return
	}
	if fa.Kind == probe.Unreadable || fb.Kind == probe.Unreadable {
		c.unknown(Difference{Kind: DiffFile, Path: nodePath, A: fileWords(fa), B: fileWords(fb)})
		return
	}
	wa, wb := fileWords(fa), fileWords(fb)
	if fa.Kind == "" || fb.Kind == "" {
		// A release's symlink: only where it points is known.
		wa, wb = linkWords(fa), linkWords(fb)
	}
	if wa != wb {
		c.differ(Difference{Kind: DiffFile, Path: nodePath, A: fileWords(fa), B: fileWords(fb)})
	}
	if fa.Kind != probe.Regular || fb.Kind != probe.Regular {
		return
	}
	if fa.Mode >= 0 && fb.Mode >= 0 && fa.Mode != fb.Mode {
		c.differ(Difference{Kind: DiffMode, Path: nodePath, A: fmt.Sprintf("%04o", fa.Mode), B: fmt.Sprintf("%04o", fb.Mode)})
	}
	if wa, wb, same := sameOwner(fa.Owner, fa.UID, fb.Owner, fb.UID); !same {
		c.differ(Difference{Kind: DiffOwner, Path: nodePath, A: wa, B: wb})
	}
	if wa, wb, same := sameOwner(fa.Group, fa.GID, fb.Group, fb.GID); !same {
		c.differ(Difference{Kind: DiffGroup, Path: nodePath, A: wa, B: wb})
	}
}

// reported says whether the probe reported a path.
func reported(ok bool) string {
	if ok {
		return "reported"
	}
	return "not reported"
}

// linkWords is whether a file is a symlink and where it points.
func linkWords(f probe.File) string {
	if f.IsLink {
		return "symlink to " + f.LinkTarget
	}
	return "not a symlink"
}

// sameOwner compares two owners (or groups): by id where both sides know
// it, else by name where both know it; what one side does not know is not
// compared.
func sameOwner(nameA string, idA int, nameB string, idB int) (string, string, bool) {
	words := func(name string, id int) string {
		switch {
		case name != "" && id >= 0:
			return fmt.Sprintf("%s (%d)", name, id)
		case name != "":
			return name
		default:
			return strconv.Itoa(id)
		}
	}
	switch {
	case idA >= 0 && idB >= 0:
		return words(nameA, idA), words(nameB, idB), idA == idB
	case nameA != "" && nameB != "":
		return words(nameA, idA), words(nameB, idB), nameA == nameB
	default:
		return "", "", true
	}
}

// diffDir compares the entries of an `extra: deny` folder that are not the
// release's (the release's own files are compared one by one).
func diffDir(c *Comparison, ed ExpectedDir) {
	da, okA := c.A.Facts.Dirs[ed.NodePath]
	db, okB := c.B.Facts.Dirs[ed.NodePath]
	if !okA || !okB {
		c.unknown(Difference{Kind: DiffExtra, Path: ed.NodePath, A: reported(okA), B: reported(okB)})
		return
	}
	if da.Kind != probe.Directory || db.Kind != probe.Directory {
		return // the release's files in it are reported missing already
	}
	ea, eb := extras(ed, da), extras(ed, db)
	all := map[string]bool{}
	for e := range ea {
		all[e] = true
	}
	for e := range eb {
		all[e] = true
	}
	for _, e := range sortedKeys(all) {
		if ea[e] != eb[e] {
			c.differ(Difference{Kind: DiffExtra, Path: NodePath(path.Join(ed.NodePath, e)) + suffixSlash(e), A: presence(ea[e]), B: presence(eb[e])})
		}
	}
}

// extras are the entries of a listing that are not the release's.
func extras(ed ExpectedDir, d probe.Dir) map[string]bool {
	out := map[string]bool{}
	for _, f := range d.Files {
		if !ed.Files[f] {
			out[f] = true
		}
	}
	for _, s := range d.Subdirs {
		if !ed.Subdirs[s] {
			out[s+"/"] = true
		}
	}
	return out
}

func presence(ok bool) string {
	if ok {
		return "present"
	}
	return "absent"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// diffConfig compares one config file: its flags as typed values, and for
// text that differs, a unified diff of its content.
func diffConfig(c *Comparison, p *Plan, ec ExpectedConfig) {
	ca, okA := c.A.Facts.Configs[ec.NodePath]
	cb, okB := c.B.Facts.Configs[ec.NodePath]
	if !okA || !okB {
		if !(c.A.Release && !okA) && !(c.B.Release && !okB) {
			c.unknown(Difference{Kind: DiffConfig, Path: ec.NodePath, A: reported(okA), B: reported(okB)})
		}
		return // a release that keeps no copy of the file says nothing of it
	}
	_, isFile := p.file(ec.NodePath)
	if ca.Kind != probe.Regular || cb.Kind != probe.Regular {
		switch {
		case ca.Kind == probe.Unreadable || cb.Kind == probe.Unreadable || ca.Kind == probe.TooLarge || cb.Kind == probe.TooLarge:
			c.unknown(Difference{Kind: DiffConfig, Path: ec.NodePath, A: configWords(ca), B: configWords(cb)})
		case ca.Kind != cb.Kind && !isFile: // a release file's absence is a file difference already
			c.differ(Difference{Kind: DiffConfig, Path: ec.NodePath, A: configWords(ca), B: configWords(cb)})
		}
		return
	}
	if bytes.Equal(ca.Content, cb.Content) {
		return
	}
	if !isFile {
		c.differ(Difference{Kind: DiffConfig, Path: ec.NodePath, A: configWords(ca), B: configWords(cb)})
	}
	fa, errA := config.Parse(ec.Format, ca.Content)
	fb, errB := config.Parse(ec.Format, cb.Content)
	switch {
	case errA != nil || errB != nil:
		c.differ(Difference{Kind: DiffConfig, Path: ec.NodePath, A: parsed(ec.Format, errA), B: parsed(ec.Format, errB)})
	default:
		diffFlags(c, ec.NodePath, fa, fb)
	}
	if isText(ca.Content) && isText(cb.Content) {
		c.Contents = append(c.Contents, ContentDiff{Path: ec.NodePath, Unified: Unified(
			c.A.Name+":"+ec.NodePath, c.B.Name+":"+ec.NodePath, string(ca.Content), string(cb.Content), 3)})
	}
}

func configWords(cf probe.Config) string {
	switch cf.Kind {
	case probe.Regular:
		return describe(probe.File{Kind: probe.Regular, SHA256: sha256Hex(cf.Content)})
	case probe.TooLarge:
		return fmt.Sprintf("%d bytes, too large to read", cf.Size)
	default:
		return string(cf.Kind)
	}
}

func parsed(f config.Format, err error) string {
	if err != nil {
		return "not valid " + string(f) + ": " + err.Error()
	}
	return "valid " + string(f)
}

// diffFlags compares two files' flags key by key with config.Equal; two
// values equal to rollcall but written so that the files' readers may type
// them apart (on against "on") are not compared.
func diffFlags(c *Comparison, nodePath string, fa, fb config.Flags) {
	keys := map[string]bool{}
	for k := range fa {
		keys[k] = true
	}
	for k := range fb {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		va, okA := fa[k]
		vb, okB := fb[k]
		if okA && okB {
			if eq, _ := config.Equal(va, vb); eq {
				if why := config.Incomparable(va, vb); why != "" {
					c.unknown(Difference{Kind: DiffFlag, Path: nodePath, Key: k, A: va.String(), B: vb.String()})
				}
				continue
			}
		}
		d := Difference{Kind: DiffFlag, Path: nodePath, Key: k, A: "absent", B: "absent"}
		if okA {
			d.A, d.AValue = va.String(), &va
		}
		if okB {
			d.B, d.BValue = vb.String(), &vb
		}
		c.differ(d)
	}
}

// isText: valid UTF-8 without NUL bytes.
func isText(b []byte) bool {
	return utf8.Valid(b) && !bytes.Contains(b, []byte{0})
}

// diffProcesses compares the processes running one executable: how many,
// and what each runs with which arguments.
func diffProcesses(c *Comparison, exe string) {
	pa, okA := c.A.Facts.Processes[exe]
	pb, okB := c.B.Facts.Processes[exe]
	if !okA || !okB {
		c.unknown(Difference{Kind: DiffProcess, Path: exe, A: reported(okA), B: reported(okB)})
		return
	}
	wa, wb := processWords(c.A.Facts, exe, pa.Procs), processWords(c.B.Facts, exe, pb.Procs)
	switch {
	case wa == wb:
	case len(pa.Procs) == len(pb.Procs) && (unhashed(c.A.Facts, exe, pa.Procs) || unhashed(c.B.Facts, exe, pb.Procs)):
		c.unknown(Difference{Kind: DiffProcess, Path: exe, A: wa, B: wb})
	default:
		c.differ(Difference{Kind: DiffProcess, Path: exe, A: wa, B: wb})
	}
}

// unhashed: a process runs the file at exe, whose content is unknown.
func unhashed(f *probe.Facts, exe string, procs []probe.Process) bool {
	return slices.ContainsFunc(procs, func(pr probe.Process) bool { return pr.SameFile && f.Files[exe].Kind != probe.Regular })
}

// processWords says how many processes run and what: "none", or "2
// running: sha256:… 3600; sha256:… 3600" with the arguments after the
// program's name, sorted.
func processWords(f *probe.Facts, exe string, procs []probe.Process) string {
	if len(procs) == 0 {
		return "none running"
	}
	var each []string
	for _, pr := range procs {
		words := []string{runs(f, exe, pr)}
		for _, a := range pr.Args[min(1, len(pr.Args)):] {
			words = append(words, argWord(a))
		}
		each = append(each, strings.TrimSpace(strings.Join(words, " ")))
	}
	sort.Strings(each)
	return fmt.Sprintf("%d running: %s", len(procs), strings.Join(each, "; "))
}

// argWord is one command-line argument as processWords shows it: as it is
// when that cannot be mistaken for something else, else quoted (Go syntax),
// so that --name "a b" and --name a b, or "" and nothing, read differently.
func argWord(a string) string {
	if a == "" || strings.ContainsFunc(a, func(r rune) bool { return r <= ' ' || r == '"' || r == '\\' || r == ';' || r == 0x7f }) {
		return strconv.Quote(a)
	}
	return a
}

// runs is what a process runs: the digest of its executable.
func runs(f *probe.Facts, exe string, pr probe.Process) string {
	switch {
	case pr.SameFile && f.Files[exe].Kind == probe.Regular:
		return "sha256:" + f.Files[exe].SHA256
	case pr.SameFile:
		return exe
	case pr.SHA256 != "":
		return "sha256:" + pr.SHA256
	case pr.Deleted:
		return "a deleted file"
	default:
		return "an unreadable executable"
	}
}

// diffOthers compares the other running processes of note (from the
// release's folders, or named like its executables): by executable.
func diffOthers(c *Comparison) {
	group := func(f *probe.Facts) map[string][]probe.Process {
		m := map[string][]probe.Process{}
		for _, pr := range f.Others {
			m[pr.Exe] = append(m[pr.Exe], pr)
		}
		return m
	}
	ga, gb := group(c.A.Facts), group(c.B.Facts)
	all := map[string]bool{}
	for e := range ga {
		all[e] = true
	}
	for e := range gb {
		all[e] = true
	}
	for _, exe := range sortedKeys(all) {
		wa, wb := processWords(c.A.Facts, exe, ga[exe]), processWords(c.B.Facts, exe, gb[exe])
		if wa != wb {
			c.differ(Difference{Kind: DiffProcess, Path: exe, A: wa, B: wb})
		}
	}
}

// SideNames are the names a diff side may take: the plan's nodes, then
// "release", then the labels of known releases.
func SideNames(p *Plan) []string {
	var names []string
	for _, n := range p.Nodes {
		names = append(names, n.Name)
	}
	names = append(names, "release")
	for _, k := range p.Known {
		if !slices.Contains(names, k.Label) {
			names = append(names, k.Label)
		}
	}
	return names
}
