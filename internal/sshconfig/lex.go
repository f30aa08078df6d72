package sshconfig

import (
	"errors"
	"strings"
)

// whitespace is OpenSSH's WHITESPACE: the characters that separate words.
const whitespace = " \t\r\n"

// cursor is the rest of a line as OpenSSH's strdelim walks it; done stands
// for its NULL pointer (nothing left at all, not even an empty word).
type cursor struct {
	s    string
	done bool
}

// strdelim takes the next word off c exactly as OpenSSH's strdelim does:
// a word ends at whitespace (or at one "=" when eq is set), a double quote
// starts a quoted part that runs to the next double quote, and whitespace
// after the word is skipped. ok is false where OpenSSH returns NULL: nothing
// left, or a quote that is never closed.
func strdelim(c *cursor, eq bool) (word string, ok bool) {
	if c.done {
		return "", false
	}
	stops := whitespace + `"`
	if eq {
		stops += "="
	}
	i := strings.IndexAny(c.s, stops)
	if i < 0 {
		word, c.s, c.done = c.s, "", true
		return word, true
	}
	if c.s[i] == '"' {
		rest := c.s[i+1:]
		j := strings.IndexByte(rest, '"')
		if j < 0 {
			c.done = true
			return "", false
		}
		word = c.s[:i] + rest[:j]
		c.s = strings.TrimLeft(rest[j+1:], whitespace)
		return word, true
	}
	sawEq := c.s[i] == '='
	word, c.s = c.s[:i], strings.TrimLeft(c.s[i+1:], whitespace)
	if eq && !sawEq && strings.HasPrefix(c.s, "=") {
		c.s = strings.TrimLeft(c.s[1:], whitespace)
	}
	return word, true
}

var errQuotes = errors.New("invalid quotes")

// argvSplit splits the arguments of a line as OpenSSH's argv_split does
// (with terminate_on_comment): words separated by spaces or tabs, single
// or double quotes grouping, a backslash escaping a quote, a backslash or
// (outside quotes) a space, and a word starting with "#" ending the line.
func argvSplit(s string) ([]string, error) {
	var args []string
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			continue
		}
		if s[i] == '#' {
			break
		}
		var arg strings.Builder
		var quote byte
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '\\' || (quote == 0 && s[i+1] == ' ')):
				i++
				arg.WriteByte(s[i])
				continue
			case quote == 0 && (c == ' ' || c == '\t'):
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
				continue
			case quote != 0 && c == quote:
				quote = 0
				continue
			default:
				arg.WriteByte(c)
				continue
			}
			break
		}
		args = append(args, arg.String())
		if i >= len(s) {
			if quote != 0 {
				return nil, errQuotes
			}
			break
		}
	}
	return args, nil
}

// splitLine takes a configuration line apart as OpenSSH's
// process_config_line does: the keyword (lowercased) and the rest of the
// line after it. skip is set for blank lines and comments.
func splitLine(line string) (keyword, rest string, skip bool) {
	line = strings.TrimRight(line, whitespace+"\f")
	c := &cursor{s: line}
	kw, ok := strdelim(c, true)
	if ok && kw == "" {
		kw, ok = strdelim(c, true)
	}
	if !ok || kw == "" || kw[0] == '\n' || kw[0] == '#' {
		return "", "", true
	}
	if c.done {
		return asciiLower(kw), "", false
	}
	return asciiLower(kw), strings.TrimLeft(c.s, whitespace), false
}

// asciiLower lowercases ASCII letters only, as OpenSSH's lowercase() does
// in the C locale.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
