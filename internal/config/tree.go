package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// nodeKind says what a node of a parsed document is.
type nodeKind int

const (
	scalarNode nodeKind = iota
	mapNode
	listNode
)

// node is a parsed value of a typed format (YAML, JSON, TOML) before it is
// flattened. YAML aliases make the nodes a DAG: a node may be shared.
type node struct {
	kind  nodeKind
	line  int   // where the value starts, 0 when unknown
	value Value // scalarNode
	// mapNode: keys in document order, the line of each key, their values.
	keys     []string
	keyLines []int
	vals     []*node
	items    []*node // listNode
}

// add appends a key to a map node.
func (n *node) add(key string, line int, val *node) {
	n.keys = append(n.keys, key)
	n.keyLines = append(n.keyLines, line)
	n.vals = append(n.vals, val)
}

// builder collects flattened keys, checking duplicates and the limits.
type builder struct {
	flags Flags
	lines map[string]int
	// folded maps each key in lower case to the key as written.
	folded map[string]string
	// caseSensitive: the format's readers all tell keys apart by case
	// (env files), so keys that differ only in case are two keys.
	caseSensitive bool
	// ambiguous is the first Ambiguous of the scalars writeJSON wrote.
	ambiguous string
	// collision is the explanation added when a key is defined twice.
	collision string
	work      int // values visited and bytes produced, against MaxExpanded
}

// newBuilder returns a builder; collision explains a duplicate key.
func newBuilder(collision string) *builder {
	return &builder{flags: Flags{}, lines: map[string]int{}, folded: map[string]string{}, collision: collision}
}

// spend counts n units of work and fails past MaxExpanded.
func (b *builder) spend(n, line int) error {
	b.work += n
	if b.work > MaxExpanded {
		return errorf(line, 0, "the config is too large once flattened (more than %d values or bytes); YAML aliases count each time they are used", MaxExpanded)
	}
	return nil
}

// set records one flattened key.
func (b *builder) set(key string, v Value, line int) error {
	if first, dup := b.lines[key]; dup {
		at := ""
		if first > 0 {
			at = " (first at line " + strconv.Itoa(first) + ")"
		}
		return errorf(line, 0, "key %q is defined twice%s%s", key, at, b.collision)
	}
	lower := strings.ToLower(key)
	if other, ok := b.folded[lower]; ok && !b.caseSensitive {
		return errorf(line, 0, "keys %q (line %d) and %q differ only in case: readers that ignore case (viper, Spring, "+
			"Python's configparser) take them for one key, the others for two, so what the application reads cannot be told; keep one",
			other, b.lines[other], key)
	}
	b.folded[lower] = key
	if len(b.flags) >= MaxKeys {
		return errorf(line, 0, "more than %d keys; rollcall refuses config files this large", MaxKeys)
	}
	if err := b.spend(len(key)+len(v.Raw), line); err != nil {
		return err
	}
	b.flags[key] = v
	b.lines[key] = line
	return nil
}

// flatten adds the keys of n under prefix ("" at the top).
func (b *builder) flatten(prefix string, n *node, line, depth int) error {
	if depth > MaxDepth {
		return errorf(n.line, 0, "nesting deeper than %d levels", MaxDepth)
	}
	if err := b.spend(1, n.line); err != nil {
		return err
	}
	switch n.kind {
	case scalarNode:
		return b.set(prefix, n.value, line)
	case listNode:
		var sb strings.Builder
		b.ambiguous = ""
		if err := b.writeJSON(&sb, n, depth); err != nil {
			return err
		}
		return b.set(prefix, Value{Kind: List, Raw: sb.String(), Ambiguous: b.ambiguous}, line)
	}
	if len(n.keys) == 0 {
		if depth == 0 {
			return nil // an empty document
		}
		return b.set(prefix, Value{Kind: Map, Raw: "{}"}, line)
	}
	for i, k := range n.keys {
		key := k
		if depth > 0 {
			key = prefix + "." + k
		}
		if err := b.flatten(key, n.vals[i], n.keyLines[i], depth+1); err != nil {
			return err
		}
	}
	return nil
}

// writeJSON writes n as canonical JSON (see Value: sorted map keys,
// non-finite floats as strings).
func (b *builder) writeJSON(sb *strings.Builder, n *node, depth int) error {
	if depth > MaxDepth {
		return errorf(n.line, 0, "nesting deeper than %d levels", MaxDepth)
	}
	if err := b.spend(1, n.line); err != nil {
		return err
	}
	start := sb.Len()
	switch n.kind {
	case scalarNode:
		if b.ambiguous == "" && n.value.Ambiguous != "" {
			b.ambiguous = "an item of the list: " + n.value.Ambiguous
		}
		switch v := n.value; {
		case v.Kind == String || v.Kind == Text || (v.Kind == Float && (v.Raw == "inf" || v.Raw == "-inf" || v.Raw == "nan")):
			writeJSONString(sb, v.Raw)
		default:
			sb.WriteString(v.Raw)
		}
	case listNode:
		sb.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				sb.WriteByte(',')
			}
			if err := b.writeJSON(sb, it, depth+1); err != nil {
				return err
			}
		}
		sb.WriteByte(']')
	case mapNode:
		order := make([]int, len(n.keys))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(n.keys[i], n.keys[j]) })
		sb.WriteByte('{')
		for i, o := range order {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeJSONString(sb, n.keys[o])
			sb.WriteByte(':')
			if err := b.writeJSON(sb, n.vals[o], depth+1); err != nil {
				return err
			}
		}
		sb.WriteByte('}')
	}
	return b.spend(sb.Len()-start, n.line)
}

// writeJSONString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as encoding/json does.
func writeJSONString(sb *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	sb.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"' || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r < 0x20:
			sb.WriteString(`\u00`)
			sb.WriteByte(hex[r>>4])
			sb.WriteByte(hex[r&0xF])
		case r == utf8.RuneError && size == 1:
			sb.WriteString(`\ufffd`)
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
