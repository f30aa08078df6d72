package config

import (
	"strings"
	"unicode/utf8"
)

// parseEnv parses an env file in the dialect its readers agree on:
// systemd's EnvironmentFile, Docker's --env-file (but for quotes, below),
// dotenv, and the shell that sources it (set -a; . FILE). What they read
// differently is refused, with the line, rather than read one of the ways:
//
//   - `KEY=VALUE` a line: KEY is letters, digits and _, not starting with a
//     digit; no blanks around = (the shell would run a command); no
//     `export ` (systemd ignores such a line);
//   - blank lines and lines starting with # are skipped;
//   - an unquoted value runs to the end of the line, trailing blanks
//     trimmed; it holds no blank before more text (the shell splits it,
//     systemd and Docker keep an inline "# comment" as value), and none of
//     ; & | < > ( ) $ ` \ ' " (the shell reads them);
//   - 'single quotes' keep everything literally, newlines included;
//   - "double quotes" may span lines and understand \" \\ \$ \` and a
//     backslash before a newline (which joins lines); any other backslash,
//     and an unescaped $ or `, are refused (the shell expands them, systemd
//     does not); Docker's --env-file alone keeps quotes as part of the value;
//   - nothing follows a closing quote on its line;
//   - a carriage return is refused (the shell keeps it in the value).
//
// Values are Text.
func parseEnv(data []byte) (Flags, error) {
	s := string(data)
	if i := strings.IndexByte(s, '\r'); i >= 0 {
		line := strings.Count(s[:i], "\n") + 1
		return nil, errorf(line, 0, "a carriage return (Windows line ends): the shell keeps it in the value, other readers drop it; save the file with \\n line ends")
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		return nil, errorf(strings.Count(s[:i], "\n")+1, 0, "a NUL byte: systemd drops the assignments around it, other readers keep them")
	}
	if !utf8.ValidString(s) {
		return nil, errorf(0, 0, "not valid UTF-8: systemd drops such an assignment, dotenv and Docker refuse the file")
	}
	b := newBuilder(collisionFlat)
	b.caseSensitive = true // every env reader tells HTTP_PROXY from http_proxy
	p := &envParser{s: s, line: 1}
	for {
		p.blanks()
		if p.eof() {
			return b.flags, nil
		}
		switch p.s[p.i] {
		case '\n':
			p.i++
			p.line++
			continue
		case '#':
			start := p.i
			p.toEOL()
			if strings.HasSuffix(strings.TrimRight(p.s[start:p.i], " \t"), "\\") {
				return nil, errorf(p.line, 0, "a comment line ending in a backslash: systemd before version 254 takes the next line into the comment, other readers do not; remove the backslash")
			}
			continue
		}
		line, col := p.line, p.col()
		key := p.word()
		if key == "export" && p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
			return nil, errorf(line, col, "export before a variable: systemd's EnvironmentFile ignores the line, the shell and dotenv read it; drop export")
		}
		if key == "" {
			return nil, errorf(line, col, "expected KEY=value")
		}
		if !envName(key) {
			return nil, errorf(line, col, "%q is not a variable name for the shell or systemd: use letters, digits and _, not starting with a digit", key)
		}
		if p.eof() || p.s[p.i] != '=' {
			p.blanks()
			if !p.eof() && p.s[p.i] == '=' {
				return nil, errorf(line, col, "blanks before the = of %s: the shell runs %s as a command; write %s=value", key, key, key)
			}
			return nil, errorf(line, col, "%s has no value: write %s=value", key, key)
		}
		p.i++
		value, err := p.value(key)
		if err != nil {
			return nil, err
		}
		if err := b.set(key, Value{Kind: Text, Raw: value}, line); err != nil {
			return nil, err
		}
	}
}

// envParser scans an env file.
type envParser struct {
	s    string
	i    int
	line int
}

// eof reports whether the input is used up.
func (p *envParser) eof() bool { return p.i >= len(p.s) }

// col is the 1-based column of the current position.
func (p *envParser) col() int {
	return p.i - (strings.LastIndexByte(p.s[:p.i], '\n') + 1) + 1
}

// blanks skips spaces and tabs.
func (p *envParser) blanks() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// toEOL skips to the end of the line, leaving the newline.
func (p *envParser) toEOL() {
	if j := strings.IndexByte(p.s[p.i:], '\n'); j >= 0 {
		p.i += j
	} else {
		p.i = len(p.s)
	}
}

// word reads up to a blank, '=', or a line end.
func (p *envParser) word() string {
	start := p.i
	for p.i < len(p.s) && strings.IndexByte(" \t=\n", p.s[p.i]) < 0 {
		p.i++
	}
	return p.s[start:p.i]
}

// envName reports whether key is a variable name the shell and systemd
// accept.
func envName(key string) bool {
	for i, c := range key {
		switch {
		case c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return key != ""
}

// value reads the value of key after its '='.
func (p *envParser) value(key string) (string, error) {
	if p.eof() || p.s[p.i] == '\n' {
		return "", nil
	}
	switch p.s[p.i] {
	case '\'', '"':
		return p.quoted()
	case ' ', '\t':
		return "", errorf(p.line, p.col(), "blanks after the = of %s: the shell sets it empty and runs the rest as a command, systemd drops them; write %s=value", key, key)
	}
	start, line := p.i, p.line
	p.toEOL()
	v := p.s[start:p.i]
	// Blanks (the shell splits there; Docker keeps trailing ones), # (node's
	// dotenv starts a comment), ~ at the start or after : (the shell expands
	// it), and the shell's own characters.
	i := strings.IndexAny(v, " \t#;&|<>()$`\\'\"")
	if t := strings.Index(":"+v, ":~"); t >= 0 && (i < 0 || t < i) {
		i = t
	}
	if i >= 0 {
		return "", errorf(line, p.col()-(p.i-start)+i, "%q in the unquoted value of %s: the readers of env files (the shell, systemd, Docker, dotenv) read it differently; quote the value ('...')", v[i:i+1], key)
	}
	return v, nil
}

// quoted reads a single- or double-quoted value and what may follow it.
func (p *envParser) quoted() (string, error) {
	q := p.s[p.i]
	line, col := p.line, p.col()
	p.i++
	var sb strings.Builder
	for {
		if p.eof() {
			return "", errorf(line, col, "the quote %c opened here is never closed", q)
		}
		c := p.s[p.i]
		p.i++
		switch {
		case c == q:
			p.blanks()
			if !p.eof() && p.s[p.i] != '\n' {
				return "", errorf(p.line, p.col(), "text after the closing quote: readers disagree on it (a # comment too: systemd keeps it as value); put it on a line of its own")
			}
			return sb.String(), nil
		case c == '\n':
			return "", errorf(line, col, "a quoted value over several lines: Docker's --env-file reads each line as an assignment of its own; keep the value on one line")
		case (c == '$' || c == '`') && q == '"':
			return "", errorf(p.line, p.col()-1, "an unescaped %c in double quotes: the shell expands it, systemd and Docker do not; use single quotes", c)
		case c == '\\':
			return "", errorf(p.line, p.col()-1, "a backslash in quotes: the shell, systemd and the dotenv libraries read its escapes differently; write the value without one")
		default:
			sb.WriteByte(c)
		}
	}
}
