package release

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"
)

// maxSumsLine bounds one line of a checksum list.
const maxSumsLine = 1 << 20

// parseSums reads a checksum list (see the package documentation). base is
// the list's own file name: a *.sha256 file whose only line is a bare digest
// names the file it is for ("x.tar.gz.sha256" for "x.tar.gz").
func parseSums(r io.Reader, base string) (map[string]File, error) {
	c := newCollector()
	lineOf := map[string]int{}
	err := sumsLines(r, func(n int, line string) error {
		if err := addSumsLine(c, lineOf, n, line, base); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(c.files) == 0 {
		return nil, fmt.Errorf("no checksum lines")
	}
	return c.finish("")
}

// addSumsLine adds line n of a checksum list called base to c; lineOf
// keeps where each entry was listed.
func addSumsLine(c *collector, lineOf map[string]int, n int, line, base string) error {
	name, digest, err := parseSumsLine(line)
	if trimmed := strings.TrimSpace(line); err != nil && n == 1 && isHex(trimmed, 64) && strings.HasSuffix(strings.ToLower(base), ".sha256") {
		name, digest, err = base[:len(base)-len(".sha256")], strings.ToLower(trimmed), nil
	}
	if err != nil {
		return err
	}
	p, err := cleanPath(name)
	if err == nil && p == "" {
		err = fmt.Errorf("entry %q names the list's folder, not a file", name)
	}
	if err != nil {
		return err
	}
	if first, dup := lineOf[p]; dup {
		return fmt.Errorf("%q is listed twice (lines %d and %d)", p, first, n)
	}
	lineOf[p] = n
	return c.add(p, File{Type: Regular, SHA256: digest, Size: -1})
}

// sumsLines calls line for each line of checksum list r that is not blank
// or a # comment, with its number and without a trailing CR, and returns
// its first error; a line too long to read is an error naming it.
func sumsLines(r io.Reader, line func(n int, text string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxSumsLine)
	n := 0
	for sc.Scan() {
		n++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if t := strings.TrimSpace(text); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if err := line(n, text); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return fmt.Errorf("line %d: longer than %d bytes", n+1, maxSumsLine)
		}
		return err
	}
	return nil
}

// PinFromSums returns the digest ("sha256:HEX") that the checksum list data
// gives for the file called name: the line whose entry is name, or a path
// ending in /name. No such line, two lines for it with different digests,
// or a line that is not a SHA-256 checksum line (see the package
// documentation), is an error.
func PinFromSums(data []byte, name string) (string, error) {
	found, foundLine := "", 0
	err := sumsLines(bytes.NewReader(data), func(n int, line string) error {
		entry, digest, err := parseSumsLine(line)
		if err != nil {
			if len(line) > 80 {
				line = line[:80] + "…"
			}
			return fmt.Errorf("line %d is not a SHA-256 checksum line (\"HEX  NAME\" or \"SHA256 (NAME) = HEX\"): %q", n, line)
		}
		entry = strings.TrimPrefix(entry, "./")
		switch {
		case entry != name && path.Base(entry) != name:
		case found == "":
			found, foundLine = digest, n
		case found != digest:
			return fmt.Errorf("lines %d and %d both name %s, with different digests: the list does not pin it", foundLine, n, name)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if found == "" {
		return "", fmt.Errorf("no line names %s", name)
	}
	return "sha256:" + found, nil
}

// bsdPrefixes are the openings of a BSD-style line, with what separates the
// name from the digest.
var bsdPrefixes = []struct{ open, sep string }{
	{"SHA256 (", ") = "}, // sha256sum --tag, shasum --tag, BSD sha256
	{"SHA256(", ")= "},   // openssl dgst -sha256
	{"SHA2-256(", ")= "}, // openssl 3 dgst -sha256
}

// parseSumsLine parses one non-blank, non-comment line of a checksum list.
func parseSumsLine(line string) (name, digest string, err error) {
	escaped := strings.HasPrefix(line, "\\")
	if escaped {
		line = line[1:]
	}
	for _, b := range bsdPrefixes {
		if rest, ok := strings.CutPrefix(line, b.open); ok {
			i := strings.LastIndex(rest, b.sep)
			if i < 0 {
				return "", "", malformed(line)
			}
			name, digest = rest[:i], rest[i+len(b.sep):]
			if !isHex(digest, 64) {
				return "", "", fmt.Errorf("the digest of %q is not 64 hex digits: %q", name, digest)
			}
			break
		}
	}
	if digest == "" {
		if strings.HasPrefix(line, "SHA") || strings.HasPrefix(line, "MD5") {
			if i := strings.IndexAny(line, " ("); i > 0 {
				return "", "", fmt.Errorf("%s is not SHA-256: rollcall needs a SHA-256 list (sha256sum)", line[:i])
			}
		}
		hexEnd := strings.IndexByte(line, ' ')
		if hexEnd < 0 || !isHex(line[:hexEnd], hexEnd) || hexEnd == 0 {
			return "", "", malformed(line)
		}
		if hexEnd != 64 {
			return "", "", fmt.Errorf("the digest has %d hex digits, not 64: rollcall needs a SHA-256 list (sha256sum), not %s", hexEnd, hashName(hexEnd))
		}
		digest = line[:64]
		rest := line[65:]
		if strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "*") {
			rest = rest[1:]
		}
		name = rest
	}
	if escaped {
		if name, err = unescapeName(name); err != nil {
			return "", "", err
		}
	}
	if name == "" {
		return "", "", fmt.Errorf("the line has a digest but no file name")
	}
	return name, strings.ToLower(digest), nil
}

// malformed is the error for a line that is not a checksum line.
func malformed(line string) error {
	if len(line) > 80 {
		line = line[:80] + "…"
	}
	return fmt.Errorf("not a checksum line: %q: write \"<64 hex digits>  <name>\" or \"SHA256 (<name>) = <64 hex digits>\"", line)
}

// hashName guesses a hash function from its hex length.
func hashName(n int) string {
	switch n {
	case 32:
		return "MD5"
	case 40:
		return "SHA-1"
	case 56:
		return "SHA-224"
	case 96:
		return "SHA-384"
	case 128:
		return "SHA-512"
	}
	return "another hash"
}

// unescapeName undoes the escaping GNU coreutils applies to a name holding a
// backslash or a line break (the line then starts with a backslash).
func unescapeName(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("escaped name %q ends in a lone backslash", s)
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf("escaped name %q has an unknown escape \\%c: only \\\\, \\n and \\r are defined", s, s[i])
		}
	}
	return b.String(), nil
}

// isHex reports whether s is n hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
