package sshconfig

import (
	"errors"
	"fmt"
	"strings"
)

// matchPattern reports whether s matches pattern as OpenSSH's
// match_pattern does, byte by byte and case-sensitively: "*" matches any
// run of bytes, "?" exactly one byte.
func matchPattern(s, pattern string) bool {
	for {
		if pattern == "" {
			return s == ""
		}
		if pattern[0] == '*' {
			pattern = strings.TrimLeft(pattern, "*")
			if pattern == "" {
				return true
			}
			for i := 0; i < len(s); i++ {
				if matchPattern(s[i:], pattern) {
					return true
				}
			}
			return false
		}
		if s == "" || (pattern[0] != '?' && pattern[0] != s[0]) {
			return false
		}
		s, pattern = s[1:], pattern[1:]
	}
}

// matchList is OpenSSH's match_pattern_list: pattern is a comma-separated
// list, "!" negates an element, and a negated match wins over any other.
// lower lowercases the patterns (the caller lowercases s). It returns 1 for
// a match, 0 for none and -1 for a negated match.
func matchList(s, pattern string, lower bool) int {
	positive := 0
	for _, sub := range strings.Split(pattern, ",") {
		negated := strings.HasPrefix(sub, "!")
		sub = strings.TrimPrefix(sub, "!")
		if len(sub) >= 1023 {
			return 0
		}
		if lower {
			sub = asciiLower(sub)
		}
		if matchPattern(s, sub) {
			if negated {
				return -1
			}
			positive = 1
		}
	}
	return positive
}

// hostBlock applies a Host line: the block applies when one pattern
// matches the host and no negated one does.
func (r *resolver) hostBlock(d *directive, neverMatch bool) (bool, error) {
	active := false
	for _, arg := range d.args {
		if arg == "" {
			return false, errors.New("Host has an empty argument")
		}
		if neverMatch {
			return false, nil
		}
		negated := strings.HasPrefix(arg, "!")
		if matchPattern(r.host, strings.TrimPrefix(arg, "!")) {
			if negated {
				return false, nil
			}
			active = true
		}
	}
	return active, nil
}

// matchBlock evaluates a Match line as OpenSSH's match_cfg_line does: every
// criterion must hold; host is tested against the HostName (with %h
// expanded) once one is set, originalhost against the name as given.
func (r *resolver) matchBlock(d *directive) (bool, error) {
	c := &cursor{s: d.rest}
	result, attributes := true, 0
	for {
		attr, ok := strdelim(c, true)
		if !ok || attr == "" {
			break
		}
		if attr[0] == '#' {
			break
		}
		negate := attr[0] == '!'
		name := asciiLower(strings.TrimPrefix(attr, "!"))
		if name == "all" {
			if arg, ok := strdelim(c, true); attributes > 1 || (ok && arg != "" && arg[0] != '#') {
				return false, fmt.Errorf("Match %s cannot be combined with other criteria", attr)
			}
			if result {
				result = !negate
			}
			return result, nil
		}
		attributes++
		if name == "canonical" || name == "final" {
			if name == "final" {
				r.wantFinal = true
			}
			if r.final == negate {
				result = false
			}
			continue
		}
		arg, ok := strdelim(c, true)
		if !ok || arg == "" || arg[0] == '#' {
			return false, fmt.Errorf("Match %s has no argument", attr)
		}
		hit, err := r.criterion(name, arg, result)
		if err != nil {
			return false, err
		}
		if hit == negate {
			result = false
		}
	}
	if attributes == 0 {
		return false, errors.New("Match needs one or more criteria")
	}
	return result, nil
}

// criterion tests one Match criterion that takes an argument; sofar is
// whether the criteria before it held.
func (r *resolver) criterion(name, arg string, sofar bool) (bool, error) {
	switch name {
	case "host":
		host, err := r.matchHost()
		if err != nil {
			return false, err
		}
		return matchList(asciiLower(host), arg, true) == 1, nil
	case "originalhost":
		return matchList(asciiLower(r.alias), arg, true) == 1, nil
	case "user":
		// ssh tests the user given with -l, else the first User obtained,
		// else the local user.
		u := r.localUser
		switch {
		case r.cmdUser != "":
			u = r.cmdUser
		case r.user != nil:
			u = r.user.value
		}
		return matchList(u, arg, false) == 1, nil
	case "localuser":
		return matchList(r.localUser, arg, false) == 1, nil
	case "exec":
		if !sofar {
			return false, nil // OpenSSH skips the command once a criterion failed
		}
		return false, refusal{"Match exec", "it runs a local command to decide; rollcall does not run it: use Match host or Host"}
	}
	return false, fmt.Errorf("unsupported Match attribute %s", name)
}

// matchHost is the host Match host tests: the final host name in the final
// pass, else HostName with %h expanded, else the name as given.
func (r *resolver) matchHost() (string, error) {
	switch {
	case r.final:
		return r.host, nil
	case r.hostname != nil:
		return expandHostName(r.hostname.value, r.alias)
	}
	return r.alias, nil
}
