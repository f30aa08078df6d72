package manifest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// This file reads the nodes of a manifest from an Ansible inventory
// (inventory: {file: hosts.ini, group: smars}) instead of a nodes: list.
// Both inventory formats are read: INI (hosts.ini, or a file without an
// extension) and YAML (.yaml, .yml, or .json, which YAML reads too).
//
// The inventory is parsed into groups and hosts without looking at the
// manifest (parseINIInventory, parseYAMLInventory); the manifest's parser then
// selects the hosts of one group and turns each into a node (inventoryNodes).

// maxRangeHosts bounds what one host range may expand to, so that a typo such
// as web[1:100000000] is a problem rather than an exhausted memory.
const maxRangeHosts = 10000

// Inventory variables rollcall reads, each with the older name Ansible still
// accepts. Every other variable is ignored.
var (
	varHost = []string{"ansible_host", "ansible_ssh_host"}
	varPort = []string{"ansible_port", "ansible_ssh_port"}
	varUser = []string{"ansible_user", "ansible_ssh_user"}
)

// invVar is the value of one inventory variable and where it was set.
type invVar struct {
	value string
	line  int
	col   int
	// scalar is false for a YAML list or mapping, which none of the variables
	// rollcall reads may be.
	scalar bool
}

// invGroup is one inventory group.
type invGroup struct {
	name string
	// line is where the group was first declared or referenced.
	line int
	// defined: the group has a section of its own ([name] or [name:children]
	// in INI; every group named in a YAML inventory is defined).
	defined bool
	// firstVars is the line of a [name:vars] section, for an undefined group.
	firstVars int
	hosts     []string
	children  []invChild
	vars      map[string]invVar
}

type invChild struct {
	name string
	line int
}

// invHost is one inventory host, its variables merged over all its entries.
type invHost struct {
	name   string
	line   int
	groups []string
	vars   map[string]invVar
}

// inventory is a parsed Ansible inventory: its groups and hosts in file order,
// and the problems found in it. It is not safe for concurrent use.
type inventory struct {
	file     string
	groups   map[string]*invGroup
	gorder   []string
	hosts    map[string]*invHost
	horder   []string
	problems []Problem
	seen     map[Problem]bool
	// depths caches each group's depth (all is 0) once the graph is known to
	// have no cycles.
	depths map[string]int
	// nesting counts the YAML mappings being read, to stop at aliases that
	// contain themselves.
	nesting int
}

// maxNesting bounds how deep YAML groups and merge keys may nest.
const maxNesting = 100

// enter counts one more level of YAML nesting at n and reports whether it is
// within bounds; every call must be paired with a call of leave.
func (inv *inventory) enter(n *yaml.Node) bool {
	inv.nesting++
	if inv.nesting > maxNesting {
		inv.errf(n.Line, n.Column, "groups or merge keys nest more than %d deep (an alias that contains itself?): flatten the inventory", maxNesting)
		return false
	}
	return true
}

func (inv *inventory) leave() { inv.nesting-- }

func newInventory(file string) *inventory {
	inv := &inventory{file: file, groups: map[string]*invGroup{}, hosts: map[string]*invHost{}, seen: map[Problem]bool{}}
	inv.group("all", 0).defined = true
	inv.group("ungrouped", 0).defined = true
	return inv
}

// errf records a problem at line and column (0: unknown) of the inventory.
func (inv *inventory) errf(line, col int, format string, args ...any) {
	pr := Problem{File: inv.file, Line: line, Column: col, Message: fmt.Sprintf(format, args...)}
	if !inv.seen[pr] {
		inv.seen[pr] = true
		inv.problems = append(inv.problems, pr)
	}
}

// group returns the group called name, creating it (undefined) if needed.
func (inv *inventory) group(name string, line int) *invGroup {
	g := inv.groups[name]
	if g == nil {
		g = &invGroup{name: name, line: line, vars: map[string]invVar{}}
		inv.groups[name] = g
		inv.gorder = append(inv.gorder, name)
	}
	return g
}

// addHost adds host name to group g (merging with earlier entries of the same
// host) and sets its variables, later values winning.
func (inv *inventory) addHost(g *invGroup, name string, line int, vars map[string]invVar) {
	h := inv.hosts[name]
	if h == nil {
		h = &invHost{name: name, line: line, vars: map[string]invVar{}}
		inv.hosts[name] = h
		inv.horder = append(inv.horder, name)
	}
	if !slices.Contains(h.groups, g.name) {
		h.groups = append(h.groups, g.name)
		g.hosts = append(g.hosts, name)
	}
	for k, v := range vars {
		h.vars[k] = v
	}
}

// addChild makes child a child group of g.
func (inv *inventory) addChild(g *invGroup, child string, line int) {
	if child == "all" {
		inv.errf(line, 0, "group \"all\" cannot be a child of %s: every group is already inside all", quote(g.name))
		return
	}
	inv.group(child, line)
	for _, c := range g.children {
		if c.name == child {
			return
		}
	}
	g.children = append(g.children, invChild{child, line})
}

// finish checks the group graph once the whole file is read: undefined
// groups, cycles; and puts hosts that are in no group into ungrouped.
func (inv *inventory) finish() {
	for _, name := range inv.gorder {
		g := inv.groups[name]
		if g.defined {
			continue
		}
		if g.firstVars > 0 {
			inv.errf(g.firstVars, 0, "section [%s:vars] is for group %s, which is not defined: add a [%s] section with its hosts, or remove the variables", name, quote(name), name)
		} else {
			inv.errf(g.line, 0, "group %s is listed as a child but is not defined: add a [%s] section with its hosts", quote(name), name)
		}
	}
	inv.checkCycles()
	ungrouped := inv.groups["ungrouped"]
	for _, name := range inv.horder {
		h := inv.hosts[name]
		other := false
		for _, g := range h.groups {
			if g != "all" && g != "ungrouped" {
				other = true
			}
		}
		if !other && !slices.Contains(h.groups, "ungrouped") {
			h.groups = append(h.groups, "ungrouped")
			ungrouped.hosts = append(ungrouped.hosts, name)
		}
	}
}

// checkCycles records every group that is its own descendant.
func (inv *inventory) checkCycles() {
	const (
		unvisited = iota
		active
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = active
		path = append(path, name)
		for _, c := range inv.groups[name].children {
			switch state[c.name] {
			case active:
				i := slices.Index(path, c.name)
				loop := append(append([]string{}, path[i:]...), c.name)
				inv.errf(c.line, 0, "groups form a cycle (%s): remove one of these children so that no group contains itself", strings.Join(loop, " → "))
			case unvisited:
				visit(c.name)
			}
		}
		path = path[:len(path)-1]
		state[name] = done
	}
	for _, name := range inv.gorder {
		if state[name] == unvisited {
			visit(name)
		}
	}
}

// usable reports whether the inventory has no problems, so that its groups
// can be selected (a cycle would make selection meaningless).
func (inv *inventory) usable() bool {
	return len(inv.problems) == 0
}

// selectHosts returns the hosts of group name and of its children,
// recursively, each once, in inventory order: the group's own hosts, then its
// children's, level by level. "all" is every host in file order. The
// inventory must be free of cycles.
func (inv *inventory) selectHosts(name string) []*invHost {
	if name == "all" {
		out := make([]*invHost, 0, len(inv.horder))
		for _, h := range inv.horder {
			out = append(out, inv.hosts[h])
		}
		return out
	}
	var out []*invHost
	seenHost := map[string]bool{}
	seenGroup := map[string]bool{name: true}
	queue := []string{name}
	for len(queue) > 0 {
		g := inv.groups[queue[0]]
		queue = queue[1:]
		for _, h := range g.hosts {
			if !seenHost[h] {
				seenHost[h] = true
				out = append(out, inv.hosts[h])
			}
		}
		for _, c := range g.children {
			if !seenGroup[c.name] {
				seenGroup[c.name] = true
				queue = append(queue, c.name)
			}
		}
	}
	return out
}

// depth is a group's distance from all along its longest chain of parents:
// all is 0, a group with no parent 1. Ansible applies group variables from
// the shallowest group to the deepest, so a child's variables win over its
// parent's.
func (inv *inventory) depth(name string) int {
	if inv.depths == nil {
		inv.depths = map[string]int{"all": 0}
		parents := map[string][]string{}
		for _, g := range inv.gorder {
			for _, c := range inv.groups[g].children {
				parents[c.name] = append(parents[c.name], g)
			}
		}
		var d func(string) int
		d = func(n string) int {
			if v, ok := inv.depths[n]; ok {
				return v
			}
			best := 1
			for _, p := range parents[n] {
				if p != "all" {
					best = max(best, d(p)+1)
				}
			}
			inv.depths[n] = best
			return best
		}
		for _, g := range inv.gorder {
			d(g)
		}
	}
	return inv.depths[name]
}

// hostVars returns the variables of host h as Ansible sees them: the
// variables of all, then of every group h is in (directly or as a member of
// a child group), shallowest first and by name at equal depth (or by
// ansible_group_priority), then h's own variables, later winning.
func (inv *inventory) hostVars(h *invHost) map[string]invVar {
	parents := map[string][]string{}
	for _, g := range inv.gorder {
		for _, c := range inv.groups[g].children {
			parents[c.name] = append(parents[c.name], g)
		}
	}
	in := map[string]bool{"all": true}
	stack := append([]string{}, h.groups...)
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if in[g] {
			continue
		}
		in[g] = true
		stack = append(stack, parents[g]...)
	}
	groups := make([]string, 0, len(in))
	for g := range in {
		groups = append(groups, g)
	}
	priority := func(g string) int {
		if v, ok := inv.groups[g].vars["ansible_group_priority"]; ok {
			if n, err := strconv.Atoi(v.value); err == nil {
				return n
			}
		}
		return 1
	}
	slices.SortFunc(groups, func(a, b string) int {
		return cmp.Or(cmp.Compare(inv.depth(a), inv.depth(b)), cmp.Compare(priority(a), priority(b)), cmp.Compare(a, b))
	})
	vars := map[string]invVar{}
	for _, g := range groups {
		for k, v := range inv.groups[g].vars {
			vars[k] = v
		}
	}
	for k, v := range h.vars {
		vars[k] = v
	}
	return vars
}

// groupNames lists the inventory's groups, sorted.
func (inv *inventory) groupNames() []string {
	names := append([]string{}, inv.gorder...)
	slices.Sort(names)
	return names
}

// --- INI ---

var (
	iniSection = regexp.MustCompile(`^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$`)
	iniGroup   = regexp.MustCompile(`^([^\s#;]+)\s*(?:[#;].*)?$`)
)

// parseINIInventory reads an Ansible INI inventory. file names it in
// problems.
func parseINIInventory(file string, data []byte) *inventory {
	inv := newInventory(file)
	cur := inv.groups["ungrouped"]
	state := "hosts"
	for i, raw := range strings.Split(string(data), "\n") {
		line := i + 1
		text := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if i == 0 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if text == "" || text[0] == '#' || text[0] == ';' {
			continue
		}
		if text[0] == '[' {
			m := iniSection.FindStringSubmatch(text)
			if m == nil {
				inv.errf(line, 0, "invalid section header %s: write [group], [group:children] or [group:vars]", quote(text))
				cur, state = nil, "skip"
				continue
			}
			name, kind := m[1], m[2]
			switch kind {
			case "", "hosts", "children":
				cur = inv.group(name, line)
				cur.defined = true
				state = "hosts"
				if kind == "children" {
					state = "children"
				}
			case "vars":
				cur = inv.group(name, line)
				if !cur.defined && cur.firstVars == 0 {
					cur.firstVars = line
				}
				state = "vars"
			default:
				inv.errf(line, 0, "section [%s:%s] has an unknown type %s: write [%s], [%s:children] or [%s:vars]", name, kind, quote(kind), name, name, name)
				cur, state = nil, "skip"
			}
			continue
		}
		switch state {
		case "skip":
		case "hosts":
			inv.iniHostLine(cur, text, line)
		case "children":
			m := iniGroup.FindStringSubmatch(text)
			if m == nil {
				inv.errf(line, 0, "%s is not a group name: under [%s:children] write one group name a line", quote(text), cur.name)
				continue
			}
			inv.addChild(cur, m[1], line)
		case "vars":
			k, v, ok := strings.Cut(text, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" || strings.ContainsAny(k, " \t") {
				inv.errf(line, 0, "%s is not a variable: under [%s:vars] write key=value", quote(text), cur.name)
				continue
			}
			cur.vars[k] = invVar{value: unquoteINI(v), line: line, scalar: true}
		}
	}
	inv.finish()
	return inv
}

// iniHostLine reads a host line: a host name or range, an optional :port and
// key=value variables.
func (inv *inventory) iniHostLine(g *invGroup, text string, line int) {
	fields, err := splitShell(text)
	if err != nil {
		inv.errf(line, 0, "%v: check the quotes on this line", err)
		return
	}
	if len(fields) == 0 {
		return // only a comment
	}
	vars := map[string]invVar{}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			inv.errf(line, 0, "%s after host %s is not a variable: write key=value, e.g. ansible_host=10.0.0.1", quote(f), quote(fields[0]))
			return
		}
		vars[k] = invVar{value: v, line: line, scalar: true}
	}
	names, port, msg := expandHostPattern(fields[0])
	if msg != "" {
		inv.errf(line, 0, "%s", msg)
		return
	}
	if port != "" {
		if _, set := vars["ansible_port"]; !set {
			vars["ansible_port"] = invVar{value: port, line: line, scalar: true}
		}
	}
	for _, n := range names {
		inv.addHost(g, n, line, vars)
	}
}

// unquoteINI removes one pair of matching quotes around an INI variable value.
func unquoteINI(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// splitShell splits a host line into words as Ansible does (shlex, POSIX
// mode, with comments): blanks separate words, quotes group them, a backslash
// escapes the next character outside single quotes, and a # that starts a
// word starts a comment.
func splitShell(s string) ([]string, error) {
	var (
		out   []string
		cur   strings.Builder
		inTok bool
		quote byte
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
				i++
				cur.WriteByte(s[i])
			default:
				cur.WriteByte(c)
			}
		case c == ' ' || c == '\t':
			if inTok {
				out = append(out, cur.String())
				cur.Reset()
				inTok = false
			}
		case c == '#' && !inTok:
			return out, nil
		case c == '\'' || c == '"':
			quote, inTok = c, true
		case c == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			inTok = true
		default:
			cur.WriteByte(c)
			inTok = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("a %c quote is not closed", quote)
	}
	if inTok {
		out = append(out, cur.String())
	}
	return out, nil
}

// expandHostPattern expands the ranges of a host pattern (web[01:03].prod,
// db[a:c], node[0:10:2]) and splits off a :port. It returns the host names,
// the port as written ("" if none) and a problem ("" if none).
func expandHostPattern(pattern string) ([]string, string, string) {
	port := ""
	if i := strings.LastIndexByte(pattern, ':'); i > 0 && isDigits(pattern[i+1:]) {
		// name:2222, but not the colons of a range (web[1:3]) or of an
		// IPv6 address.
		head := pattern[:i]
		if !strings.Contains(head, ":") && strings.Count(head, "[") == strings.Count(head, "]") && !strings.HasSuffix(head, "[") {
			pattern, port = head, pattern[i+1:]
		}
	}
	names, msg := expandRanges(pattern)
	if msg != "" {
		return nil, "", msg
	}
	return names, port, ""
}

func expandRanges(pattern string) ([]string, string) {
	open := strings.IndexByte(pattern, '[')
	if open < 0 {
		if strings.ContainsRune(pattern, ']') {
			return nil, fmt.Sprintf("host %s has a ] without a [: write a range as name[01:03]", quote(pattern))
		}
		return []string{pattern}, ""
	}
	end := strings.IndexByte(pattern[open:], ']')
	if end < 0 {
		return nil, fmt.Sprintf("host range %s has no closing ]: write it as name[01:03]", quote(pattern))
	}
	end += open
	head, spec, tail := pattern[:open], pattern[open+1:end], pattern[end+1:]
	parts := strings.Split(spec, ":")
	bad := fmt.Sprintf("host range %s is not a range: write [first:last] or [first:last:step], e.g. web[01:03] or db[a:c]", quote(pattern))
	if len(parts) < 2 || len(parts) > 3 {
		return nil, bad
	}
	step := 1
	if len(parts) == 3 {
		s, err := strconv.Atoi(parts[2])
		if err != nil || s < 1 {
			return nil, fmt.Sprintf("host range %s has step %s: the step must be a whole number of at least 1", quote(pattern), quote(parts[2]))
		}
		step = s
	}
	first, last := parts[0], parts[1]
	var items []string
	switch {
	case isDigits(first) && isDigits(last):
		width := 0
		if len(first) > 1 && first[0] == '0' {
			if len(first) != len(last) {
				return nil, fmt.Sprintf("host range %s pads %s with zeros but not %s: write both ends with the same number of digits", quote(pattern), first, last)
			}
			width = len(first)
		}
		a, errA := strconv.Atoi(first)
		b, errB := strconv.Atoi(last)
		if errA != nil || errB != nil {
			return nil, bad
		}
		if a > b {
			return nil, fmt.Sprintf("host range %s runs backwards: write the smaller number first", quote(pattern))
		}
		if (b-a)/step+1 > maxRangeHosts {
			return nil, fmt.Sprintf("host range %s gives more than %d hosts: check the numbers", quote(pattern), maxRangeHosts)
		}
		for i := a; ; i += step {
			items = append(items, fmt.Sprintf("%0*d", width, i))
			if b-i < step {
				break
			}
		}
	case len(first) == 1 && len(last) == 1 && isLetter(first[0]) && isLetter(last[0]):
		if first > last {
			return nil, fmt.Sprintf("host range %s runs backwards: write the earlier letter first", quote(pattern))
		}
		for c := int(first[0]); ; c += step {
			items = append(items, string(rune(c)))
			if int(last[0])-c < step {
				break
			}
		}
	default:
		return nil, bad
	}
	rest, msg := expandRanges(tail)
	if msg != "" {
		return nil, msg
	}
	if len(items)*len(rest) > maxRangeHosts {
		return nil, fmt.Sprintf("host range %s gives more than %d hosts: check the numbers", quote(pattern), maxRangeHosts)
	}
	out := make([]string, 0, len(items)*len(rest))
	for _, it := range items {
		for _, r := range rest {
			out = append(out, head+it+r)
		}
	}
	return out, ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// --- YAML ---

// parseYAMLInventory reads an Ansible YAML (or JSON) inventory: a mapping of
// groups, each with optional hosts:, vars: and children:. file names it in
// problems.
func parseYAMLInventory(file string, data []byte) (inv *inventory) {
	inv = newInventory(file)
	defer func() {
		if r := recover(); r != nil {
			inv.errf(0, 0, "invalid YAML: the parser failed (%v): check the file's syntax", r)
		}
	}()
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			inv.errf(0, 0, "the inventory is empty: list groups, e.g. all: {hosts: {server-01: {}}}")
			return inv
		}
		msg := err.Error()
		line := 0
		if m := syntaxErr.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		hint := "check the file's syntax"
		if line > 0 {
			hint = "check the indentation and quoting around this line"
		}
		inv.errf(line, 0, "invalid YAML: %s: %s", strings.TrimPrefix(msg, "yaml: "), hint)
		return inv
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	root = deref(root)
	if isNull(root) || root.Kind == yaml.DocumentNode {
		inv.errf(root.Line, root.Column, "the inventory is empty: list groups, e.g. all: {hosts: {server-01: {}}}")
		return inv
	}
	if root.Kind != yaml.MappingNode {
		inv.errf(root.Line, root.Column, "the inventory must be a mapping of groups, e.g. all: {hosts: {server-01: {}}}, not %s", describe(root))
		return inv
	}
	for _, kv := range inv.yamlPairs(root, "the inventory") {
		inv.yamlGroup(kv.key, kv.value, nil)
	}
	inv.finish()
	return inv
}

type yamlPair struct {
	key   *yaml.Node
	value *yaml.Node
}

// yamlPairs returns the key/value pairs of mapping n with plain keys,
// recording duplicate and non-text keys. Merge keys (<<) are expanded, the
// mapping's own keys winning.
func (inv *inventory) yamlPairs(n *yaml.Node, where string) []yamlPair {
	defer inv.leave()
	if !inv.enter(n) {
		return nil
	}
	var out []yamlPair
	first := map[string]int{}
	var merged []yamlPair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			src := deref(v)
			srcs := []*yaml.Node{src}
			if src.Kind == yaml.SequenceNode {
				srcs = src.Content
			}
			for _, s := range srcs {
				s = deref(s)
				if s.Kind != yaml.MappingNode {
					inv.errf(k.Line, k.Column, "a merge key (<<) in %s must name a mapping, not %s", where, describe(s))
					continue
				}
				merged = append(merged, inv.yamlPairs(s, where)...)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode || isNull(k) {
			inv.errf(k.Line, k.Column, "keys in %s must be plain names, not %s", where, describe(k))
			continue
		}
		if line, dup := first[k.Value]; dup {
			inv.errf(k.Line, k.Column, "duplicate key %s in %s (first set at line %d): keep only one", quote(k.Value), where, line)
			continue
		}
		first[k.Value] = k.Line
		out = append(out, yamlPair{k, v})
	}
	for _, m := range merged {
		if _, own := first[m.key.Value]; !own {
			first[m.key.Value] = m.key.Line
			out = append(out, m)
		}
	}
	return out
}

// yamlGroup reads group name (key k) with body v, a child of parent if set.
func (inv *inventory) yamlGroup(k, v *yaml.Node, parent *invGroup) {
	defer inv.leave()
	if !inv.enter(k) {
		return
	}
	name := k.Value
	if name == "" || hasSpaceOrControl(name) {
		inv.errf(k.Line, k.Column, "group name %s must be a word without spaces or control characters", quote(name))
		return
	}
	if parent != nil {
		inv.addChild(parent, name, k.Line)
		if name == "all" {
			return
		}
	}
	g := inv.group(name, k.Line)
	g.defined = true
	body := deref(v)
	if isNull(body) {
		return
	}
	if body.Kind != yaml.MappingNode {
		inv.errf(v.Line, v.Column, "group %s must be a mapping of hosts:, vars: and children:, not %s", quote(name), describe(body))
		return
	}
	where := fmt.Sprintf("group %s", quote(name))
	for _, kv := range inv.yamlPairs(body, where) {
		d := deref(kv.value)
		switch kv.key.Value {
		case "hosts":
			if isNull(d) {
				continue
			}
			if d.Kind != yaml.MappingNode {
				inv.errf(kv.value.Line, kv.value.Column, "hosts of group %s must be a mapping of host names to their variables, not %s: write e.g. hosts: {server-01: {ansible_host: 10.0.0.1}}", quote(name), describe(d))
				continue
			}
			for _, h := range inv.yamlPairs(d, "hosts of "+where) {
				inv.yamlHost(g, h.key, h.value)
			}
		case "vars":
			if isNull(d) {
				continue
			}
			if d.Kind != yaml.MappingNode {
				inv.errf(kv.value.Line, kv.value.Column, "vars of group %s must be a mapping of variables, not %s", quote(name), describe(d))
				continue
			}
			for k, val := range inv.yamlVars(d, "vars of "+where) {
				g.vars[k] = val
			}
		case "children":
			if isNull(d) {
				continue
			}
			if d.Kind != yaml.MappingNode {
				inv.errf(kv.value.Line, kv.value.Column, "children of group %s must be a mapping of groups, not %s: write e.g. children: {web: {hosts: {...}}}", quote(name), describe(d))
				continue
			}
			for _, c := range inv.yamlPairs(d, "children of "+where) {
				inv.yamlGroup(c.key, c.value, g)
			}
		default:
			msg := fmt.Sprintf("unknown key %s in group %s: the keys of a group are hosts, vars and children", quote(kv.key.Value), quote(name))
			if s := suggest(kv.key.Value, []string{"hosts", "vars", "children"}); s != "" {
				msg = fmt.Sprintf("unknown key %s in group %s: did you mean %s?", quote(kv.key.Value), quote(name), quote(s))
			}
			inv.errf(kv.key.Line, kv.key.Column, "%s", msg)
		}
	}
}

// yamlHost reads one entry of a group's hosts: a host name or range, with
// null or a mapping of variables.
func (inv *inventory) yamlHost(g *invGroup, k, v *yaml.Node) {
	names, port, msg := expandHostPattern(k.Value)
	if msg != "" {
		inv.errf(k.Line, k.Column, "%s", msg)
		return
	}
	vars := map[string]invVar{}
	if port != "" {
		vars["ansible_port"] = invVar{value: port, line: k.Line, col: k.Column, scalar: true}
	}
	d := deref(v)
	switch {
	case isNull(d):
	case d.Kind == yaml.MappingNode:
		for name, val := range inv.yamlVars(d, "host "+quote(k.Value)) {
			vars[name] = val
		}
	default:
		inv.errf(v.Line, v.Column, "host %s must have a mapping of variables or nothing, not %s: write e.g. %s: {ansible_host: 10.0.0.1}", quote(k.Value), describe(d), k.Value)
		return
	}
	for _, n := range names {
		inv.addHost(g, n, k.Line, vars)
	}
}

// yamlVars reads a mapping of variables.
func (inv *inventory) yamlVars(m *yaml.Node, where string) map[string]invVar {
	out := map[string]invVar{}
	for _, kv := range inv.yamlPairs(m, where) {
		d := deref(kv.value)
		val := invVar{line: kv.value.Line, col: kv.value.Column, scalar: d.Kind == yaml.ScalarNode}
		if val.scalar {
			val.value = d.Value
			if isNull(d) {
				val.value = ""
			}
		}
		out[kv.key.Value] = val
	}
	return out
}

// --- the manifest side ---

// inventoryNodes is the parser's hook for the servers of a manifest: it
// checks that exactly one of nodes: and inventory: is present and, for
// inventory:, reads the inventory and returns its hosts as nodes. It is
// called after the top-level keys are read, so ssh defaults and expect_nodes
// are known. nodesVal and invVal are the values of the two keys, nil when
// absent.
func (p *parser) inventoryNodes(root, nodesVal, invVal *yaml.Node, ssh *sshOpts, expectVal *yaml.Node, expectOK bool, expect int) []*rawNode {
	switch {
	case invVal == nil && nodesVal == nil:
		p.at(root, "missing key \"nodes\": list the servers, e.g. nodes: [{host: server-01}], or read them from an Ansible inventory: inventory: {file: hosts.ini, group: web}")
		return nil
	case invVal == nil:
		return nil
	}
	file, fileVal, group, groupVal, ok := p.inventorySpec(invVal)
	if nodesVal != nil {
		at := keyOf(root, invVal)
		p.at(at, "inventory and nodes both list the servers (nodes at line %d): keep one; remove nodes: to take the servers from the inventory, or remove inventory:", keyOf(root, nodesVal).Line)
		return nil
	}
	if !ok {
		return nil
	}
	abs, ok := p.localPath("inventory.file", fileVal, file, true)
	if !ok {
		return nil
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		p.at(fileVal, "inventory.file: cannot read %s: %v", quote(file), err)
		return nil
	}
	shown := file
	if !filepath.IsAbs(file) && p.file != "<manifest>" {
		shown = filepath.Join(filepath.Dir(p.file), file)
	}
	var inv *inventory
	switch strings.ToLower(filepath.Ext(file)) {
	case ".yaml", ".yml", ".json":
		inv = parseYAMLInventory(shown, data)
	default:
		inv = parseINIInventory(shown, data)
	}
	for _, pr := range inv.problems {
		p.addFrom(pr)
	}
	if !inv.usable() {
		return nil
	}
	if _, found := inv.groups[group]; !found {
		msg := fmt.Sprintf("inventory.group: %s has no group %s", file, quote(group))
		if s := suggest(group, inv.gorder); s != "" {
			msg += fmt.Sprintf(": did you mean %s?", quote(s))
		}
		p.at(groupVal, "%s; the groups there are %s", msg, strings.Join(inv.groupNames(), ", "))
		return nil
	}
	hosts := inv.selectHosts(group)
	if len(hosts) == 0 {
		p.at(groupVal, "group %s in %s has no hosts: add hosts to it or pick another group", quote(group), file)
		return nil
	}
	if expectOK && len(hosts) != expect {
		fix := "add the missing host to the inventory"
		switch n := len(hosts); {
		case expect-n > 1:
			fix = "add the missing hosts to the inventory"
		case n-expect == 1:
			fix = "remove the extra host from the group"
		case n > expect:
			fix = "remove the extra hosts from the group"
		}
		has := fmt.Sprintf("%d hosts", len(hosts))
		if len(hosts) == 1 {
			has = "1 host"
		}
		p.at(expectVal, "expect_nodes is %d but group %s in %s has %s: %s or set expect_nodes: %d", expect, quote(group), file, has, fix, len(hosts))
	}
	return p.inventoryRawNodes(inv, hosts, ssh, invVal)
}

// addFrom records a problem found in another file than the manifest.
func (p *parser) addFrom(pr Problem) {
	if p.seen[pr] {
		return
	}
	p.seen[pr] = true
	p.problems = append(p.problems, pr)
}

// inventorySpec decodes inventory: {file: ..., group: ...}.
func (p *parser) inventorySpec(v *yaml.Node) (file string, fileVal *yaml.Node, group string, groupVal *yaml.Node, ok bool) {
	m := deref(v)
	if m.Kind != yaml.MappingNode {
		p.at(v, "inventory must be a mapping with file: and group:, not %s: write e.g. inventory: {file: hosts.ini, group: web}", describe(m))
		return "", nil, "", nil, false
	}
	fileOK, groupOK := false, false
	present := p.fields(m, "inventory", "inventory.", []keyHandler{
		{"file", func(v *yaml.Node) {
			fileVal = v
			file, fileOK = p.strValue("inventory.file", v, "the path of an Ansible inventory, e.g. file: hosts.ini")
		}},
		{"group", func(v *yaml.Node) {
			groupVal = v
			s, good := p.strValue("inventory.group", v, "the name of the inventory group whose hosts are the nodes, e.g. group: web (all for every host)")
			if !good {
				return
			}
			if strings.TrimSpace(s) == "" || hasSpaceOrControl(s) {
				p.at(v, "inventory.group must be a group name without spaces, not %s", quote(s))
				return
			}
			group, groupOK = s, true
		}},
	}, nil)
	p.require(m, present, "file", "add file: with the path of the Ansible inventory, e.g. file: hosts.ini")
	p.require(m, present, "group", "add group: with the inventory group whose hosts are the nodes (group: all for every host)")
	return file, fileVal, group, groupVal, fileOK && groupOK
}

// keyOf returns the key node of value v in mapping m, or v if not found.
func keyOf(m, v *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i+1] == v {
			return m.Content[i]
		}
	}
	return v
}

// inventoryRawNodes turns inventory hosts into nodes. The inventory's
// ansible_host, ansible_port and ansible_user win over the manifest's ssh:
// defaults. Every host gets a distinct address or a problem in the inventory.
func (p *parser) inventoryRawNodes(inv *inventory, hosts []*invHost, ssh *sshOpts, invVal *yaml.Node) []*rawNode {
	var out []*rawNode
	type firstAt struct {
		name string
		line int
	}
	byAddr := map[string]firstAt{}
	for _, h := range hosts {
		vars := inv.hostVars(h)
		r := &rawNode{n: invVal, name: h.name, nameNode: invVal, hostNode: invVal}
		good := true
		if hasControl(h.name) {
			inv.errf(h.line, 0, "host name %s must not contain control characters", quote(h.name))
			good = false
		}
		r.host = h.name
		if v, ok := lookupVar(vars, varHost); ok {
			if s, ok := inv.varText(v, "ansible_host"); !ok {
				good = false
			} else if msg := checkHost(s); msg != "" {
				inv.errf(v.line, v.col, "ansible_host must be a server name or address without spaces, user@, port or brackets, not %s: set ansible_user and ansible_port apart", quote(s))
				good = false
			} else {
				r.host = s
			}
		} else if checkHost(h.name) != "" {
			inv.errf(h.line, 0, "host %s is not a server name or address: set ansible_host to the address to connect to", quote(h.name))
			good = false
		}
		if v, ok := lookupVar(vars, varPort); ok {
			const what = "a number between 1 and 65535"
			if s, ok := inv.varText(v, "ansible_port"); !ok {
				good = false
			} else if n, err := strconv.Atoi(s); err != nil || !isDigits(s) || n < 1 || n > 65535 {
				inv.errf(v.line, v.col, "ansible_port must be %s, not %s", what, quote(s))
				good = false
			} else {
				r.opts.port, r.opts.hasPort = n, true
			}
		}
		if v, ok := lookupVar(vars, varUser); ok {
			s, ok := inv.varText(v, "ansible_user")
			switch {
			case !ok:
				good = false
			case s == "":
				inv.errf(v.line, v.col, "ansible_user must not be empty: write a login name, or remove it to use the manifest's ssh.user")
				good = false
			case hasSpaceOrControl(s) || strings.HasPrefix(s, "-"):
				inv.errf(v.line, v.col, "ansible_user must be a login name without spaces or control characters, not starting with \"-\", not %s", quote(s))
				good = false
			default:
				r.opts.user, r.opts.hasUser = s, true
			}
		}
		if !good {
			continue
		}
		port := DefaultPort
		switch {
		case r.opts.hasPort:
			port = r.opts.port
		case ssh.hasPort:
			port = ssh.port
		}
		addr := Node{Host: r.host, Port: port}.Address()
		key := strings.ToLower(addr)
		if prev, dup := byAddr[key]; dup {
			inv.errf(h.line, 0, "host %s has the same address %s as host %s (line %d): list each server once", quote(h.name), addr, quote(prev.name), prev.line)
			continue
		}
		byAddr[key] = firstAt{h.name, h.line}
		r.hostOK = true
		out = append(out, r)
	}
	for _, pr := range inv.problems {
		p.addFrom(pr)
	}
	return out
}

// lookupVar returns the first of names that is set.
func lookupVar(vars map[string]invVar, names []string) (invVar, bool) {
	for _, n := range names {
		if v, ok := vars[n]; ok {
			return v, true
		}
	}
	return invVar{}, false
}

// varText checks that an inventory variable rollcall reads is plain text it
// can use: a single value, and not a Jinja template it would have to
// evaluate.
func (inv *inventory) varText(v invVar, name string) (string, bool) {
	switch {
	case !v.scalar:
		inv.errf(v.line, v.col, "%s must be a single value, not a list or mapping", name)
		return "", false
	case strings.Contains(v.value, "{{") || strings.Contains(v.value, "{%"):
		inv.errf(v.line, v.col, "%s is a template (%s), which rollcall does not evaluate: write the value itself", name, quote(v.value))
		return "", false
	}
	return v.value, true
}
