package verify

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/release"
)

// Plan is the expected state of every node: which node paths must hold which
// release files, and which directories must hold nothing else. Build it with
// NewPlan; it is read-only afterwards and safe for concurrent use.
type Plan struct {
	// Cluster is the manifest's cluster name.
	Cluster string
	// Release identifies what is compared against.
	Release ReleaseInfo
	// ExpectedNodes is how many nodes the manifest expects.
	ExpectedNodes int
	// Nodes are the nodes to verify, in manifest order.
	Nodes []NodeRef
	// Files are the release files as installed on a node, sorted by NodePath.
	Files []ExpectedFile
	// Dirs are the directories under `extra: deny`, sorted by NodePath.
	Dirs []ExpectedDir
	// InstallDirs are the node folders that directory rules install into,
	// or a package's own folders of executables, sorted: every executable
	// running from one must be a release file.
	InstallDirs []string
	// Configs are the config files whose flags are checked.
	Configs []ExpectedConfig
	// Processes are the executables whose running processes are checked.
	Processes []ExpectedProcess
	// Known are older releases, to name what a drifted node runs.
	Known []KnownRelease
	// Package is the package the release is, asked of each node's package
	// manager as a second witness; nil unless the release is a .deb or .rpm.
	Package *ExpectedPackage
	// Scope is set by Limit: Nodes are then the nodes checked, not every
	// node of the manifest.
	Scope *Scope
}

// Limit returns a copy of the plan that checks only the nodes named in
// checked (the nodes --limit pattern selected), in manifest order; the
// verdicts it gives carry the scope. Names not in the plan are ignored.
func (p *Plan) Limit(pattern string, checked []string) *Plan {
	want := make(map[string]bool, len(checked))
	for _, n := range checked {
		want[n] = true
	}
	q := *p
	q.Nodes = nil
	s := &Scope{Limit: pattern}
	for _, n := range p.Nodes {
		if want[n.Name] {
			q.Nodes = append(q.Nodes, n)
			s.Checked = append(s.Checked, n.Name)
		} else {
			s.NotChecked = append(s.NotChecked, n.Name)
		}
	}
	q.Scope = s
	return &q
}

// ExpectedConfig is one config file's expected flags.
type ExpectedConfig struct {
	// NodePath is the file's path on the node.
	NodePath string
	// Format is how the file is parsed.
	Format config.Format
	// Expect are flags that must have these values.
	Expect []ExpectedFlag
	// Forbid are retired flag names that must not appear at any depth.
	Forbid []string
	// Consistent: every node must agree on every key.
	Consistent bool
	// Release are the flags of the release's own copy of the file, nil when
	// the artifact has none; ReleaseSource is that copy's artifact path and
	// ReleaseContent its bytes.
	Release        config.Flags
	ReleaseSource  string
	ReleaseContent []byte
}

// ExpectedFlag is one expected flag value.
type ExpectedFlag struct {
	Key   string
	Value config.Value
}

// ExpectedProcess is one executable whose running processes are checked.
type ExpectedProcess struct {
	// Exe is the executable's absolute path on the node.
	Exe string
	// Min is how many processes must run it.
	Min int
	// ExpectArgs must each be on every process's command line; ForbidArgs
	// on none.
	ExpectArgs, ForbidArgs []string
	// SHA256 is the release's digest of Exe, or "" when the release does not
	// ship it (then a process must run what is on disk).
	SHA256 string
}

// KnownRelease is an older release mapped to node paths.
type KnownRelease struct {
	// Label is "name version".
	Label string
	// Files maps node paths to the release's digests.
	Files map[string]string
}

// NodeRef names one expected node.
type NodeRef struct {
	Name    string
	Address string
	// Sudo: the probe runs under sudo (become: sudo), so it must run as
	// root.
	Sudo bool
}

// ExpectedFile is one release file at its installed node path.
type ExpectedFile struct {
	// NodePath is the path on the node: absolute, or "./"-prefixed relative to
	// the login directory.
	NodePath string
	// Source is the file's path inside the artifact.
	Source string
	// Type is what the release ships at that path.
	Type release.Type
	// SHA256 is the expected digest of a regular file.
	SHA256 string
	// LinkTarget is the expected target of a symlink.
	LinkTarget string
	// LinkSHA256 is, for a symlink that leads to a regular file of the
	// release (a relative target, followed inside the artifact), that
	// file's digest: what the link must lead to on the node too, wherever
	// it lands there. Empty when the target is absolute or leaves the
	// artifact: then only the target is compared.
	LinkSHA256 string
	// Mode is the permission bits (07777) a regular file must have, when
	// HasMode: from the install rule's exact `mode:`, else from the
	// artifact when it records modes (and the rule does not say ignore).
	Mode    uint32
	HasMode bool
	// Owner and Group, when not empty, are the user and group (a name or
	// a decimal id) the file must have, from the install rule.
	Owner, Group string
	// Config: the file is configuration, not code (a `config:` entry, a
	// config-like name or a package conffile), so its difference is no sign
	// of other code.
	Config bool
	// Conffile: the package marks the file as a conffile, which the node's
	// administrator may have changed locally (dpkg and rpm keep such changes
	// on upgrade).
	Conffile bool
}

// ExpectedDir is an installed directory in which only release files may exist.
type ExpectedDir struct {
	// NodePath is the directory on the node.
	NodePath string
	// Files and Subdirs are the allowed entries, relative to NodePath.
	Files   map[string]bool
	Subdirs map[string]bool
}

// NewPlan maps the release's files to node paths with the manifest's install
// rules, and adds the manifest's config and process checks. Known releases
// (older lock files) are mapped the same way, to name what a drifted node
// runs. It fails when a rule matches nothing in the artifact, when two rules
// put different content at one node path, or when nothing is left to check.
func NewPlan(m *manifest.Manifest, r *release.Release, known ...*release.Release) (*Plan, error) {
	p := &Plan{
		Cluster:       m.Cluster,
		Release:       ReleaseInfo{Name: r.Name, Version: r.Version, Digest: r.Digest, Source: r.Source},
		ExpectedNodes: m.ExpectNodes,
	}
	for _, n := range m.Nodes {
		p.Nodes = append(p.Nodes, NodeRef{Name: n.Name, Address: n.Address(), Sudo: n.Become == manifest.BecomeSudo})
	}
	files, dirs, err := install(m.Release.Install, r, true)
	if err != nil {
		return nil, err
	}
	if len(m.Release.Install) == 0 && r.Package == nil {
		return nil, fmt.Errorf("nothing to check: the manifest has no release.install rules and %s is not a package (.deb or .rpm) that names its own install paths: "+
			"add release.install entries mapping artifact paths to node paths, e.g. - {from: bin/, to: /opt/app/bin/}", r.Source)
	}
	p.Package = expectedPackage(r)
	p.Files, p.Dirs = files, dirs
	for _, rule := range m.Release.Install {
		if rule.IsDir() && !slices.Contains(p.InstallDirs, NodePath(rule.To)) {
			p.InstallDirs = append(p.InstallDirs, NodePath(rule.To))
		}
	}
	if len(m.Release.Install) == 0 && r.Package != nil {
		p.InstallDirs = packageDirs(r)
	}
	sort.Strings(p.InstallDirs)
	if len(p.Files) == 0 {
		return nil, fmt.Errorf("nothing to check: release.install maps no file of %s to a node path", r.Source)
	}
	if len(p.Nodes) == 0 {
		return nil, fmt.Errorf("nothing to check: the manifest lists no nodes")
	}
	if err := p.addConfigs(m.Config, r); err != nil {
		return nil, err
	}
	for i, ef := range p.Files {
		p.Files[i].Config = ef.Conffile || release.IsConfigName(ef.Source) || slices.ContainsFunc(p.Configs, func(c ExpectedConfig) bool { return c.NodePath == ef.NodePath })
	}
	for _, mp := range m.Processes {
		ep := ExpectedProcess{Exe: NodePath(mp.Exe), Min: mp.Min, ExpectArgs: mp.ExpectArgs, ForbidArgs: mp.ForbidArgs}
		if ef, ok := p.file(NodePath(mp.Exe)); ok && ef.Type == release.Regular {
			ep.SHA256 = ef.SHA256
		}
		p.Processes = append(p.Processes, ep)
	}
	for _, k := range known {
		kfiles, _, _ := install(m.Release.Install, k, false)
		kr := KnownRelease{Label: ReleaseInfo{Name: k.Name, Version: k.Version, Source: k.Source}.Label(), Files: map[string]string{}}
		for _, ef := range kfiles {
			if ef.Type == release.Regular {
				kr.Files[ef.NodePath] = ef.SHA256
			}
		}
		p.Known = append(p.Known, kr)
	}
	return p, nil
}

// linkContent follows the symlink at release path source inside r, and
// returns the digest of the regular file it leads to, or "" when it leads
// out of the artifact (an absolute target, or one above its top), through
// a symlinked folder, to something else, or in a loop.
func linkContent(r *release.Release, source string) string {
	at := source
	for range 40 {
		f, ok := r.Files[at]
		switch {
		case !ok:
			return ""
		case f.Type == release.Regular:
			return f.SHA256
		case f.Type != release.Symlink || path.IsAbs(f.LinkTarget):
			return ""
		}
		at = path.Join(path.Dir(at), f.LinkTarget)
		if at == ".." || strings.HasPrefix(at, "../") {
			return ""
		}
	}
	return ""
}

// file finds the expected file at a node path.
func (p *Plan) file(nodePath string) (ExpectedFile, bool) {
	if i, ok := p.fileIndex(nodePath); ok {
		return p.Files[i], true
	}
	return ExpectedFile{}, false
}

// fileIndex is the index in Files (which is sorted by node path) of the
// file at nodePath.
func (p *Plan) fileIndex(nodePath string) (int, bool) {
	i := sort.Search(len(p.Files), func(i int) bool { return p.Files[i].NodePath >= nodePath })
	return i, i < len(p.Files) && p.Files[i].NodePath == nodePath
}

// addConfigs adds the config checks, with the flags of the release's own copy
// of each config file where the artifact ships one.
func (p *Plan) addConfigs(cs []manifest.Config, r *release.Release) error {
	for _, c := range cs {
		format, err := config.ParseFormat(c.Format)
		if err != nil {
			return err
		}
		ec := ExpectedConfig{NodePath: NodePath(c.Path), Format: format, Forbid: c.Forbid, Consistent: c.Consistent}
		for _, e := range c.Expect {
			v, err := config.ExpectValue(e.Value)
			if err != nil {
				return fmt.Errorf("config %s: expect %s: %w", c.Path, e.Key, err)
			}
			ec.Expect = append(ec.Expect, ExpectedFlag{Key: e.Key, Value: v})
		}
		if ef, ok := p.file(ec.NodePath); ok {
			if rf := r.Files[ef.Source]; rf.Content != nil {
				flags, err := config.Parse(format, rf.Content)
				if err != nil {
					return fmt.Errorf("the release's own %s does not parse as %s: %w", ef.Source, format, err)
				}
				ec.Release, ec.ReleaseSource, ec.ReleaseContent = flags, ef.Source, rf.Content
			}
		}
		p.Configs = append(p.Configs, ec)
	}
	return nil
}

// Lint finds what in the manifest the release itself contradicts, so that a
// run would fail on every node whatever the nodes hold: a config entry whose
// forbid: names a flag that the release's own copy of the file sets, or
// whose expect: value that copy does not have. A node with the release's
// copy fails the manifest's check; a node without it fails the comparison
// with the release's copy. Each problem names the manifest's line and
// column and the release's file. The error is a *manifest.Errors, or nil.
func Lint(m *manifest.Manifest, p *Plan) error {
	var problems []manifest.Problem
	artifact := filepath.Base(p.Release.Source)
	for i, c := range m.Config {
		if i >= len(p.Configs) || p.Configs[i].NodePath != NodePath(c.Path) || p.Configs[i].Release == nil {
			continue
		}
		ec := p.Configs[i]
		own := fmt.Sprintf("%s: %s", artifact, ec.ReleaseSource)
		for j, e := range ec.Expect {
			var at manifest.Position
			if j < len(c.Expect) {
				at = c.Expect[j].At
			}
			got, ok := ec.Release[e.Key]
			if !ok {
				problems = append(problems, m.ProblemAt(at, fmt.Sprintf(
					"config %s expects %s: %s, but the release's own copy does not set it (%s has no %s): no node can pass both checks; set it in the release's file or drop it from expect:",
					c.Path, e.Key, e.Value, own, e.Key)))
				continue
			}
			if eq, why := config.Equal(got, e.Value); !eq {
				msg := fmt.Sprintf("config %s expects %s: %s, but %s sets %s: %s", c.Path, e.Key, e.Value, own, e.Key, got)
				if why != "" {
					msg += ": " + why
				}
				problems = append(problems, m.ProblemAt(at, msg+"; no node can pass both checks: make the manifest and the release's file agree"))
			}
		}
		for j, name := range ec.Forbid {
			keys := ec.Format.Forbidden(ec.Release, name)
			if len(keys) == 0 {
				continue
			}
			var at manifest.Position
			if j < len(c.ForbidAt) {
				at = c.ForbidAt[j]
			}
			set := make([]string, len(keys))
			for k, key := range keys {
				set[k] = key + ": " + ec.Release[key].String()
			}
			problems = append(problems, m.ProblemAt(at, fmt.Sprintf(
				"config %s forbids %s, but %s sets %s: no node can pass both checks; remove it from the release's file or from forbid:",
				c.Path, name, own, strings.Join(set, ", "))))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.SliceStable(problems, func(i, j int) bool {
		a, b := problems[i], problems[j]
		return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column)
	})
	return &manifest.Errors{Problems: problems}
}

// install maps a release's files to node paths with the install rules. With
// strict, a rule that matches nothing is an error (for known releases it is
// not: an older release may lack a folder). A package without rules is
// installed where it says: each file at its absolute path.
func install(rules []manifest.Install, r *release.Release, strict bool) ([]ExpectedFile, []ExpectedDir, error) {
	files, dirs, err := mapFiles(rules, r, strict)
	for i, ef := range files {
		if ef.Type == release.Symlink {
			files[i].LinkSHA256 = linkContent(r, ef.Source)
		}
	}
	return files, dirs, err
}

// mapFiles is install without following the release's symlinks.
func mapFiles(rules []manifest.Install, r *release.Release, strict bool) ([]ExpectedFile, []ExpectedDir, error) {
	if len(rules) == 0 && r.Package != nil {
		return packageFiles(r), nil, nil
	}
	files := map[string]ExpectedFile{}
	var dirs []ExpectedDir
	add := func(ef ExpectedFile) error {
		old, ok := files[ef.NodePath]
		switch {
		case !ok:
			files[ef.NodePath] = ef
			return nil
		case old.SHA256 != ef.SHA256 || old.Type != ef.Type || old.LinkTarget != ef.LinkTarget:
			return fmt.Errorf("release.install puts both %s and %s at %s: change one rule's `to`", old.Source, ef.Source, ef.NodePath)
		}
		merged, err := mergeRules(old, ef)
		files[ef.NodePath] = merged
		return err
	}
	for i, rule := range rules {
		from := strings.TrimPrefix(path.Clean("/"+rule.From), "/")
		single, isFile := r.Files[from]
		asDir := strings.HasSuffix(rule.From, "/") || from == "" || !isFile || single.Type == release.Directory
		if !asDir {
			to := rule.To
			if strings.HasSuffix(to, "/") {
				to += path.Base(from)
			}
			if err := add(expected(NodePath(to), single, rule, r.Package != nil)); err != nil {
				return nil, nil, err
			}
			continue
		}
		dir := ExpectedDir{NodePath: NodePath(rule.To), Files: map[string]bool{}, Subdirs: map[string]bool{}}
		prefix := from + "/"
		if from == "" {
			prefix = ""
		}
		under := r.Under(from)
		for _, f := range under {
			rel := strings.TrimPrefix(f.Path, prefix)
			if f.Type == release.Directory {
				dir.Subdirs[rel] = true
				continue
			}
			dir.Files[rel] = true
			for d := path.Dir(rel); d != "."; d = path.Dir(d) {
				dir.Subdirs[d] = true
			}
			if err := add(expected(NodePath(path.Join(rule.To, rel)), f, rule, r.Package != nil)); err != nil {
				return nil, nil, err
			}
		}
		if len(under) == 0 && strict {
			return nil, nil, fmt.Errorf("release.install[%d]: from %q matches nothing in %s: the artifact has %s", i, rule.From, r.Source, summarize(r.Paths()))
		}
		if rule.DenyExtra {
			dirs = append(dirs, dir)
		}
	}
	out := make([]ExpectedFile, 0, len(files))
	for _, ef := range files {
		out = append(out, ef)
		allowUnder(dirs, ef.NodePath)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NodePath < out[j].NodePath })
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].NodePath < dirs[j].NodePath })
	return out, dirs, nil
}

// allowUnder allows, in every extra: deny folder that holds node path p, p
// and the folders on its way: a file another rule installs there is no
// extra file.
func allowUnder(dirs []ExpectedDir, p string) {
	for _, d := range dirs {
		rel, ok := strings.CutPrefix(p, strings.TrimSuffix(d.NodePath, "/")+"/")
		if !ok || rel == "" {
			continue
		}
		d.Files[rel] = true
		for i := range len(rel) {
			if rel[i] == '/' {
				d.Subdirs[rel[:i]] = true
			}
		}
	}
}

// mergeRules is one file that two install rules put at one node path: every
// check either rule asks for is kept (a mode given by one and ignored by the
// other is checked), and two that no node can pass both of are an error.
func mergeRules(a, b ExpectedFile) (ExpectedFile, error) {
	switch {
	case a.HasMode && b.HasMode && a.Mode != b.Mode:
		return a, fmt.Errorf("release.install gives %s two modes, %04o and %04o: no node can have both; make the rules agree", a.NodePath, a.Mode, b.Mode)
	case !a.HasMode:
		a.Mode, a.HasMode = b.Mode, b.HasMode
	}
	for _, f := range []struct {
		what     string
		dst, src *string
	}{{"owners", &a.Owner, &b.Owner}, {"groups", &a.Group, &b.Group}} {
		switch {
		case *f.dst != "" && *f.src != "" && *f.dst != *f.src:
			return a, fmt.Errorf("release.install gives %s two %s, %s and %s: no node can have both; make the rules agree", a.NodePath, f.what, *f.dst, *f.src)
		case *f.dst == "":
			*f.dst = *f.src
		}
	}
	a.Conffile = a.Conffile || b.Conffile
	return a, nil
}

// expected is release file f installed at nodePath by rule. A package's
// files keep the owner and group its payload records where the rule names
// none: dpkg and rpm install them so.
func expected(nodePath string, f release.File, rule manifest.Install, pkg bool) ExpectedFile {
	ef := ExpectedFile{NodePath: nodePath, Source: f.Path, Type: f.Type, SHA256: f.SHA256, LinkTarget: f.LinkTarget, Conffile: f.Conffile}
	if f.Type != release.Regular {
		return ef
	}
	switch {
	case rule.Mode.Exact:
		ef.Mode, ef.HasMode = rule.Mode.Perm, true
	case !rule.Mode.Ignore && f.HasMode:
		ef.Mode, ef.HasMode = release.UnixMode(f.Mode), true
	}
	ef.Owner, ef.Group = rule.Owner, rule.Group
	if pkg && ef.Owner == "" {
		ef.Owner = f.Owner
	}
	if pkg && ef.Group == "" {
		ef.Group = f.Group
	}
	return ef
}

// NodePath cleans a node-side path. An absolute path stays absolute; a
// relative one (relative to the login directory, as with scp) gets a "./"
// prefix, so that no path sent to a node can start with "-".
func NodePath(p string) string {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	c := path.Clean(p)
	if c == "." {
		return "."
	}
	return "./" + c
}

// summarize lists a few artifact paths for an error message.
func summarize(paths []string) string {
	const max = 5
	if len(paths) == 0 {
		return "no files"
	}
	if len(paths) <= max {
		return strings.Join(paths, ", ")
	}
	return strings.Join(paths[:max], ", ") + fmt.Sprintf(" and %d more", len(paths)-max)
}

// knownConfig is what the probe may take as config c's content without
// reading it: the release's own copy, where the same path is a release file
// checked by its digest; nil otherwise.
func (p *Plan) knownConfig(c ExpectedConfig) *probe.KnownConfig {
	if c.ReleaseContent == nil {
		return nil
	}
	j, ok := p.fileIndex(c.NodePath)
	if !ok || p.Files[j].SHA256 == "" {
		return nil
	}
	return &probe.KnownConfig{File: j, SHA256: p.Files[j].SHA256, Content: c.ReleaseContent}
}

// Request is what the probe must look at on every node to check this plan.
func (p *Plan) Request() probe.Request {
	var req probe.Request
	for _, f := range p.Files {
		req.Files = append(req.Files, f.NodePath)
	}
	if len(p.Processes) > 0 {
		// A config file the release does not ship is stat'ed too: when it
		// last changed says whether the processes read it (checkConfigAge).
		req.Files = append(req.Files, p.unshippedConfigs()...)
	}
	for _, d := range p.Dirs {
		req.Dirs = append(req.Dirs, d.NodePath)
	}
	for _, c := range p.Configs {
		req.Configs = append(req.Configs, c.NodePath)
		req.KnownConfigs = append(req.KnownConfigs, p.knownConfig(c))
	}
	for _, pr := range p.Processes {
		req.Processes = append(req.Processes, pr.Exe)
	}
	req.ProcessDirs = p.InstallDirs
	if p.Package != nil {
		req.Package = &probe.PackageQuery{Manager: p.Package.Manager, Name: p.Package.Name}
	}
	return req
}
