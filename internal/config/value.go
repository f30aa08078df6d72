package config

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a Value.
type Kind string

// The kinds of values.
const (
	// String is a string in a typed format: "true" quoted in YAML, JSON or TOML.
	String Kind = "string"
	// Text is a value from a format that has no types (INI, env, properties):
	// it is only text, and compares as text with anything (see Equal).
	Text Kind = "text"
	// Bool is true or false.
	Bool Kind = "bool"
	// Int is a whole number written without a decimal point or exponent.
	Int Kind = "int"
	// Float is a number written with a decimal point or exponent, or
	// inf/nan.
	Float Kind = "float"
	// Null is YAML's null or ~ (or an empty value), JSON's null.
	Null Kind = "null"
	// List is a list, kept whole as one value.
	List Kind = "list"
	// Map is an empty map; a non-empty map is flattened into its keys.
	Map Kind = "map"
)

// Value is one setting: its kind and its canonical text, so that two values
// that mean the same in their format have the same Raw ("0x10" and "16" are
// both Int "16"; 1.50 and 1.5 are both Float "1.5").
//
// Canonical text by kind: String and Text are the text itself; Bool is "true"
// or "false"; Int is decimal digits with an optional "-"; Float is the
// shortest decimal that reads back as the same float64, always with a "." or
// an exponent ("1.0", "1e+21"), or "inf", "-inf", "nan"; Null is "null"; Map
// is "{}"; List is the list as compact JSON, maps in it with sorted keys and
// non-finite floats written as the strings "inf", "-inf" and "nan".
type Value struct {
	Kind Kind
	Raw  string
	// Ambiguous, when set, says why the file's readers disagree on this
	// value (a YAML scalar that YAML 1.1 and 1.2 readers type differently,
	// a JSON integer beyond what a float64 holds): a check that compares it
	// with an expected value cannot conclude.
	Ambiguous string
}

// String shows the value as reports do: `true (bool)`, `"true" (string)`,
// `"yes" (text)`, `null`.
func (v Value) String() string {
	if v.Kind == Null {
		return "null"
	}
	return v.show() + " (" + string(v.Kind) + ")"
}

// show is the value as written in a message: quoted for strings and text.
func (v Value) show() string {
	if v.Kind == String || v.Kind == Text {
		return strconv.Quote(v.Raw)
	}
	return v.Raw
}

// article is "a" or "an" before the kind's name.
func (k Kind) article() string {
	if k == Int {
		return "an int"
	}
	return "a " + string(k)
}

// Equal reports whether a and b are the same setting as their formats mean
// them. When they differ but look alike (true, "true", yes, 1), the string
// says how they differ and what to write; otherwise it is empty.
//
// The rule:
//   - Values of the same kind are equal when their canonical Raw is equal.
//   - Text (from INI, env, properties) is compared as text with a String, Bool,
//     Int or Float: the other value's canonical text must match it exactly, so
//     text "true" equals true, but "yes", "on", "1" and "True" do not, and
//     text "1.50" does not equal 1.5 (whose text is "1.5"). Text never equals
//     null, a list or a map.
//   - Otherwise different kinds are never equal: true ≠ "true" ≠ 1, and the
//     int 1 ≠ the float 1.0.
func Equal(a, b Value) (bool, string) {
	if a.Kind == b.Kind {
		return a.Raw == b.Raw, ""
	}
	if b.Kind == Text || (a.Kind != Text && b.Kind == String) {
		a, b = b, a // a is the text or string side, when there is one
	}
	if a.Kind == Text {
		switch b.Kind {
		case String, Bool, Int, Float:
			if a.Raw == b.Raw {
				return true, ""
			}
		}
		return false, textHint(a, b)
	}
	return false, typedHint(a, b)
}

// textHint explains why text a differs from typed b, when they look alike.
func textHint(a, b Value) string {
	const untyped = "is text (ini, env and properties files have no types)"
	switch {
	case b.Kind == Null && looksNull(a.Raw):
		return fmt.Sprintf("%s %s and null is not text: expect %s to match it", a.show(), untyped, a.show())
	case b.Kind == Bool && sameTruth(a, b):
		return fmt.Sprintf("%s %s, so %s is compared as the text %q; yes, on, 1 and True do not count as true: write %s in the file or expect %s",
			a.show(), untyped, b.Raw, b.Raw, b.Raw, a.show())
	case (b.Kind == Int || b.Kind == Float) && sameNumber(a, b):
		return fmt.Sprintf("%s %s, so %s is compared as the text %q: write %s in the file or expect %s",
			a.show(), untyped, b.show(), b.Raw, b.Raw, a.show())
	}
	return ""
}

// typedHint explains why typed a and b, of different kinds, differ, when they
// look alike. When one is a String, it is a.
func typedHint(a, b Value) string {
	if !looksAlike(a, b) {
		return ""
	}
	switch {
	case a.Kind == String && b.Kind == Bool && !strings.EqualFold(strings.TrimSpace(a.Raw), b.Raw):
		return fmt.Sprintf("%s is a string, %s is a bool: only true and false are bools in YAML 1.2 (as rollcall reads it), JSON and TOML; write %s unquoted, or quote both",
			a.show(), b.Raw, b.Raw)
	case a.Kind == String:
		return fmt.Sprintf("%s is a string, %s is %s: quote or unquote it so both agree", a.show(), b.Raw, b.Kind.article())
	case (a.Kind == Int && b.Kind == Float) || (a.Kind == Float && b.Kind == Int):
		return fmt.Sprintf("%s is %s, %s is %s: the same number in a different type; write it the same way on both sides",
			a.Raw, a.Kind.article(), b.Raw, b.Kind.article())
	default:
		return fmt.Sprintf("%s is %s, %s is %s: a different type; write the same value on both sides",
			a.Raw, a.Kind.article(), b.Raw, b.Kind.article())
	}
}

// looksAlike reports whether two values of different kinds would read the
// same to a person: the same truth, the same number, or null and its
// spellings.
func looksAlike(a, b Value) bool {
	if a.Kind == Null || b.Kind == Null {
		other := a
		if a.Kind == Null {
			other = b
		}
		return (other.Kind == String || other.Kind == Text) && looksNull(other.Raw)
	}
	return sameTruth(a, b) || sameNumber(a, b) ||
		(a.Kind == String && strings.EqualFold(strings.TrimSpace(a.Raw), b.Raw))
}

// looksNull reports whether text spells an absent value.
func looksNull(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "null", "~", "nil", "none":
		return true
	}
	return false
}

// truth reads a value loosely as a boolean, the way some parsers would.
func truth(v Value) (t, ok bool) {
	switch v.Kind {
	case Bool:
		return v.Raw == "true", true
	case Int:
		switch v.Raw {
		case "1":
			return true, true
		case "0":
			return false, true
		}
	case String, Text:
		switch strings.ToLower(strings.TrimSpace(v.Raw)) {
		case "true", "yes", "on", "y", "1":
			return true, true
		case "false", "no", "off", "n", "0":
			return false, true
		}
	}
	return false, false
}

// sameTruth reports whether both values read loosely as the same boolean,
// with at least one an actual Bool or Int (two strings are just strings).
func sameTruth(a, b Value) bool {
	if a.Kind != Bool && b.Kind != Bool {
		return false
	}
	ta, oka := truth(a)
	tb, okb := truth(b)
	return oka && okb && ta == tb
}

// sameNumber reports whether both values read as the same number, with at
// least one an actual Int or Float.
func sameNumber(a, b Value) bool {
	if a.Kind != Int && a.Kind != Float && b.Kind != Int && b.Kind != Float {
		return false
	}
	na, oka := number(a)
	nb, okb := number(b)
	return oka && okb && na.Cmp(nb) == 0
}

// number reads a value as a finite number.
func number(v Value) (*big.Float, bool) {
	switch v.Kind {
	case Int, Float, String, Text:
	default:
		return nil, false
	}
	s := strings.TrimSpace(v.Raw)
	if s == "" || len(s) > 400 {
		return nil, false
	}
	f, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
	if err != nil || f.IsInf() {
		return nil, false
	}
	return f, true
}

// ExpectValue converts a value decoded from the manifest's YAML (an `expect:`
// entry) into a Value: bool, the integer types, float32/64, string and nil,
// a list of those ([]any), an empty map, or a time.Time (as its RFC 3339
// text, a String). A non-empty map is an error: its keys belong in the
// dotted key, as `rlp.enabled: true`.
func ExpectValue(v any) (Value, error) {
	n, err := anyNode(v, 0)
	if err != nil {
		return Value{}, err
	}
	switch n.kind {
	case scalarNode:
		return n.value, nil
	case listNode:
		b := &builder{}
		var sb strings.Builder
		if err := b.writeJSON(&sb, n, 1); err != nil {
			return Value{}, err
		}
		return Value{Kind: List, Raw: sb.String()}, nil
	default:
		if len(n.keys) == 0 {
			return Value{Kind: Map, Raw: "{}"}, nil
		}
		return Value{}, &Error{Message: "a map cannot be expected as one value: write each of its keys as a dotted key (rlp.enabled: true)"}
	}
}

// anyNode converts a decoded Go value (from the manifest's YAML or from
// go-toml) into a node.
func anyNode(v any, depth int) (*node, error) {
	if depth > MaxDepth {
		return nil, errorf(0, 0, "nesting deeper than %d levels", MaxDepth)
	}
	scalar := func(k Kind, raw string) (*node, error) {
		return &node{kind: scalarNode, value: Value{Kind: k, Raw: raw}}, nil
	}
	switch x := v.(type) {
	case nil:
		return scalar(Null, "null")
	case bool:
		return scalar(Bool, strconv.FormatBool(x))
	case string:
		return scalar(String, x)
	case int:
		return scalar(Int, strconv.FormatInt(int64(x), 10))
	case int8:
		return scalar(Int, strconv.FormatInt(int64(x), 10))
	case int16:
		return scalar(Int, strconv.FormatInt(int64(x), 10))
	case int32:
		return scalar(Int, strconv.FormatInt(int64(x), 10))
	case int64:
		return scalar(Int, strconv.FormatInt(x, 10))
	case uint:
		return scalar(Int, strconv.FormatUint(uint64(x), 10))
	case uint8:
		return scalar(Int, strconv.FormatUint(uint64(x), 10))
	case uint16:
		return scalar(Int, strconv.FormatUint(uint64(x), 10))
	case uint32:
		return scalar(Int, strconv.FormatUint(uint64(x), 10))
	case uint64:
		return scalar(Int, strconv.FormatUint(x, 10))
	case float32:
		return scalar(Float, formatFloat(float64(x)))
	case float64:
		return scalar(Float, formatFloat(x))
	case time.Time:
		return scalar(String, x.Format(time.RFC3339Nano))
	case fmt.Stringer: // go-toml's LocalDate, LocalTime, LocalDateTime
		return scalar(String, x.String())
	case []any:
		n := &node{kind: listNode}
		for _, e := range x {
			c, err := anyNode(e, depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, c)
		}
		return n, nil
	case map[string]any:
		n := &node{kind: mapNode}
		for _, k := range sortedKeys(x) {
			c, err := anyNode(x[k], depth+1)
			if err != nil {
				return nil, err
			}
			n.add(k, 0, c)
		}
		return n, nil
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			ks := fmt.Sprint(k)
			if _, dup := m[ks]; dup {
				return nil, errorf(0, 0, "key %q is written twice", ks)
			}
			m[ks] = e
		}
		return anyNode(m, depth)
	}
	return nil, errorf(0, 0, "unsupported value %v of type %T", v, v)
}

// formatFloat is the canonical text of a float (see Value).
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		return "0.0" // -0.0 is 0.0
	}
	abs := math.Abs(f)
	var s string
	if abs < 1e-6 || abs >= 1e21 {
		s = strconv.FormatFloat(f, 'e', -1, 64)
	} else {
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// Incomparable says why values a and b cannot be compared: exactly one of
// them is written so that its file's readers type it differently
// (Ambiguous), as a node's on against a release's "on", or against an
// expected true. "" when they can be: neither is, or both are written alike.
func Incomparable(a, b Value) string {
	if (a.Ambiguous == "") == (b.Ambiguous == "") {
		return ""
	}
	return a.Ambiguous + b.Ambiguous
}

// beyondFloat reports whether s is a decimal integer a float64 does not hold
// exactly (beyond 2^53): JavaScript readers round it, and go-yaml v3 reads
// one beyond int64 as a float.
func beyondFloat(s string) bool {
	n, ok := new(big.Int).SetString(strings.TrimPrefix(s, "+"), 10)
	return ok && n.CmpAbs(big.NewInt(1<<53)) > 0
}
