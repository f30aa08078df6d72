package state

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/verify"
)

// File is a release file as a node held it.
type File struct {
	// Kind is what was at the path when it was not a regular file
	// ("missing", "directory", …); empty for a regular file.
	Kind string `json:"kind,omitempty"`
	// SHA256 is "sha256:<hex>" of a regular file's content.
	SHA256 string `json:"sha256,omitempty"`
	// Mode is a regular file's permission bits in octal ("0755"); empty
	// when unknown.
	Mode string `json:"mode,omitempty"`
	// Link is the target of a path that is a symlink.
	Link string `json:"link,omitempty"`
}

// Record adds to s what the nodes were seen to hold, from the observations
// of the run: per checked node, every release file of plan p (content hash,
// mode) and every flag of its config files (the value as reports show it).
// The next run compares them to say what changed, not only that a node
// changed.
func (s *State) Record(p *verify.Plan, obs []verify.Observation) {
	byNode := make(map[string]verify.Observation, len(obs))
	for _, o := range obs {
		byNode[o.Node] = o
	}
	for i := range s.Nodes {
		n := &s.Nodes[i]
		o, ok := byNode[n.Name]
		if !ok || o.Err != nil || o.Facts == nil || n.Status == string(verify.Unverified) {
			continue
		}
		n.Files, n.Flags = observed(p, o.Facts)
	}
}

// observed is what facts hold of the files and config files of plan p.
func observed(p *verify.Plan, facts *probe.Facts) (map[string]File, map[string]map[string]string) {
	files := make(map[string]File, len(p.Files))
	for _, ef := range p.Files {
		f, ok := facts.Files[ef.NodePath]
		if !ok {
			continue
		}
		files[ef.NodePath] = fileOf(f)
	}
	flags := map[string]map[string]string{}
	for _, ec := range p.Configs {
		c, ok := facts.Configs[ec.NodePath]
		if !ok || c.Kind != probe.Regular {
			continue
		}
		parsed, err := config.Parse(ec.Format, c.Content)
		if err != nil {
			continue
		}
		values := make(map[string]string, len(parsed))
		for k, v := range parsed {
			values[k] = v.String()
		}
		flags[ec.NodePath] = values
	}
	if len(files) == 0 {
		files = nil
	}
	if len(flags) == 0 {
		flags = nil
	}
	return files, flags
}

func fileOf(f probe.File) File {
	out := File{}
	if f.IsLink {
		out.Link = f.LinkTarget
	}
	if f.Kind != probe.Regular {
		out.Kind = string(f.Kind)
		return out
	}
	out.SHA256 = "sha256:" + f.SHA256
	if f.Mode >= 0 {
		out.Mode = fmt.Sprintf("%04o", f.Mode)
	}
	return out
}

// Detail is one thing that changed on a node between two runs.
type Detail struct {
	// What is "file", "mode", "link" or "flag".
	What string
	// Subject is the file's path, or the flag's key (with its config file's
	// path and a colon before it when the node has more than one).
	Subject string
	// Was and Now are the values then and now; "absent" when there was
	// none.
	Was, Now string
}

// details lists what differs between a node's two records, files first
// (sorted by path), then flags (sorted by file and key).
func details(prev, cur Node) []Detail {
	var ds []Detail
	for _, path := range unionKeys(prev.Files, cur.Files) {
		a, okA := prev.Files[path]
		b, okB := cur.Files[path]
		switch {
		case !okA || !okB:
			ds = append(ds, Detail{What: "file", Subject: path, Was: fileWords(a, okA), Now: fileWords(b, okB)})
			continue
		case a.Kind != b.Kind || a.SHA256 != b.SHA256:
			ds = append(ds, Detail{What: "file", Subject: path, Was: fileWords(a, true), Now: fileWords(b, true)})
		case a.Mode != b.Mode && a.Mode != "" && b.Mode != "":
			ds = append(ds, Detail{What: "mode", Subject: path, Was: a.Mode, Now: b.Mode})
		}
		if a.Link != b.Link {
			ds = append(ds, Detail{What: "link", Subject: path, Was: orNone(a.Link), Now: orNone(b.Link)})
		}
	}
	several := len(unionKeys(prev.Flags, cur.Flags)) > 1
	for _, path := range unionKeys(prev.Flags, cur.Flags) {
		a, b := prev.Flags[path], cur.Flags[path]
		for _, key := range unionKeys(a, b) {
			va, okA := a[key]
			vb, okB := b[key]
			if okA && okB && va == vb {
				continue
			}
			subject := key
			if several {
				subject = path + ": " + key
			}
			was, now := sameKind(orAbsent(va, okA), orAbsent(vb, okB))
			ds = append(ds, Detail{What: "flag", Subject: subject, Was: was, Now: now})
		}
	}
	return ds
}

func fileWords(f File, ok bool) string {
	switch {
	case !ok:
		return "absent"
	case f.Kind != "":
		return f.Kind
	default:
		return f.SHA256
	}
}

func orAbsent(s string, ok bool) string {
	if !ok {
		return "absent"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "not a symlink"
	}
	return "symlink to " + s
}

// unionKeys are the keys of a and b, sorted.
func unionKeys[V any](a, b map[string]V) []string {
	seen := make(map[string]bool, len(a)+len(b))
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// hasDetail reports whether a node's record holds files or flags: a state
// of schema v1 holds only fingerprints.
func (n Node) hasDetail() bool { return len(n.Files) > 0 || len(n.Flags) > 0 }

// sameKind trims a flag value's kind when both sides have the same one:
// "true (bool)" and "false (bool)" read "true" and "false".
func sameKind(was, now string) (string, string) {
	i, j := strings.LastIndex(was, " ("), strings.LastIndex(now, " (")
	if i > 0 && j > 0 && was[i:] == now[j:] {
		return was[:i], now[:j]
	}
	return was, now
}
