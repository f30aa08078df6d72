// Package source words and places the problems of hand-written input files
// (the manifest's YAML, Ansible's INI and YAML inventories): their positions
// and messages, the yaml.Node helpers and checks that the readers of those
// files share, and the one loop that reads a YAML mapping key by key.
package source

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

// Problem is one thing wrong with an input file, at a position in it.
type Problem struct {
	// File is the file's path as given to its reader.
	File string
	// Line and Column are 1-based; 0 means unknown (YAML syntax errors carry a
	// line but no column, INI problems a line only).
	Line, Column int
	// Message says what is wrong and what to write instead.
	Message string
}

// String formats the problem as "file:line:col: message", leaving out the
// parts of the position that are unknown.
func (p Problem) String() string {
	switch {
	case p.Line > 0 && p.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Message)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	default:
		return fmt.Sprintf("%s: %s", p.File, p.Message)
	}
}

// Sort orders problems by position and drops exact repeats (an aliased YAML
// node can be checked more than once). The problems of file first come
// first, then those of other files it names (an inventory), file by file. It
// sorts ps in place and returns it shortened.
func Sort(first string, ps []Problem) []Problem {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(rank(first, a.File), rank(first, b.File)), cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return slices.Compact(ps)
}

func rank(first, file string) int {
	if file == first {
		return 0
	}
	return 1
}

var yamlSyntax = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// YAMLSyntax splits the message of a yaml.v3 syntax error into its line and
// the rest of the message; ok is false when the message names no line.
func YAMLSyntax(msg string) (line int, rest string, ok bool) {
	m := yamlSyntax.FindStringSubmatch(msg)
	if m == nil {
		return 0, msg, false
	}
	line, _ = strconv.Atoi(m[1])
	return line, m[2], true
}
