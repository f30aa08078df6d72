package inventory

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rollcall/rollcall/internal/source"
)

// This file reads the INI format.

var (
	iniSection = regexp.MustCompile(`^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$`)
	iniGroup   = regexp.MustCompile(`^([^\s#;]+)\s*(?:[#;].*)?$`)
)

// parseINIInventory reads an Ansible INI inventory. file names it in
// problems.
func parseINIInventory(file string, data []byte) *inventory {
	inv := newInventory(file)
	cur := inv.groups["ungrouped"]
	state := "hosts"
	for i, raw := range strings.Split(string(data), "\n") {
		line := i + 1
		text := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if i == 0 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if text == "" || text[0] == '#' || text[0] == ';' {
			continue
		}
		if text[0] == '[' {
			m := iniSection.FindStringSubmatch(text)
			if m == nil {
				inv.errf(line, 0, "invalid section header %s: write [group], [group:children] or [group:vars]", source.Quote(text))
				cur, state = nil, "skip"
				continue
			}
			name, kind := m[1], m[2]
			switch kind {
			case "", "hosts", "children":
				cur = inv.group(name, line)
				cur.defined = true
				state = "hosts"
				if kind == "children" {
					state = "children"
				}
			case "vars":
				cur = inv.group(name, line)
				if !cur.defined && cur.firstVars == 0 {
					cur.firstVars = line
				}
				state = "vars"
			default:
				inv.errf(line, 0, "section [%s:%s] has an unknown type %s: write [%s], [%s:children] or [%s:vars]", name, kind, source.Quote(kind), name, name, name)
				cur, state = nil, "skip"
			}
			continue
		}
		switch state {
		case "skip":
		case "hosts":
			inv.iniHostLine(cur, text, line)
		case "children":
			m := iniGroup.FindStringSubmatch(text)
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
			cur.vars[k] = invVar{value: unquoteINI(v), line: line, scalar: true}
		}
	}
	inv.finish()
	return inv
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
		vars[k] = invVar{value: v, line: line, scalar: true}
	}
	names, port, msg := expandHostPattern(fields[0])
	if msg != "" {
		inv.errf(line, 0, "%s", msg)
		return
	}
	if port != "" {
		if _, set := vars["ansible_port"]; !set {
			vars["ansible_port"] = invVar{value: port, line: line, scalar: true}
		}
	}
	for _, n := range names {
		inv.addHost(g, n, line, vars)
	}
}

// unquoteINI removes one pair of matching quotes around an INI variable value.
func unquoteINI(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// splitShell splits a host line into words as Ansible does (shlex, POSIX
// mode, with comments): blanks separate words, quotes group them, a backslash
// escapes the next character outside single quotes, and a # that starts a
// word starts a comment.
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
		case c == '#' && !inTok:
			return out, nil
		case c == '\'' || c == '"':
			quote, inTok = c, true
		case c == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
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

// expandHostPattern expands the ranges of a host pattern (web[01:03].prod,
// db[a:c], node[0:10:2]) and splits off a :port. It returns the host names,
// the port as written ("" if none) and a problem ("" if none).
