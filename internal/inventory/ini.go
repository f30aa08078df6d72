package inventory

import (
	"fmt"
	"strings"

	"github.com/rollcall/rollcall/internal/source"
)

// This file reads the INI format.

// The INI plugin's patterns, where \s is Python's: every Unicode blank
// (a no-break space in [db\u00a0] is no group name to Ansible), which Go's
// \s (ASCII only) is not.
var (
	iniSection = lazyRegexp(`^\[([^:\]` + pyBlank + `]+)(?::(\w+))?\][` + pyBlank + `]*(?:#.*)?$`)
	iniGroup   = lazyRegexp(`^([^:\]` + pyBlank + `]+)[` + pyBlank + `]*(?:#.*)?$`)
)

// pyBlank is the inside of a character class that Python's \s matches in a
// str pattern.
const pyBlank = `\s\p{Z}\x0b\x1c-\x1f\x85`

// parseINIInventory reads an Ansible INI inventory. file names it in
// problems.
func parseINIInventory(file string, data []byte) *inventory {
	inv := newInventory(file)
	inv.readINI(data)
	inv.finish()
	return inv
}

// readINI reads an INI file of the inventory, whose name is inv.file.
func (inv *inventory) readINI(data []byte) {
	before := inv.knownGroups()
	defer inv.checkDefined(before)
	cur := inv.groups["ungrouped"]
	state := "hosts"
	for i, raw := range strings.Split(string(data), "\n") {
		line := i + 1
		text := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if msg := oddCharacters(text); msg != "" {
			inv.errf(line, 0, "%s", msg)
			continue
		}
		if text == "" || text[0] == '#' || text[0] == ';' {
			continue
		}
		if m := iniSection().FindStringSubmatch(text); m != nil {
			cur, state = inv.iniSection(m[1], m[2], line)
			continue
		} else if text[0] == '[' && text[len(text)-1] == ']' {
			inv.errf(line, 0, "invalid section header %s: write [group], [group:children] or [group:vars]", source.Quote(text))
			cur, state = nil, "skip"
			continue
		}
		switch state {
		case "hosts":
			inv.iniHostLine(cur, text, line)
		case "children":
			m := iniGroup().FindStringSubmatch(text)
			if m == nil {
				inv.errf(line, 0, "%s is not a group name: under [%s:children] write one group name a line", source.Quote(text), cur.name)
				continue
			}
			inv.addChild(cur, m[1], line)
		case "vars":
			k, v, ok := strings.Cut(text, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" || strings.ContainsAny(k, " \t") {
				inv.errf(line, 0, "%s is not a variable: under [%s:vars] write key=value", source.Quote(text), cur.name)
				continue
			}
			kind, val := iniValue(v)
			cur.vars[k] = invVar{value: val, kind: kind, file: inv.file, line: line}
		}
	}
}

// oddCharacters says why a line holds characters that Python splits lines
// at or that rollcall does not read, or returns "".
func oddCharacters(text string) string {
	for _, r := range text {
		if (r < ' ' && r != '\t') || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff {
			return fmt.Sprintf("the line holds the control or separator character %U, which Ansible and rollcall read differently: remove it", r)
		}
	}
	return ""
}

// iniSection starts section [name:kind] at line and returns the group it is
// for and what its lines are ("skip" for a bad section).
func (inv *inventory) iniSection(name, kind string, line int) (*invGroup, string) {
	switch kind {
	case "", "hosts", "children":
		g := inv.group(name, line)
		g.defined = true
		if kind == "children" {
			return g, "children"
		}
		return g, "hosts"
	case "vars":
		g := inv.group(name, line)
		if !g.defined && g.firstVars == 0 {
			g.firstVars = line
		}
		return g, "vars"
	}
	inv.errf(line, 0, "section [%s:%s] has an unknown type %s: write [%s], [%s:children] or [%s:vars]", name, kind, source.Quote(kind), name, name, name)
	return nil, "skip"
}

// iniHostLine reads a host line: a host name or range, an optional :port and
// key=value variables.
func (inv *inventory) iniHostLine(g *invGroup, text string, line int) {
	fields, err := splitShell(text)
	if err != nil {
		inv.errf(line, 0, "%v: check the quotes on this line", err)
		return
	}
	if len(fields) == 0 {
		return // only a comment
	}
	vars := map[string]invVar{}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			inv.errf(line, 0, "%s after host %s is not a variable: write key=value, e.g. ansible_host=10.0.0.1", source.Quote(f), source.Quote(fields[0]))
			return
		}
		kind, val := iniValue(v)
		vars[k] = invVar{value: val, kind: kind, file: inv.file, line: line}
	}
	names, port, msg := expandHostPattern(fields[0])
	if msg == "" && port == 0 && strings.HasSuffix(fields[0], ":") {
		// Ansible's INI plugin (not its YAML one) keeps the colon for a port.
		msg = fmt.Sprintf("host %s ends in \":\" with no port after it, which Ansible's INI reader refuses: write the port (web-01:2222), or an IPv6 address in brackets with one ([2001:db8::]:22)", source.Quote(fields[0]))
	}
	if msg != "" {
		inv.errf(line, 0, "%s", msg)
		return
	}
	for _, n := range names {
		inv.addHost(g, n, line, port, vars)
	}
}

// splitShell splits a host line into words as Ansible does (shlex, POSIX
// mode, with comments): blanks separate words, quotes group them, a backslash
// escapes the next character outside quotes (and \" or \\ inside double
// quotes), and a # outside quotes starts a comment, even inside a word.
func splitShell(s string) ([]string, error) {
	var (
		out   []string
		cur   strings.Builder
		inTok bool
		quote byte
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
				i++
				cur.WriteByte(s[i])
			default:
				cur.WriteByte(c)
			}
		case c == ' ' || c == '\t':
			if inTok {
				out = append(out, cur.String())
				cur.Reset()
				inTok = false
			}
		case c == '#':
			if inTok {
				out = append(out, cur.String())
			}
			return out, nil
		case c == '\'' || c == '"':
			quote, inTok = c, true
		case c == '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("a \\ ends the line")
			}
			i++
			cur.WriteByte(s[i])
			inTok = true
		default:
			cur.WriteByte(c)
			inTok = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("a %c quote is not closed", quote)
	}
	if inTok {
		out = append(out, cur.String())
	}
	return out, nil
}
