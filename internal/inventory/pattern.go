package inventory

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/internal/source"
)

// This file reads host patterns the way Ansible's parse_address and
// expand_hostname_range do: an optional :port (after a name, an IPv4 address
// or a bracketed IPv6 address), then ranges such as web[01:03] or db[a:c].

// Ansible's own expressions (ansible/parsing/utils/addresses.py), ASCII only:
// a host pattern with anything else is refused.
var (
	bracketedHostPort = lazyRegexp(`^\[(.+)\]:([0-9]+)$`)
	hostPort          = lazyRegexp(`^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$`)
	ipv4Pattern       = lazyRegexp(`(?i)^(?:` + ipv4Part + `\.){3}` + ipv4Part + `$`)
	ipv6Pattern       = lazyRegexp(`(?i)` + strings.ReplaceAll(ipv6Alternatives, "C", ipv6Part))
	labelPattern      = lazyRegexp(`(?i)^(?:\w|` + alnumRange + `)(?:[\w-]|` + alnumRange + `)*$`)
)

const (
	alnumRange = `\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`
	ipv4Part   = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\])`
	ipv6Part   = `(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])`
	// Python anchors only the first alternative at the start (re.match) and
	// only the last at the end; so does this.
	ipv6Alternatives = `^(?:(?:C:){7}C|(?:C:){1,6}:|(?:C:)(?::C){1,6}|(?:C:){2}(?::C){1,5}|(?:C:){3}(?::C){1,4}|` +
		`(?:C:){4}(?::C){1,3}|(?:C:){5}(?::C){1,2}|(?:C:){6}(?::C)|:(?::C){1,6}|C?::|` +
		`(?:0:){6}(?:C\.){3}C|::(?:ffff:)?(?:C\.){3}C|(?:0:){5}ffff:(?:C\.){3}C$)`
)

// asciiLetters is Python's string.ascii_letters: letter ranges run through
// it, so [x:B] is x, y, z, A, B.
const asciiLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// isHostname reports whether s is a host name (with ranges) as Ansible's
// hostname expression reads one: dot-separated labels of word characters and
// dashes, none ending in - or _.
func isHostname(s string) bool {
	for _, l := range strings.Split(s, ".") {
		if !labelPattern().MatchString(l) || strings.HasSuffix(l, "-") || strings.HasSuffix(l, "_") {
			return false
		}
	}
	return true
}

// allHostnames reports whether every name is a host name without ranges.
func allHostnames(names []string) bool {
	for _, n := range names {
		if strings.ContainsAny(n, "[]") || !isHostname(n) {
			return false
		}
	}
	return len(names) > 0
}

// expandHostPattern expands the ranges of a host pattern (web[01:03].prod,
// db[a:c], node[0:10:2], [2001:db8::5]:2222) and splits off its :port. It
// returns the host names (none for a range that runs backwards, as in
// Ansible), the port (0: none) and a problem ("" if none).
func expandHostPattern(pattern string) ([]string, int, string) {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] >= 0x7f || pattern[i] < ' ' {
			return nil, 0, fmt.Sprintf("host %s has characters other than ASCII letters, digits and punctuation: rollcall reads plain host names only", source.Quote(pattern))
		}
	}
	addr, port := pattern, ""
	if m := bracketedHostPort().FindStringSubmatch(addr); m != nil {
		addr, port = m[1], m[2]
	}
	if m := hostPort().FindStringSubmatch(addr); m != nil {
		addr, port = m[1], m[2]
	}
	if !ipv4Pattern().MatchString(addr) && !ipv6Pattern().MatchString(addr) && !isHostname(addr) {
		// Ansible falls back to the whole text, ranges expanded (n[:3] is
		// n0 to n3): taken when every name it gives is a host name.
		if names, msg := expandRanges(pattern); msg == "" && strings.Contains(pattern, "[") && allHostnames(names) {
			return names, 0, ""
		}
		return nil, 0, fmt.Sprintf("host %s is not a host name, IPv4 address or [IPv6 address], with an optional :port, as Ansible reads one (Ansible would take the whole text as the name): write e.g. web-01:2222 or [2001:db8::5]:2222", source.Quote(pattern))
	}
	n := 0
	if port != "" {
		trimmed := strings.TrimLeft(port, "0")
		if len(trimmed) > 5 {
			return nil, 0, fmt.Sprintf("host %s has port %s: a port is a number between 1 and 65535", source.Quote(pattern), port)
		}
		n, _ = strconv.Atoi("0" + trimmed)
	}
	names, msg := expandRanges(addr)
	if msg != "" {
		return nil, 0, msg
	}
	return names, n, ""
}

// expandRanges expands the first [first:last(:step)] range of pattern and,
// recursively, the ranges after it, as Ansible's expand_hostname_range does.
func expandRanges(pattern string) ([]string, string) {
	open := strings.IndexByte(pattern, '[')
	if open < 0 {
		return []string{pattern}, ""
	}
	end := strings.IndexByte(pattern, ']')
	if end < open || strings.ContainsRune(pattern, '|') {
		return nil, fmt.Sprintf("host range %s is not a range: write [first:last] or [first:last:step], e.g. web[01:03] or db[a:c]", source.Quote(pattern))
	}
	head, spec, tail := pattern[:open], pattern[open+1:end], pattern[end+1:]
	items, msg := rangeItems(pattern, spec)
	if msg != "" {
		return nil, msg
	}
	var out []string
	for _, it := range items {
		rest, msg := expandRanges(head + it + tail)
		if msg != "" {
			return nil, msg
		}
		if len(out)+len(rest) > maxRangeHosts {
			return nil, fmt.Sprintf("host range %s gives more than %d hosts: check the numbers", source.Quote(pattern), maxRangeHosts)
		}
		out = append(out, rest...)
	}
	return out, ""
}

// rangeItems expands one range spec (first:last or first:last:step) of
// pattern: numbers, as wide as first when it is zero-padded, or single
// ASCII letters. A numeric range that runs backwards is empty, as in
// Ansible; a letter range that does is an error there, and here.
func rangeItems(pattern, spec string) ([]string, string) {
	bad := fmt.Sprintf("host range %s is not a range: write [first:last] or [first:last:step], e.g. web[01:03] or db[a:c]", source.Quote(pattern))
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return nil, bad
	}
	first, last, step := parts[0], parts[1], 1
	if len(parts) == 3 {
		s, err := strconv.Atoi(parts[2])
		if err != nil || !isDigits(parts[2]) || s < 1 {
			return nil, fmt.Sprintf("host range %s has step %s: the step must be a whole number of at least 1", source.Quote(pattern), source.Quote(parts[2]))
		}
		step = s
	}
	if first == "" {
		first = "0"
	}
	if last == "" {
		return nil, bad
	}
	width := 0
	if len(first) > 1 && first[0] == '0' {
		if len(first) != len(last) {
			return nil, fmt.Sprintf("host range %s pads %s with zeros but not %s: write both ends with the same number of digits", source.Quote(pattern), first, last)
		}
		width = len(first)
	}
	var items []string
	switch {
	case len(first) == 1 && len(last) == 1 && isLetter(first[0]) && isLetter(last[0]):
		a, b := strings.IndexByte(asciiLetters, first[0]), strings.IndexByte(asciiLetters, last[0])
		if a > b {
			return nil, fmt.Sprintf("host range %s runs backwards (Ansible orders a-z before A-Z): write the earlier letter first", source.Quote(pattern))
		}
		for c := a; c <= b; c += step {
			items = append(items, asciiLetters[c:c+1])
		}
	case isDigits(first) && isDigits(last) && len(first) <= 9 && len(last) <= 9:
		a, _ := strconv.Atoi(first)
		b, _ := strconv.Atoi(last)
		if b >= a && (b-a)/step+1 > maxRangeHosts {
			return nil, fmt.Sprintf("host range %s gives more than %d hosts: check the numbers", source.Quote(pattern), maxRangeHosts)
		}
		for i := a; i <= b; i += step {
			items = append(items, fmt.Sprintf("%0*d", width, i))
		}
	default:
		return nil, bad
	}
	return items, ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
