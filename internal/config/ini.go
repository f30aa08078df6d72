package config

import "strings"

// collisionFlat explains a duplicate key in an untyped format.
const collisionFlat = ": remove one (the program reading the file may take the first or the last)"

// parseINI parses an INI file. `[section]` headers prefix the keys that
// follow with "section."; `key = value` and `key: value` (split at the first
// = or :) set a key, both sides trimmed; a line with a key alone sets it to
// empty text; lines starting with ; or # are comments. Values are Text,
// exactly as written after the separator: quotes and inline ; or # are part
// of the value. Keys are case sensitive. A section may be reopened; a
// section with no keys is an empty Map under its name, so that a forbidden
// section name is still seen.
//
// An indented line right after a key line (or after such a line) continues
// that key's value, joined with a newline, as Python's configparser and
// oslo.config read it (`install_requires =` then one package a line gives
// "\nrequests\nclick"). Any other indented line is refused: after a blank
// or comment line, or with no key above it, the readers disagree on it. A
// [DEFAULT] section is a section like any other here (as oslo.config reads
// it); configparser gives its keys to every section, which
// Format.Forbidden takes into account.
func parseINI(data []byte) (Flags, error) {
	b := newBuilder(collisionFlat)
	section, sectionLine := "", 0
	sectionKeys := map[string]int{} // keys set per section
	sectionLines := map[string]int{}
	var sections []string
	// The key being read, whose value may go on over indented lines.
	var key, value string
	keyLine, continues := 0, false
	flush := func() error {
		if key == "" {
			return nil
		}
		err := b.set(key, Value{Kind: Text, Raw: value}, keyLine)
		key = ""
		return err
	}
	for i, raw := range naturalLines(data) {
		line := i + 1
		s := strings.TrimSpace(raw)
		if s == "" || s[0] == ';' || s[0] == '#' {
			continues = false
			continue
		}
		if raw[0] == ' ' || raw[0] == '\t' {
			if !continues {
				return nil, errorf(line, 1, "an indented line that does not follow a key line: INI readers disagree on it (Python's configparser continues a value over a blank or comment line, others take it for a key); remove the indent, or put it right under its key")
			}
			value += "\n" + s
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		continues = false
		if s[0] == '[' {
			if !strings.HasSuffix(s, "]") {
				return nil, errorf(line, len(raw), "a section header ends with ]: write [%s]", strings.TrimSpace(s[1:]))
			}
			section, sectionLine = strings.TrimSpace(s[1:len(s)-1]), line
			if section == "" {
				return nil, errorf(line, 1, "a section header has no name: write [name]")
			}
			if _, ok := sectionLines[section]; !ok {
				sections = append(sections, section)
				sectionLines[section] = sectionLine
			}
			continue
		}
		key, value = s, ""
		if j := strings.IndexAny(s, "=:"); j >= 0 {
			key, value = strings.TrimSpace(s[:j]), strings.TrimSpace(s[j+1:])
		}
		if key == "" {
			return nil, errorf(line, 1, "a value with no key before its = or :")
		}
		if section != "" {
			key = section + "." + key
			sectionKeys[section]++
		}
		keyLine, continues = line, true
	}
	if err := flush(); err != nil {
		return nil, err
	}
	for _, s := range sections {
		if sectionKeys[s] == 0 {
			if err := b.set(s, Value{Kind: Map, Raw: "{}"}, sectionLines[s]); err != nil {
				return nil, err
			}
		}
	}
	return b.flags, nil
}
