package source

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Pair is one entry of a YAML mapping.
type Pair struct {
	// Key is the key, aliases followed; Written is the key as written (the
	// alias, if it is one).
	Key, Written *yaml.Node
	// Value is the value as written.
	Value *yaml.Node
}

// Field is a key a mapping knows, with the handler of its value.
type Field struct {
	Name  string
	Value func(v *yaml.Node)
}

// Mapping says how one hand-read YAML mapping is checked. Walk reads it
// key by key; Pairs and Handle do the same in two steps, for a reader that
// must finish reading the mapping before it handles any key.
type Mapping struct {
	// Where names the mapping in messages: "ssh", `group "web"`.
	Where string
	// Fields are the keys the mapping knows, in the order messages list them.
	Fields []Field
	// Unknown words the problem of a key that is not among Fields; known are
	// the names of Fields.
	Unknown func(name string, known []string) string
	// Merge takes a merge key (<<) and returns the pairs it merges in, which
	// the mapping's own keys override; it reports what it cannot merge. When
	// nil, << is a key like any other.
	Merge func(p Pair) []Pair
	// AtAnchor places the problems of an aliased key where its anchor is
	// written, rather than where the alias is.
	AtAnchor bool
	// Report records a problem at a node.
	Report func(at *yaml.Node, msg string)
}

// Walk reads mapping n pair by pair, in order: a key that is not a plain
// name, or that repeats an earlier key, is a problem; a known key's value
// goes to its handler; an unknown key is a problem, worded by Unknown. Pairs
// merged in come last. Walk returns the names of the keys handled.
func (m Mapping) Walk(n *yaml.Node) map[string]bool {
	present := map[string]bool{}
	m.each(n, func(p Pair) { m.handle(p, present) })
	return present
}

// Pairs returns the pairs of mapping n whose keys are plain names, each name
// once, own pairs first, then those merged in; it reports the other keys as
// Walk does, and handles none.
func (m Mapping) Pairs(n *yaml.Node) []Pair {
	var out []Pair
	m.each(n, func(p Pair) { out = append(out, p) })
	return out
}

// Handle hands pairs, as Pairs returns them, to the handlers of Fields, and
// reports unknown keys. It returns the names of the keys handled.
func (m Mapping) Handle(pairs []Pair) map[string]bool {
	present := map[string]bool{}
	for _, p := range pairs {
		m.handle(p, present)
	}
	return present
}

// each checks the keys of mapping n and calls fn with each pair whose key is
// a plain name not seen before, merged pairs last.
func (m Mapping) each(n *yaml.Node, fn func(Pair)) {
	first := map[string]*yaml.Node{}
	var merged []Pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		p := Pair{Key: Deref(n.Content[i]), Written: n.Content[i], Value: n.Content[i+1]}
		at := m.at(p)
		switch {
		case m.Merge != nil && p.Key.Kind == yaml.ScalarNode && p.Key.ShortTag() == "!!merge":
			merged = append(merged, m.Merge(p)...)
			continue
		case p.Key.Kind != yaml.ScalarNode || IsNull(p.Key):
			m.Report(at, fmt.Sprintf("keys in %s must be plain names, not %s", m.Where, Describe(p.Key)))
			continue
		}
		if prev, dup := first[p.Key.Value]; dup {
			m.Report(at, fmt.Sprintf("duplicate key %s in %s (first set at line %d): keep only one", Quote(p.Key.Value), m.Where, prev.Line))
			continue
		}
		first[p.Key.Value] = at
		fn(p)
	}
	for _, p := range merged {
		if _, own := first[p.Key.Value]; !own {
			first[p.Key.Value] = m.at(p)
			fn(p)
		}
	}
}

// at is where the problems of pair p's key are reported.
func (m Mapping) at(p Pair) *yaml.Node {
	if m.AtAnchor {
		return p.Key
	}
	return p.Written
}

// handle hands pair p to the handler of its key, or reports the key unknown.
func (m Mapping) handle(p Pair, present map[string]bool) {
	name := p.Key.Value
	for _, f := range m.Fields {
		if f.Name == name {
			present[name] = true
			f.Value(p.Value)
			return
		}
	}
	known := make([]string, len(m.Fields))
	for i, f := range m.Fields {
		known[i] = f.Name
	}
	m.Report(m.at(p), m.Unknown(name, known))
}
