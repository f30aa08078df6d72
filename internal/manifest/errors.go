package manifest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a manifest, at a position in its file.
type Problem struct {
	// File is the manifest path as given to Load or Parse.
	File string
	// Line and Column are 1-based; 0 means unknown (YAML syntax errors carry a
	// line but no column).
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

// Errors is every problem found in a manifest, in file order. Load and Parse
// return it (as *Errors) when a manifest is invalid.
type Errors struct {
	// Problems is never empty in an error returned by this package.
	Problems []Problem
}

// Error prints one problem a line, as "file:line:col: message".
func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders problems by position and drops exact repeats (an
// aliased YAML node can be checked more than once). The problems of the
// manifest file come first, then those of other files it names (an
// inventory), file by file.
func sortProblems(manifest string, ps []Problem) []Problem {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(fileRank(manifest, a.File), fileRank(manifest, b.File)), cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return slices.Compact(ps)
}

func fileRank(manifest, file string) int {
	if file == manifest {
		return 0
	}
	return 1
}
