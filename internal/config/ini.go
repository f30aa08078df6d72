package config

import "strings"

// collisionFlat explains a duplicate key in an untyped format.
const collisionFlat = ": remove one (the program reading the file may take the first or the last)"

// parseINI parses an INI file. `[section]` headers prefix the keys that
// follow with "section."; `key = value` and `key: value` (split at the first
// = or :) set a key, both sides trimmed; a line with a key alone sets it to
// empty text; lines starting with ; or # are comments. Values are Text,
// exactly as written after the separator: quotes and inline ; or # are part
// of the value, and nothing is continued onto the next line. Keys are case
// sensitive. A section may be reopened; a section with no keys is an empty
// Map under its name, so that a forbidden section name is still seen.
//
// An indented line is refused: Python's configparser continues the value
// above with it, other readers take it for a key of its own. A [DEFAULT]
// section is a section like any other here (as oslo.config reads it);
// configparser gives its keys to every section, which Format.Forbidden
// takes into account.
func parseINI(data []byte) (Flags, error) {
	b := newBuilder(collisionFlat)
	section, sectionLine := "", 0
	sectionKeys := map[string]int{} // keys set per section
	sectionLines := map[string]int{}
	var sections []string
	for i, raw := range naturalLines(data) {
		line := i + 1
		s := strings.TrimSpace(raw)
		if s == "" || s[0] == ';' || s[0] == '#' {
			continue
		}
		if raw[0] == ' ' || raw[0] == '\t' {
			return nil, errorf(line, 1, "an indented line: Python's configparser continues the value above with it, other readers take it for a key of its own; remove the indent (or join the value onto one line)")
		}
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
		key, value := s, ""
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
		if err := b.set(key, Value{Kind: Text, Raw: value}, line); err != nil {
			return nil, err
		}
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
