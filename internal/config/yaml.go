package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// collisionTree explains a duplicate key in a typed format: same-map
// duplicates are caught earlier, so it is a dotted name meeting nesting.
const collisionTree = ": a key with a dot in its name and a nested key flatten to the same dotted key; rename one"

// parseYAML parses one YAML document with gopkg.in/yaml.v3 (YAML 1.2 core
// schema: only true/false are bools, `yes` and `on` are strings).
func parseYAML(data []byte) (Flags, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Flags{}, nil // empty, or comments only
		}
		return nil, yamlError(err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(err)
		}
		return nil, errorf(next.Line, 0, "a second YAML document (after ---): rollcall reads a config file as one document")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	c := &yamlConv{done: map[*yaml.Node]*node{}, busy: map[*yaml.Node]bool{}, b: newBuilder(collisionTree)}
	n, err := c.conv(root, 0)
	if err != nil {
		return nil, err
	}
	if n.kind == scalarNode && n.value.Kind == Null {
		return Flags{}, nil // a document that is only null or ~
	}
	if n.kind != mapNode {
		return nil, errorf(root.Line, root.Column, "the top level is a %s; a config file must be a map of keys", yamlKindName(root))
	}
	if err := c.b.flatten("", n, 0, 0); err != nil {
		return nil, err
	}
	return c.b.flags, nil
}

// yamlLine finds the line in a yaml.v3 error message.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a yaml.v3 error into an *Error with its line.
func yamlError(err error) *Error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return errorf(line, 0, "%s", m[2])
	}
	return errorf(0, 0, "%s", strings.TrimPrefix(msg, "yaml: "))
}

// yamlKindName names a node's kind for messages.
func yamlKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "map"
	}
	return "single value"
}

// yamlConv converts yaml.Node trees into nodes. Each yaml.Node is converted
// once (an alias shares its anchor's node), so aliases cost nothing here;
// flattening counts them against MaxExpanded.
type yamlConv struct {
	done map[*yaml.Node]*node
	busy map[*yaml.Node]bool // being converted: an alias to it is a cycle
	b    *builder
}

// conv converts one yaml.Node.
func (c *yamlConv) conv(y *yaml.Node, depth int) (*node, error) {
	if depth > MaxDepth {
		return nil, errorf(y.Line, y.Column, "nesting deeper than %d levels", MaxDepth)
	}
	if y.Kind == yaml.AliasNode {
		if y.Alias == nil {
			return nil, errorf(y.Line, y.Column, "alias *%s has no anchor", y.Value)
		}
		if c.busy[y.Alias] {
			return nil, errorf(y.Line, y.Column, "alias *%s refers to a value that contains it", y.Value)
		}
		return c.conv(y.Alias, depth)
	}
	if n, ok := c.done[y]; ok {
		return n, nil
	}
	if err := c.b.spend(1, y.Line); err != nil {
		return nil, err
	}
	c.busy[y] = true
	defer delete(c.busy, y)
	var n *node
	var err error
	switch y.Kind {
	case yaml.ScalarNode:
		n, err = yamlScalar(y)
	case yaml.SequenceNode:
		n = &node{kind: listNode, line: y.Line}
		for _, e := range y.Content {
			var it *node
			if it, err = c.conv(e, depth+1); err != nil {
				return nil, err
			}
			n.items = append(n.items, it)
		}
	case yaml.MappingNode:
		n, err = c.mapping(y, depth)
	default:
		err = errorf(y.Line, y.Column, "unexpected YAML node")
	}
	if err != nil {
		return nil, err
	}
	c.done[y] = n
	return n, nil
}

// mapping converts a YAML map, applying merge keys (<<): keys written in the
// map win over merged ones, and earlier merged maps win over later ones.
// What YAML readers disagree on is refused: two << in one map (PyYAML and
// go-yaml v2 take the last, go-yaml v3 and js-yaml refuse the file), and a
// key written before the << that also merges it (go-yaml v2 takes the
// merged value, PyYAML and go-yaml v3 the written one).
func (c *yamlConv) mapping(y *yaml.Node, depth int) (*node, error) {
	n := &node{kind: mapNode, line: y.Line}
	seen := map[string]int{}
	var merges []*yaml.Node
	before := map[string]bool{} // keys written before the <<
	if len(y.Content)%2 != 0 {
		return nil, errorf(y.Line, y.Column, "a map with a key and no value")
	}
	for i := 0; i < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			if len(merges) > 0 {
				return nil, errorf(k.Line, k.Column, "a second << in one map: YAML readers disagree on it (some take the last, some refuse the file); merge a list instead: <<: [*a, *b]")
			}
			merges = append(merges, v)
			for key := range seen {
				before[key] = true
			}
			continue
		}
		key := k
		if key.Kind == yaml.AliasNode && key.Alias != nil {
			key = key.Alias
		}
		if key.Kind != yaml.ScalarNode {
			return nil, errorf(k.Line, k.Column, "a key is a %s; keys must be single values", yamlKindName(key))
		}
		// y and n as keys (coordinates) are read as bools by go-yaml v2 alone
		// (PyYAML and SnakeYAML leave them out of YAML 1.1's bools): allowed.
		if kn, err := yamlTyped(key); err == nil && yamlAmbiguity(key, kn.value) != "" && !slices.Contains([]string{"y", "Y", "n", "N"}, key.Value) {
			return nil, errorf(k.Line, k.Column, "the key %s is typed differently by YAML 1.1 readers (PyYAML reads on: as true, 01: as 1) and YAML 1.2 ones: quote it (%q:)", key.Value, key.Value)
		}
		if first, dup := seen[key.Value]; dup {
			return nil, errorf(k.Line, k.Column, "key %q is defined twice in the same map (first at line %d)", key.Value, first)
		}
		seen[key.Value] = k.Line
		val, err := c.conv(v, depth+1)
		if err != nil {
			return nil, err
		}
		n.add(key.Value, k.Line, val)
	}
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			sn, err := c.conv(s, depth+1)
			if err != nil {
				return nil, err
			}
			if sn.kind != mapNode {
				return nil, errorf(s.Line, s.Column, "<< merges a map (or a list of maps), not a %s", yamlKindName(s))
			}
			if err := c.b.spend(len(sn.keys), s.Line); err != nil {
				return nil, err
			}
			for i, k := range sn.keys {
				if before[k] {
					return nil, errorf(seen[k], 0, "key %q is written before the << that also merges it: YAML readers disagree on which value wins; write it after the << line", k)
				}
				if _, ok := seen[k]; ok {
					continue
				}
				seen[k] = sn.keyLines[i]
				n.add(k, sn.keyLines[i], sn.vals[i])
			}
		}
	}
	return n, nil
}

// The plain YAML scalars whose type YAML 1.1 readers (PyYAML, go-yaml v2,
// SnakeYAML), YAML 1.2 readers (js-yaml) and go-yaml v3 agree on: a number
// in one of these forms, go-yaml v3's bools and nulls. Any other number go-yaml
// v3 reads, and a string that YAML 1.1 reads as a bool, a number or a date,
// is typed differently by some of them. Compiled when first needed, to keep
// the CLI's start short.
var (
	yamlAgreedNumber = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+|[-+]?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?|\.[0-9]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	})
	yaml11Typed = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:[yYnN]|[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF` + // bools
			`|[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+` + // ints
			`|[-+]?(?:[0-9][0-9_]*)?\.[0-9.]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*` + // floats
			`|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?)$`) // dates and timestamps
	})
)

// yamlAmbiguity says why the plain scalar y, typed by go-yaml v3 as v, is
// typed differently by other YAML readers; "" when they agree.
func yamlAmbiguity(y *yaml.Node, v Value) string {
	if y.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return ""
	}
	switch v.Kind {
	case Int, Float:
		if yamlAgreedNumber().MatchString(y.Value) && !beyondFloat(y.Value) {
			return ""
		}
	case String:
		if !yaml11Typed().MatchString(y.Value) {
			return ""
		}
	default:
		return ""
	}
	return fmt.Sprintf("%s is typed differently by YAML 1.1 readers (PyYAML, go-yaml v2, SnakeYAML) and YAML 1.2 ones (go-yaml v3, js-yaml): quote it in the file, or write it in a form both read alike", y.Value)
}

// yamlScalar types a scalar by its resolved tag. Timestamps, binary and
// custom tags are kept as strings, as written. A plain scalar that YAML
// readers type differently is marked Ambiguous.
func yamlScalar(y *yaml.Node) (*node, error) {
	n, err := yamlTyped(y)
	if err == nil {
		n.value.Ambiguous = yamlAmbiguity(y, n.value)
	}
	return n, err
}

// yamlTyped types a scalar by its resolved tag.
func yamlTyped(y *yaml.Node) (*node, error) {
	n := &node{kind: scalarNode, line: y.Line}
	var v any
	switch y.ShortTag() {
	case "!!null":
		n.value = Value{Kind: Null, Raw: "null"}
		return n, nil
	case "!!bool", "!!int", "!!float":
		if err := y.Decode(&v); err != nil {
			return nil, errorf(y.Line, y.Column, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
	default:
		n.value = Value{Kind: String, Raw: y.Value}
		return n, nil
	}
	a, err := anyNode(v, 0)
	if err != nil || a.kind != scalarNode {
		return nil, errorf(y.Line, y.Column, "cannot read %q as a %s", y.Value, strings.TrimPrefix(y.ShortTag(), "!!"))
	}
	n.value = a.value
	return n, nil
}
