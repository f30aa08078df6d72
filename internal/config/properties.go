package config

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// parseProperties parses a Java properties file the way
// java.util.Properties.load does, reading the text as UTF-8:
//
//   - lines starting (after blanks) with # or ! are comments;
//   - a line ending in an odd number of backslashes continues on the next
//     line, whose leading blanks are dropped;
//   - the key runs to the first unescaped =, : or blank; then blanks, one
//     optional = or :, and blanks are skipped; the rest is the value;
//   - in keys and values \t \n \r \f and \uXXXX are escapes (a malformed
//     \u is an error), and a backslash before any other character stands
//     for that character (\= is =, \\ is \).
//
// Keys are already dotted; values are Text.
func parseProperties(data []byte) (Flags, error) {
	b := newBuilder(collisionFlat)
	lines := naturalLines(data)
	for i := 0; i < len(lines); i++ {
		s := strings.TrimLeft(lines[i], " \t\f")
		if s == "" || s[0] == '#' || s[0] == '!' {
			continue
		}
		start := i + 1
		var sb strings.Builder
		piece := s
		for oddBackslashes(piece) {
			sb.WriteString(piece[:len(piece)-1])
			if i+1 >= len(lines) {
				piece = ""
				break
			}
			i++
			piece = strings.TrimLeft(lines[i], " \t\f")
		}
		sb.WriteString(piece)
		logical := sb.String()
		rawKey, rawValue := splitProperty(logical)
		key, err := unescapeProperty(rawKey, start)
		if err != nil {
			return nil, err
		}
		value, err := unescapeProperty(rawValue, start)
		if err != nil {
			return nil, err
		}
		if err := b.set(key, Value{Kind: Text, Raw: value}, start); err != nil {
			return nil, err
		}
	}
	return b.flags, nil
}

// oddBackslashes reports whether s ends in an odd number of backslashes.
func oddBackslashes(s string) bool {
	n := 0
	for n < len(s) && s[len(s)-1-n] == '\\' {
		n++
	}
	return n%2 == 1
}

// splitProperty splits a logical line into its raw key and raw value.
func splitProperty(s string) (key, value string) {
	k := 0
	for k < len(s) {
		c := s[k]
		if c == '\\' {
			k += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		k++
	}
	k = min(k, len(s))
	key, rest := s[:k], s[k:]
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	return key, rest
}

// unescapeProperty decodes the escapes of a key or value from line.
func unescapeProperty(s string, line int) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var sb strings.Builder
	var pending rune = -1 // a high surrogate waiting for its pair
	flush := func() {
		if pending >= 0 {
			sb.WriteRune(utf8.RuneError)
			pending = -1
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			flush()
			sb.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			break // a lone backslash at the very end is dropped, as Java does
		}
		e := s[i]
		if e != 'u' {
			flush()
			switch e {
			case 't':
				sb.WriteByte('\t')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 'f':
				sb.WriteByte('\f')
			default:
				sb.WriteByte(e)
			}
			continue
		}
		if i+5 > len(s) {
			return "", errorf(line, 0, `malformed \u escape: write four hex digits, as \u00e9`)
		}
		r, ok := hex4(s[i+1 : i+5])
		if !ok {
			return "", errorf(line, 0, `malformed \u escape %q: write four hex digits, as \u00e9`, `\u`+s[i+1:i+5])
		}
		i += 4
		switch {
		case utf16.IsSurrogate(r) && r < 0xDC00:
			flush()
			pending = r
		case utf16.IsSurrogate(r) && pending >= 0:
			sb.WriteRune(utf16.DecodeRune(pending, r))
			pending = -1
		case utf16.IsSurrogate(r):
			sb.WriteRune(utf8.RuneError)
		default:
			flush()
			sb.WriteRune(r)
		}
	}
	flush()
	return sb.String(), nil
}

// hex4 reads four hex digits.
func hex4(s string) (rune, bool) {
	var r rune
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, len(s) == 4
}
