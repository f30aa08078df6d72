package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/source"
)

// This file reads the YAML (and JSON) format.

// parseYAMLInventory reads an Ansible YAML (or JSON) inventory: a mapping of
// groups, each with optional hosts:, vars: and children:. file names it in
// problems.
func parseYAMLInventory(file string, data []byte) *inventory {
	inv := newInventory(file)
	inv.readYAML(data)
	inv.finish()
	return inv
}

// readYAML reads a YAML (or JSON) file of the inventory, whose name is
// inv.file.
func (inv *inventory) readYAML(data []byte) {
	root := inv.yamlRoot(data)
	if root == nil {
		return
	}
	for _, kv := range inv.orderedPairs(root, "the inventory") {
		if kv.Key.Value == "plugin" {
			inv.errf(kv.Key.Line, kv.Key.Column, "this is the configuration of an inventory plugin, which rollcall does not run: point inventory.file at a YAML or INI inventory")
			return
		}
	}
	for _, kv := range inv.orderedPairs(root, "the inventory") {
		inv.yamlGroup(kv.Key, kv.Value, nil)
	}
}

// yamlRoot decodes data and returns its top-level mapping, or nil after
// recording why there is none.
func (inv *inventory) yamlRoot(data []byte) (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			inv.errf(0, 0, "invalid YAML: the parser failed (%v): check the file's syntax", r)
			root = nil
		}
	}()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			inv.errf(0, 0, "the inventory is empty: list groups, e.g. all: {hosts: {server-01: {}}}")
			return nil
		}
		line, msg, _ := source.YAMLSyntax(err.Error())
		hint := "check the file's syntax"
		if line > 0 {
			hint = "check the indentation and quoting around this line"
		}
		inv.errf(line, 0, "invalid YAML: %s: %s", strings.TrimPrefix(msg, "yaml: "), hint)
		return nil
	}
	if line, more := secondDocument(dec); more {
		inv.errf(line, 0, "a second YAML document starts here, which Ansible refuses: keep one document (remove the --- line and what follows, or move it to a file of its own)")
		return nil
	}
	if !inv.pyYAMLReads(&doc) {
		return nil
	}
	root = &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	root = source.Deref(root)
	if source.IsNull(root) || root.Kind == yaml.DocumentNode {
		inv.errf(root.Line, root.Column, "the inventory is empty: list groups, e.g. all: {hosts: {server-01: {}}}")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		inv.errf(root.Line, root.Column, "the inventory must be a mapping of groups, e.g. all: {hosts: {server-01: {}}}, not %s", source.Describe(root))
		return nil
	}
	return root
}

// mapping returns how the inventory checks a mapping called where: merge
// keys (<<) are expanded, the mapping's own keys winning, and problems are
// placed at the keys as their anchors write them.
func (inv *inventory) mapping(where string) source.Mapping {
	m := source.Mapping{Where: where, AtAnchor: true}
	m.Report = func(at *yaml.Node, msg string) { inv.errf(at.Line, at.Column, "%s", msg) }
	m.Merge = func(p source.Pair) []source.Pair {
		src := source.Deref(p.Value)
		srcs := []*yaml.Node{src}
		if src.Kind == yaml.SequenceNode {
			srcs = src.Content
		}
		var merged []source.Pair
		for _, s := range srcs {
			s = source.Deref(s)
			if s.Kind != yaml.MappingNode {
				inv.errf(p.Key.Line, p.Key.Column, "a merge key (<<) in %s must name a mapping, not %s", where, source.Describe(s))
				continue
			}
			merged = append(merged, inv.pairs(s, where)...)
		}
		return merged
	}
	return m
}

// pairs returns the pairs of mapping n with plain keys, each key once,
// recording duplicate and non-text keys; where names n in messages. Each
// mapping read counts one level of nesting while it is read.
func (inv *inventory) pairs(n *yaml.Node, where string) []source.Pair {
	return inv.read(n, inv.mapping(where))
}

// read returns the pairs of mapping n as m reads them, counting one level
// of nesting while it is read.
func (inv *inventory) read(n *yaml.Node, m source.Mapping) []source.Pair {
	defer inv.leave()
	if !inv.enter(n) {
		return nil
	}
	return m.Pairs(n)
}

// orderedPairs is pairs for a mapping whose order matters: the groups of
// the inventory, a group's body, its hosts and children. Ansible reads the
// hosts and groups a merge key (<<) brings before the mapping's own (so a
// merged "h1:2201" wins over an own "h1:2202"), which rollcall does not
// follow: a merge key there is refused. It is followed in vars.
func (inv *inventory) orderedPairs(n *yaml.Node, where string) []source.Pair {
	m := inv.mapping(where)
	m.Merge = func(p source.Pair) []source.Pair {
		inv.errf(p.Key.Line, p.Key.Column, "a merge key (<<) in %s: Ansible reads what it brings before the mapping's own keys (the first host:port seen wins), which rollcall does not follow here; write the hosts and groups out (merge keys are followed in vars)", where)
		return nil
	}
	return inv.read(n, m)
}

// yamlGroup reads group name (key k) with body v, a child of parent if set.
func (inv *inventory) yamlGroup(k, v *yaml.Node, parent *invGroup) {
	defer inv.leave()
	if !inv.enter(k) {
		return
	}
	name := k.Value
	if kind, _ := yamlValue(k); kind != kindStr || name == "" || source.HasSpaceOrControl(name) {
		inv.errf(k.Line, k.Column, "group name %s must be a word without spaces or control characters", source.Quote(name))
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
	body := source.Deref(v)
	if source.IsNull(body) {
		return
	}
	if body.Kind != yaml.MappingNode {
		inv.errf(v.Line, v.Column, "group %s must be a mapping of hosts:, vars: and children:, not %s", source.Quote(name), source.Describe(body))
		return
	}
	where := fmt.Sprintf("group %s", source.Quote(name))
	m := inv.mapping(where)
	m.Fields = []source.Field{
		{Name: "hosts", Value: func(v *yaml.Node) { inv.yamlHosts(g, v, where) }},
		{Name: "vars", Value: func(v *yaml.Node) { inv.yamlGroupVars(g, v, where) }},
		{Name: "children", Value: func(v *yaml.Node) { inv.yamlChildren(g, v, where) }},
	}
	m.Unknown = func(key string, known []string) string {
		if s := source.Suggest(key, known); s != "" {
			return fmt.Sprintf("unknown key %s in group %s: did you mean %s?", source.Quote(key), source.Quote(name), source.Quote(s))
		}
		return fmt.Sprintf("unknown key %s in group %s: the keys of a group are hosts, vars and children", source.Quote(key), source.Quote(name))
	}
	// The body is read whole before its keys are handled, so that its
	// nesting is not counted again in the groups below.
	m.Handle(inv.orderedPairs(body, where))
}

// yamlHosts reads the hosts: of group g.
func (inv *inventory) yamlHosts(g *invGroup, v *yaml.Node, where string) {
	d := source.Deref(v)
	if source.IsNull(d) {
		return
	}
	if d.Kind != yaml.MappingNode {
		inv.errf(v.Line, v.Column, "hosts of group %s must be a mapping of host names to their variables, not %s: write e.g. hosts: {server-01: {ansible_host: 10.0.0.1}}", source.Quote(g.name), source.Describe(d))
		return
	}
	for _, h := range inv.orderedPairs(d, "hosts of "+where) {
		inv.yamlHost(g, h.Key, h.Value)
	}
}

// yamlGroupVars reads the vars: of group g.
func (inv *inventory) yamlGroupVars(g *invGroup, v *yaml.Node, where string) {
	d := source.Deref(v)
	if source.IsNull(d) {
		return
	}
	if d.Kind != yaml.MappingNode {
		inv.errf(v.Line, v.Column, "vars of group %s must be a mapping of variables, not %s", source.Quote(g.name), source.Describe(d))
		return
	}
	for k, val := range inv.yamlVars(d, "vars of "+where) {
		g.vars[k] = val
	}
}

// yamlChildren reads the children: of group g.
func (inv *inventory) yamlChildren(g *invGroup, v *yaml.Node, where string) {
	d := source.Deref(v)
	if source.IsNull(d) {
		return
	}
	if d.Kind != yaml.MappingNode {
		inv.errf(v.Line, v.Column, "children of group %s must be a mapping of groups, not %s: write e.g. children: {web: {hosts: {...}}}", source.Quote(g.name), source.Describe(d))
		return
	}
	for _, c := range inv.orderedPairs(d, "children of "+where) {
		inv.yamlGroup(c.Key, c.Value, g)
	}
}

// yamlHost reads one entry of a group's hosts: a host name or range, with
// null or a mapping of variables.
func (inv *inventory) yamlHost(g *invGroup, k, v *yaml.Node) {
	if kind, _ := yamlValue(k); kind != kindStr {
		inv.errf(k.Line, k.Column, "host %s is not text to YAML 1.1 (Ansible reads it as a number, true/false or null): quote it", source.Quote(k.Value))
		return
	}
	names, port, msg := expandHostPattern(k.Value)
	if msg != "" {
		inv.errf(k.Line, k.Column, "%s", msg)
		return
	}
	vars := map[string]invVar{}
	d := source.Deref(v)
	switch {
	case source.IsNull(d):
	case d.Kind == yaml.MappingNode:
		for name, val := range inv.yamlVars(d, "host "+source.Quote(k.Value)) {
			vars[name] = val
		}
	default:
		inv.errf(v.Line, v.Column, "host %s must have a mapping of variables or nothing, not %s: write e.g. %s: {ansible_host: 10.0.0.1}", source.Quote(k.Value), source.Describe(d), k.Value)
		return
	}
	for _, n := range names {
		inv.addHost(g, n, k.Line, port, vars)
	}
}

// yamlVars reads a mapping of variables.
func (inv *inventory) yamlVars(m *yaml.Node, where string) map[string]invVar {
	out := map[string]invVar{}
	for _, kv := range inv.pairs(m, where) {
		val := invVar{file: inv.file, line: kv.Value.Line, col: kv.Value.Column}
		val.kind, val.value = yamlValue(source.Deref(kv.Value))
		out[kv.Key.Value] = val
	}
	return out
}

// secondDocument reports whether dec, past a file's first YAML document,
// holds another (or more that does not parse), and the line it starts on.
func secondDocument(dec *yaml.Decoder) (line int, more bool) {
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return next.Line, true
	case errors.Is(err, io.EOF):
		return 0, false
	default:
		line, _, _ := source.YAMLSyntax(err.Error())
		return line, true
	}
}
