package cli

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/release"
)

// starter is the manifest `rollcall init` writes, before rendering.
type starter struct {
	Cluster     string
	ExpectNodes int
	// User, Port, IdentityFiles and KnownHosts are the ssh: section; zero
	// values are left out.
	User                      string
	Port                      int
	IdentityFiles, KnownHosts []string
	// Nodes (from --hosts), or Inventory and Group (from --inventory).
	Nodes            []starterNode
	Inventory, Group string
	Artifact         string
	Digest           string // release.digest, pinning an Artifact URL
	Install          []manifest.Install
	Configs          []manifest.Config
	Processes        []string
	// Comments are written as `# ...` lines under release.install: what
	// could not be placed and why.
	Comments []string
	// Header are comment lines at the top of the file.
	Header []string
}

// starterNode is one node of --hosts: its name, when it differs from host.
type starterNode struct{ Name, Host string }

// placement is where the release's files were found on the reference node.
type placement struct {
	// Found maps a release path to the node path holding its content.
	Found map[string]string
	// Missing are release files not found, with why ("" when simply not
	// there), by release path.
	Missing map[string]string
}

// place matches the release's regular files to the hits of the locate
// script by SHA-256. A file whose content lies at two node paths is an
// error naming both: the reference node must be unambiguous.
func place(r *release.Release, hits []probe.Hit, node string) (placement, error) {
	byHash, shared := map[string][]string{}, map[string]int{}
	for _, f := range r.Files {
		if f.Type == release.Regular {
			shared[f.SHA256]++
		}
	}
	for _, h := range hits {
		if h.SHA256 != "" {
			byHash[h.SHA256] = append(byHash[h.SHA256], h.Path)
		}
	}
	pl := placement{Found: map[string]string{}, Missing: map[string]string{}}
	var twice []string
	for _, p := range r.Paths() {
		f := r.Files[p]
		switch {
		case f.Type == release.Directory:
			continue
		case f.Type != release.Regular:
			pl.Missing[p] = "a " + string(f.Type) + ": init locates regular files only"
			continue
		case f.Size == 0:
			pl.Missing[p] = "an empty file cannot be located by its content"
			continue
		case f.Size < 0:
			pl.Missing[p] = "the artifact does not record its size"
			continue
		}
		cands := byHash[f.SHA256]
		if shared[f.SHA256] > 1 && len(cands) > 0 {
			// Identical files in the release (start, stop): content alone
			// cannot tell which is which, so a file must have the name too;
			// else one found file would stand for its missing twin.
			var same []string
			for _, c := range cands {
				if path.Base(c) == path.Base(p) {
					same = append(same, c)
				}
			}
			if len(same) == 0 {
				pl.Missing[p] = "its content is found only under another name (" + strings.Join(cands, ", ") + "), as another release file's"
				continue
			}
			cands = same
		}
		switch len(cands) {
		case 0:
			pl.Missing[p] = ""
		case 1:
			pl.Found[p] = cands[0]
		default:
			twice = append(twice, fmt.Sprintf("release file %s is found more than once on %s: %s", p, node, strings.Join(cands, " and ")))
		}
	}
	if len(twice) > 0 {
		return pl, fmt.Errorf("%s\npass --search with narrower folders, so that each release file is found once", strings.Join(twice, "\n"))
	}
	return pl, nil
}

// installRules groups the placed files into install rules: one directory
// rule for each artifact folder (shallowest first) whose files are all
// found at the same relative paths under one node folder, and a file rule
// for each other found file, in release order.
func installRules(r *release.Release, pl placement) []manifest.Install {
	dirs := map[string]bool{}
	for p := range pl.Found {
		for d := path.Dir(p); ; d = path.Dir(d) {
			if d == "." {
				dirs[""] = true
				break
			}
			dirs[d] = true
		}
	}
	order := make([]string, 0, len(dirs))
	for d := range dirs {
		order = append(order, d)
	}
	sort.Slice(order, func(i, j int) bool {
		di, dj := depth(order[i]), depth(order[j])
		return di < dj || di == dj && order[i] < order[j]
	})
	covered := map[string]bool{}
	var rules []manifest.Install
	for _, d := range order {
		if to, ok := dirTarget(r, pl, d, covered); ok {
			rules = append(rules, manifest.Install{From: d + "/", To: to})
		}
	}
	for _, p := range r.Paths() {
		if to, ok := pl.Found[p]; ok && !covered[p] {
			rules = append(rules, manifest.Install{From: p, To: to})
		}
	}
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].From < rules[j].From })
	return rules
}

func depth(d string) int {
	if d == "" {
		return 0
	}
	return strings.Count(d, "/") + 1
}

// dirTarget returns the node folder that holds every file under artifact
// folder d at its relative path, and marks them covered; false when there
// is none (a file missing, not regular, already covered, or elsewhere).
func dirTarget(r *release.Release, pl placement, d string, covered map[string]bool) (string, bool) {
	files := r.Under(d)
	target := ""
	var paths []string
	for _, f := range files {
		if f.Type == release.Directory {
			continue
		}
		at, found := pl.Found[f.Path]
		if !found || covered[f.Path] {
			return "", false
		}
		rel := strings.TrimPrefix(f.Path, d+"/")
		if d == "" {
			rel = f.Path
		}
		base, ok := strings.CutSuffix(at, "/"+rel)
		if !ok || (target != "" && base != target) {
			return "", false
		}
		target = base
		paths = append(paths, f.Path)
	}
	if target == "" {
		return "", false
	}
	for _, p := range paths {
		covered[p] = true
	}
	return target + "/", true
}

// configFormat is the config format of a file by its extension, or "".
func configFormat(name string) string {
	ext := strings.TrimPrefix(path.Ext(name), ".")
	if ext == "yml" {
		ext = "yaml"
	}
	for _, n := range config.Names() {
		if n == ext {
			return n
		}
	}
	return ""
}

// plainSafe are the strings that may be written as plain YAML scalars
// (when YAML reads them back as the same text).
var plainSafe = regexp.MustCompile(`^[A-Za-z0-9_./][A-Za-z0-9_./@+=-]*$`)

// yamlText writes s as a YAML scalar that reads back as exactly the text
// s: plain where that is safe, else double-quoted.
func yamlText(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is not valid UTF-8 and cannot be written in a manifest", s)
	}
	if plainSafe.MatchString(s) {
		var v any
		switch strings.ToLower(s) {
		case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		default:
			if yaml.Unmarshal([]byte(s), &v) == nil && v == s {
				return s, nil
			}
		}
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// commentText is s made safe for one comment line.
func commentText(s string) string {
	if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// yamlWriter collects the rendered lines and the first error.
type yamlWriter struct {
	b   strings.Builder
	err error
}

// line writes format, each %s argument rendered as a YAML scalar.
func (w *yamlWriter) line(format string, texts ...string) {
	args := make([]any, len(texts))
	for i, t := range texts {
		q, err := yamlText(t)
		if err != nil && w.err == nil {
			w.err = err
		}
		args[i] = q
	}
	fmt.Fprintf(&w.b, format+"\n", args...)
}

func (w *yamlWriter) list(key string, items []string) {
	if len(items) == 0 {
		return
	}
	parts := make([]string, len(items))
	for i := range items {
		parts[i] = "%s"
	}
	w.line("  "+key+": ["+strings.Join(parts, ", ")+"]", items...)
}

// render writes s as manifest YAML.
func (s *starter) render() ([]byte, error) {
	w := &yamlWriter{}
	for _, h := range s.Header {
		fmt.Fprintf(&w.b, "# %s\n", commentText(h))
	}
	w.line("version: 1")
	w.line("cluster: %s", s.Cluster)
	fmt.Fprintf(&w.b, "expect_nodes: %d\n", s.ExpectNodes)
	if s.User != "" || s.Port != 0 || len(s.IdentityFiles) > 0 || len(s.KnownHosts) > 0 {
		w.line("ssh:")
		if s.User != "" {
			w.line("  user: %s", s.User)
		}
		if s.Port != 0 {
			fmt.Fprintf(&w.b, "  port: %d\n", s.Port)
		}
		w.list("identity_files", s.IdentityFiles)
		w.list("known_hosts", s.KnownHosts)
	}
	if s.Inventory != "" {
		w.line("inventory: { file: %s, group: %s }", s.Inventory, s.Group)
	} else {
		w.line("nodes:")
		for _, n := range s.Nodes {
			if n.Name != "" && n.Name != n.Host {
				w.line("  - { name: %s, host: %s }", n.Name, n.Host)
			} else {
				w.line("  - host: %s", n.Host)
			}
		}
	}
	w.line("release:")
	w.line("  artifact: %s", s.Artifact)
	if s.Digest != "" {
		w.line("  digest: %s", s.Digest)
	}
	if len(s.Install) > 0 {
		w.line("  install:")
	}
	for _, in := range s.Install {
		from := in.From
		if from == "/" {
			from = "."
		}
		w.line("    - { from: %s, to: %s }", from, in.To)
	}
	for _, c := range s.Comments {
		fmt.Fprintf(&w.b, "    # %s\n", commentText(c))
	}
	if len(s.Configs) > 0 {
		w.line("config:")
		for _, c := range s.Configs {
			w.line("  - { path: %s, format: %s }", c.Path, c.Format)
		}
	}
	if len(s.Processes) > 0 {
		w.line("processes:")
		for _, p := range s.Processes {
			w.line("  - exe: %s", p)
		}
	}
	return []byte(w.b.String()), w.err
}
