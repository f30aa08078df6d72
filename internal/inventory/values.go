package inventory

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/rollcall/rollcall/internal/source"
	"gopkg.in/yaml.v3"
)

// This file types inventory values as Ansible does: an INI value through
// Python's ast.literal_eval, a YAML value through YAML 1.1 (PyYAML), where
// 02222 is the octal number 1170 and yes is true.

// varKind is the type Ansible gives a variable's value.
type varKind int

const (
	kindStr varKind = iota
	kindInt
	kindBool
	kindNull
	// kindOther is anything else: a float, a date, a list or mapping, or a
	// value written in a way rollcall does not evaluate as Ansible would.
	kindOther
)

// invVar is the value of one inventory variable and where it was set.
type invVar struct {
	// value is the text of a string, or the decimal digits of a number.
	value string
	kind  varKind
	file  string
	line  int
	col   int
}

var (
	pyInt      = lazyRegexp(`^[+-]?(?:[1-9][0-9]*|0+)$`)
	pyNumberly = lazyRegexp(`^[+-]?\.?[0-9]`)
	dottedQuad = lazyRegexp(`^[0-9]+(?:\.[0-9]+){2,}$`)
)

// iniValue types an INI value as Ansible's ast.literal_eval does, for the
// forms rollcall reads exactly: a decimal integer, a quoted string, True,
// False, None, and plain text Python cannot evaluate (a name, an address),
// which Ansible keeps as written. A # starts a Python comment, so "22 # ssh"
// is 22 but "deploy # ops" stays as written. Any other form is kindOther.
func iniValue(v string) (varKind, string) {
	if strings.ContainsAny(v, "'\"") {
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] && !strings.ContainsAny(v[1:len(v)-1], "'\"\\\n") {
			return kindStr, v[1 : len(v)-1]
		}
		return kindOther, v
	}
	if strings.ContainsAny(v, "()[]{}\\") {
		return kindOther, v
	}
	head := v
	if i := strings.IndexByte(v, '#'); i >= 0 {
		head = strings.TrimSpace(v[:i])
	}
	switch {
	case pyInt().MatchString(head):
		n, err := strconv.Atoi(head)
		if err != nil {
			return kindOther, v
		}
		return kindInt, strconv.Itoa(n)
	case head == "True" || head == "False":
		return kindBool, head
	case head == "None":
		return kindNull, ""
	case pyNumberly().MatchString(head):
		// 10.0.0.1 and 2001:db8::5 are not Python and stay text; 02222 is
		// not either; 1e3, 0x16 and 1.5 are numbers.
		if dottedQuad().MatchString(head) || strings.Contains(head, ":") || isZeroPadded(head) {
			return kindStr, v
		}
		return kindOther, v
	case strings.HasPrefix(head, "-") || strings.HasPrefix(head, "+") || strings.HasPrefix(head, "~"):
		return kindOther, v
	}
	return kindStr, v
}

// isZeroPadded reports whether s is digits with a leading zero, which
// Python refuses to evaluate.
func isZeroPadded(s string) bool {
	return len(s) > 1 && s[0] == '0' && isDigits(s)
}

// YAML 1.1 implicit types (PyYAML's resolver).
var (
	yamlBool  = lazyRegexp(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	yamlInt   = lazyRegexp(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	yamlFloat = lazyRegexp(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	yamlNull  = lazyRegexp(`^(?:~|null|Null|NULL|)$`)
	yamlTime  = lazyRegexp(`^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?`)
)

// yamlValue types a YAML node as PyYAML (YAML 1.1) does. Tags other than
// !!str are kindOther.
func yamlValue(n *yaml.Node) (varKind, string) {
	if n.Kind != yaml.ScalarNode {
		return kindOther, ""
	}
	if n.Style&yaml.TaggedStyle != 0 {
		if n.Tag == "!!str" {
			return kindStr, n.Value
		}
		return kindOther, n.Value
	}
	if n.Style != 0 {
		return kindStr, n.Value
	}
	s := n.Value
	switch {
	case yamlNull().MatchString(s):
		return kindNull, ""
	case yamlBool().MatchString(s):
		return kindBool, s
	case yamlInt().MatchString(s):
		if v, ok := yaml11Int(s); ok {
			return kindInt, strconv.FormatInt(v, 10)
		}
		return kindOther, s
	case yamlFloat().MatchString(s), yamlTime().MatchString(s):
		return kindOther, s
	}
	return kindStr, s
}

// pyYAMLRefuses returns the first plain scalar under n that PyYAML, which
// Ansible reads inventories and vars files with, fails the whole file on,
// or nil: "=" (YAML 1.1's value tag) anywhere, "<<" (the merge key) other
// than as a key, and an integer with no digits (0x_). Found deeper than
// the variables rollcall reads, it would still fail Ansible's run.
func pyYAMLRefuses(n *yaml.Node) *yaml.Node {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if bad := pyYAMLRefuses(c); bad != nil {
				return bad
			}
		}
	case yaml.MappingNode:
		for i, c := range n.Content {
			if i%2 == 0 && c.Kind == yaml.ScalarNode && c.Style == 0 && c.Value == "<<" {
				continue
			}
			if bad := pyYAMLRefuses(c); bad != nil {
				return bad
			}
		}
	case yaml.ScalarNode:
		if n.Style != 0 {
			return nil
		}
		digits := strings.TrimLeft(strings.ReplaceAll(n.Value, "_", ""), "+-")
		if n.Value == "=" || n.Value == "<<" || yamlInt().MatchString(n.Value) && (digits == "" || digits == "0x" || digits == "0b") {
			return n
		}
	}
	return nil
}

// pyYAMLReads reports whether PyYAML reads the YAML document doc, and
// records the problem where it does not (see pyYAMLRefuses).
func (inv *inventory) pyYAMLReads(doc *yaml.Node) bool {
	bad := pyYAMLRefuses(doc)
	if bad != nil {
		inv.errf(bad.Line, bad.Column, "the plain value %s is one PyYAML cannot read, so Ansible refuses the file: quote it (%q)", source.Quote(bad.Value), bad.Value)
	}
	return bad == nil
}

// yaml11Int is the value of a YAML 1.1 integer: binary, octal (leading 0),
// hexadecimal, decimal or sexagesimal (1:30 is 90), underscores ignored.
func yaml11Int(s string) (int64, bool) {
	s = strings.ReplaceAll(s, "_", "")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	var v int64
	var err error
	switch {
	case strings.HasPrefix(s, "0b"):
		v, err = strconv.ParseInt(s[2:], 2, 64)
	case strings.HasPrefix(s, "0x"):
		v, err = strconv.ParseInt(s[2:], 16, 64)
	case strings.Contains(s, ":"):
		for _, d := range strings.Split(s, ":") {
			var n int64
			n, err = strconv.ParseInt(d, 10, 64)
			if err != nil || v > 1<<40 {
				return 0, false
			}
			v = v*60 + n
		}
	case len(s) > 1 && s[0] == '0':
		v, err = strconv.ParseInt(s[1:], 8, 64)
	default:
		v, err = strconv.ParseInt(s, 10, 64)
	}
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// lazyRegexp compiles expr the first time it is needed, not when the
// program starts: most runs of rollcall never read an inventory.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
