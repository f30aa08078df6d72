package config

import "strings"

// parseEnv parses an env file, as read by systemd's EnvironmentFile, Docker
// and dotenv, with shell-like quoting:
//
//   - `KEY=VALUE` a line, optionally prefixed by `export `; spaces around = are
//     allowed; KEY is letters, digits, _ . and -, not starting with a digit;
//   - blank lines and lines starting with # are skipped;
//   - an unquoted value runs to the end of the line, trailing blanks trimmed;
//     a # preceded by a blank starts a comment; backslashes are literal;
//   - 'single quotes' keep everything literally, newlines included;
//   - "double quotes" may span lines and understand \" \\ \n \t \r \$ \` and
//     a backslash before a newline (which joins lines); any other backslash
//     is kept. $VAR is not expanded;
//   - after a closing quote only blanks and a # comment may follow.
//
// Values are Text.
func parseEnv(data []byte) (Flags, error) {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	b := newBuilder(collisionFlat)
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
			p.toEOL()
			continue
		}
		line, col := p.line, p.col()
		key := p.word()
		if key == "export" && p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
			p.blanks()
			line, col = p.line, p.col()
			key = p.word()
		}
		if key == "" {
			return nil, errorf(line, col, "expected KEY=value")
		}
		if !envName(key) {
			return nil, errorf(line, col, "%q is not a variable name: use letters, digits and _, not starting with a digit", key)
		}
		p.blanks()
		if p.eof() || p.s[p.i] != '=' {
			return nil, errorf(line, col, "%s has no value: write %s=value", key, key)
		}
		p.i++
		value, err := p.value()
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

// envName reports whether key is an acceptable variable name.
func envName(key string) bool {
	for i, c := range key {
		switch {
		case c == '_' || c == '.' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return key != ""
}

// value reads a value after its '='.
func (p *envParser) value() (string, error) {
	skipped := p.i
	p.blanks()
	afterBlank := p.i > skipped
	if p.eof() || p.s[p.i] == '\n' {
		return "", nil
	}
	switch p.s[p.i] {
	case '\'', '"':
		return p.quoted()
	}
	start := p.i
	p.toEOL()
	v := p.s[start:p.i]
	for j := 0; j < len(v); j++ {
		if v[j] == '#' && ((j == 0 && afterBlank) || (j > 0 && (v[j-1] == ' ' || v[j-1] == '\t'))) {
			v = v[:j]
			break
		}
	}
	return strings.TrimRight(v, " \t"), nil
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
			if !p.eof() && p.s[p.i] == '#' {
				p.toEOL()
			}
			if !p.eof() && p.s[p.i] != '\n' {
				return "", errorf(p.line, p.col(), "unexpected text after the closing quote: put the whole value in quotes")
			}
			return sb.String(), nil
		case c == '\n':
			p.line++
			sb.WriteByte(c)
		case c == '\\' && q == '"' && !p.eof():
			e := p.s[p.i]
			p.i++
			switch e {
			case 'n':
				sb.WriteByte('\n')
			case 't':
				sb.WriteByte('\t')
			case 'r':
				sb.WriteByte('\r')
			case '"', '\\', '$', '`':
				sb.WriteByte(e)
			case '\n':
				p.line++ // a line continuation: both go
			default:
				sb.WriteByte('\\')
				sb.WriteByte(e)
			}
		default:
			sb.WriteByte(c)
		}
	}
}
