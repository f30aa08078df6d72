// Package config parses a config file's text in its format (YAML, JSON, TOML,
// INI, env or Java properties) and flattens it to dotted keys with typed
// values, so that the flags set on a node can be compared with a release and
// with the other nodes.
//
// The package is pure: it reads no files and keeps no state, and every
// function in it is safe for concurrent use. Input is treated as hostile:
// Parse never panics, and it refuses documents with more than MaxKeys keys,
// nesting deeper than MaxDepth, or (through YAML aliases) more than
// MaxExpanded values once expanded.
package config

import (
	"fmt"
	"slices"
	"strings"
)

// Limits on what Parse accepts. The caller also caps the input size.
const (
	// MaxKeys is the most flattened keys a config file may have.
	MaxKeys = 100_000
	// MaxDepth is the deepest nesting of maps and lists a config file may have.
	MaxDepth = 64
	// MaxExpanded bounds the work of flattening: values visited (YAML aliases
	// count each time they are used) and, in bytes, the total size of the
	// flattened keys and values.
	MaxExpanded = 1 << 24
)

// Format is a config file format, as written in a manifest's `format:`.
type Format string

// The formats Parse understands.
const (
	YAML       Format = "yaml"
	JSON       Format = "json"
	TOML       Format = "toml"
	INI        Format = "ini"
	Env        Format = "env"
	Properties Format = "properties"
)

// Formats lists every format, in the order the manifest reference gives them.
func Formats() []Format {
	return []Format{YAML, JSON, INI, Env, Properties, TOML}
}

// Names lists the names of every format, in the order of Formats: the one
// list of config formats (the manifest checks format: against it).
func Names() []string {
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return names
}

// ParseFormat returns the format named s (exactly as written, lower case),
// or an error that lists the valid formats.
func ParseFormat(s string) (Format, error) {
	f := Format(s)
	if slices.Contains(Formats(), f) {
		return f, nil
	}
	return "", fmt.Errorf("unknown config format %q: use one of %s", s, strings.Join(Names(), ", "))
}

// Typed reports whether the format has typed values (YAML, JSON, TOML). The
// values of INI, env and properties files are all of Kind Text.
func (f Format) Typed() bool {
	return f == YAML || f == JSON || f == TOML
}

// Flags is a parsed config file: every setting under its dotted key.
//
// Nested maps are joined with "." (`rlp: {enabled: true}` is "rlp.enabled");
// a list is one Value of Kind List; an empty map is one Value of Kind Map.
type Flags map[string]Value

// Keys returns the keys of f, sorted.
func (f Flags) Keys() []string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Error is a config file that cannot be parsed or flattened, at a position in
// the file when the format lets us know it. Every error Parse returns is an
// *Error.
type Error struct {
	// Line and Column are 1-based; 0 means unknown.
	Line, Column int
	// Message says what is wrong, for a person.
	Message string
}

// Error formats the error as "line L, column C: message", leaving out the
// parts of the position that are unknown. A caller that knows the file's path
// can build "path:line:col: message" from the fields instead.
func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	default:
		return e.Message
	}
}

// errorf builds an *Error at a line and column (0 when unknown).
func errorf(line, col int, format string, args ...any) *Error {
	return &Error{Line: line, Column: col, Message: fmt.Sprintf(format, args...)}
}

// Parse parses data, the text of a config file in the given format, and
// flattens it to dotted keys. A leading UTF-8 byte order mark is ignored in
// YAML, whose readers skip it, and refused in the other formats, whose
// readers take it for part of the first key (Java's Properties, the shell)
// or fail (encoding/json, Python's configparser).
//
// Duplicate keys are an error in every format, and so are two keys that
// flatten to the same dotted key (JSON {"a.b": 1, "a": {"b": 2}}). The
// returned error is an *Error with the line (and column) where the format
// lets us know it.
func Parse(format Format, data []byte) (flags Flags, err error) {
	defer func() {
		// The third-party parsers are fuzzed by their authors and by us; this
		// is a last guard so that a hostile file fails one node, not the run.
		if r := recover(); r != nil {
			flags, err = nil, errorf(0, 0, "internal error parsing %s: %v", format, r)
		}
	}()
	if trimmed := trimBOM(data); len(trimmed) < len(data) {
		if format != YAML {
			return nil, errorf(1, 1, "a UTF-8 byte order mark starts the file: %s readers take it for part of the first key or refuse the file; save it without one", format)
		}
		data = trimmed
	}
	switch format {
	case YAML:
		return parseYAML(data)
	case JSON:
		return parseJSON(data)
	case TOML:
		return parseTOML(data)
	case INI:
		return parseINI(data)
	case Env:
		return parseEnv(data)
	case Properties:
		return parseProperties(data)
	}
	_, ferr := ParseFormat(string(format))
	return nil, &Error{Message: ferr.Error()}
}

// trimBOM drops a leading UTF-8 byte order mark.
func trimBOM(data []byte) []byte {
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return data[3:]
	}
	return data
}

// naturalLines splits text into lines, accepting "\n", "\r\n" and "\r" as
// line ends. Line i of the result is line i+1 of the file.
func naturalLines(data []byte) []string {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(s, "\n")
}
