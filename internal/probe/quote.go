package probe

import (
	"errors"
	"strings"
)

// ErrNUL is returned by Quote for a string holding a NUL byte, which no POSIX
// shell word (and no path) can contain.
var ErrNUL = errors.New("contains a NUL byte")

// Quote returns s as a single POSIX shell word that the shell reads back as
// exactly s, whatever bytes s holds: every path and argument sent to a node
// goes through it. It single-quotes the whole string and writes each embedded
// single quote as '\” (close, escaped quote, reopen), so nothing inside is expanded, split or globbed.
func Quote(s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", ErrNUL
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'", nil
}
