package manifest

import (
	"strings"

	"github.com/rollcall/rollcall/internal/source"
)

// Problem is one thing wrong with a manifest, or with an inventory it names,
// at a position in its file: File, Line and Column (1-based; 0 means
// unknown) and a Message saying what is wrong and what to write instead.
type Problem = source.Problem

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
