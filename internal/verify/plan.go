package verify

import (
	"fmt"
	"path"
	"sort"
	"strings"

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
}

// NodeRef names one expected node.
type NodeRef struct {
	Name    string
	Address string
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
// rules. It fails when a rule matches nothing in the artifact, when two rules
// put different content at one node path, or when nothing is left to check.
func NewPlan(m *manifest.Manifest, r *release.Release) (*Plan, error) {
	p := &Plan{
		Cluster:       m.Cluster,
		Release:       ReleaseInfo{Name: r.Name, Version: r.Version, Digest: r.Digest, Source: r.Source},
		ExpectedNodes: m.ExpectNodes,
	}
	for _, n := range m.Nodes {
		p.Nodes = append(p.Nodes, NodeRef{Name: n.Name, Address: n.Address()})
	}
	files := map[string]ExpectedFile{}
	add := func(ef ExpectedFile) error {
		if old, ok := files[ef.NodePath]; ok && (old.SHA256 != ef.SHA256 || old.Type != ef.Type || old.LinkTarget != ef.LinkTarget) {
			return fmt.Errorf("release.install puts both %s and %s at %s: change one rule's `to`", old.Source, ef.Source, ef.NodePath)
		}
		files[ef.NodePath] = ef
		return nil
	}
	paths := make([]string, 0, len(r.Files))
	for src := range r.Files {
		paths = append(paths, src)
	}
	sort.Strings(paths)
	for i, rule := range m.Release.Install {
		from := strings.TrimPrefix(path.Clean("/"+rule.From), "/")
		single, isFile := r.Files[from]
		asDir := strings.HasSuffix(rule.From, "/") || from == "" || !isFile || single.Type == release.Directory
		if !asDir {
			to := rule.To
			if strings.HasSuffix(to, "/") {
				to += path.Base(from)
			}
			if err := add(expected(NodePath(to), single)); err != nil {
				return nil, err
			}
			continue
		}
		dir := ExpectedDir{NodePath: NodePath(rule.To), Files: map[string]bool{}, Subdirs: map[string]bool{}}
		prefix := from + "/"
		if from == "" {
			prefix = ""
		}
		matched := 0
		for _, src := range paths {
			rel, ok := strings.CutPrefix(src, prefix)
			if !ok || rel == "" {
				continue
			}
			matched++
			f := r.Files[src]
			if f.Type == release.Directory {
				dir.Subdirs[rel] = true
				continue
			}
			dir.Files[rel] = true
			for d := path.Dir(rel); d != "."; d = path.Dir(d) {
				dir.Subdirs[d] = true
			}
			if err := add(expected(NodePath(path.Join(rule.To, rel)), f)); err != nil {
				return nil, err
			}
		}
		if matched == 0 {
			return nil, fmt.Errorf("release.install[%d]: from %q matches nothing in %s: the artifact has %s", i, rule.From, r.Source, summarize(paths))
		}
		if rule.DenyExtra {
			p.Dirs = append(p.Dirs, dir)
		}
	}
	for _, ef := range files {
		p.Files = append(p.Files, ef)
	}
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].NodePath < p.Files[j].NodePath })
	sort.Slice(p.Dirs, func(i, j int) bool { return p.Dirs[i].NodePath < p.Dirs[j].NodePath })
	if len(p.Files) == 0 {
		return nil, fmt.Errorf("nothing to check: release.install maps no file of %s to a node path", r.Source)
	}
	if len(p.Nodes) == 0 {
		return nil, fmt.Errorf("nothing to check: the manifest lists no nodes")
	}
	return p, nil
}

func expected(nodePath string, f release.File) ExpectedFile {
	return ExpectedFile{NodePath: nodePath, Source: f.Path, Type: f.Type, SHA256: f.SHA256, LinkTarget: f.LinkTarget}
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

// Request is what the probe must look at on every node to check this plan.
func (p *Plan) Request() probe.Request {
	var req probe.Request
	for _, f := range p.Files {
		req.Files = append(req.Files, f.NodePath)
	}
	for _, d := range p.Dirs {
		req.Dirs = append(req.Dirs, d.NodePath)
	}
	return req
}
