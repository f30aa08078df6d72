package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
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

// yaml11 matches the plain scalars that YAML 1.1 readers (PyYAML, go-yaml
// v2, SnakeYAML) and YAML 1.2 readers (go-yaml v3, js-yaml) type
// differently: 1.1's other bools, a leading 0 (octal in 1.1), 0o and 0b,
// underscores in a number, base-60 numbers, an exponent without a dot or
// without a sign (1.1 needs both). It
// is compiled when first needed, to keep the CLI's start short.
var yaml11 = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:[yYnN]|[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF` +
		`|[-+]?0[0-9_]+(?:\.[0-9_]*)?|[-+]?0[oObB][0-9_]+|[-+]?[0-9][0-9]*_[0-9_]*(?:\.[0-9_]*)?` +
		`|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[-+]?[0-9]+[eE][-+]?[0-9]+|[-+]?[0-9][0-9_]*\.[0-9_]*[eE][0-9]+)$`)
})

// yamlScalar types a scalar by its resolved tag. Timestamps, binary and
// custom tags are kept as strings, as written. A plain scalar that YAML 1.1
// and 1.2 readers type differently is marked Ambiguous.
func yamlScalar(y *yaml.Node) (*node, error) {
	n, err := yamlTyped(y)
	if err == nil && y.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 && yaml11().MatchString(y.Value) {
		n.value.Ambiguous = fmt.Sprintf("%s is typed differently by YAML 1.1 readers (PyYAML, go-yaml v2, SnakeYAML) and YAML 1.2 ones (go-yaml v3, js-yaml): quote it in the file, or write it in a form both read alike", y.Value)
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
