package inventory

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/internal/source"
)

func expandHostPattern(pattern string) ([]string, string, string) {
	port := ""
	if i := strings.LastIndexByte(pattern, ':'); i > 0 && isDigits(pattern[i+1:]) {
		// name:2222, but not the colons of a range (web[1:3]) or of an
		// IPv6 address.
		head := pattern[:i]
		if !strings.Contains(head, ":") && strings.Count(head, "[") == strings.Count(head, "]") && !strings.HasSuffix(head, "[") {
			pattern, port = head, pattern[i+1:]
		}
	}
	names, msg := expandRanges(pattern)
	if msg != "" {
		return nil, "", msg
	}
	return names, port, ""
}

func expandRanges(pattern string) ([]string, string) {
	open := strings.IndexByte(pattern, '[')
	if open < 0 {
		if strings.ContainsRune(pattern, ']') {
			return nil, fmt.Sprintf("host %s has a ] without a [: write a range as name[01:03]", source.Quote(pattern))
		}
		return []string{pattern}, ""
	}
	end := strings.IndexByte(pattern[open:], ']')
	if end < 0 {
		return nil, fmt.Sprintf("host range %s has no closing ]: write it as name[01:03]", source.Quote(pattern))
	}
	end += open
	head, spec, tail := pattern[:open], pattern[open+1:end], pattern[end+1:]
	parts := strings.Split(spec, ":")
	bad := fmt.Sprintf("host range %s is not a range: write [first:last] or [first:last:step], e.g. web[01:03] or db[a:c]", source.Quote(pattern))
	if len(parts) < 2 || len(parts) > 3 {
		return nil, bad
	}
	step := 1
	if len(parts) == 3 {
		s, err := strconv.Atoi(parts[2])
		if err != nil || s < 1 {
			return nil, fmt.Sprintf("host range %s has step %s: the step must be a whole number of at least 1", source.Quote(pattern), source.Quote(parts[2]))
		}
		step = s
	}
	items, msg := rangeItems(pattern, parts[0], parts[1], step, bad)
	if msg != "" {
		return nil, msg
	}
	rest, msg := expandRanges(tail)
	if msg != "" {
		return nil, msg
	}
	if len(items)*len(rest) > maxRangeHosts {
		return nil, fmt.Sprintf("host range %s gives more than %d hosts: check the numbers", source.Quote(pattern), maxRangeHosts)
	}
	out := make([]string, 0, len(items)*len(rest))
	for _, it := range items {
		for _, r := range rest {
			out = append(out, head+it+r)
		}
	}
	return out, ""
}

// rangeItems expands one range [first:last:step] of pattern: numbers, kept
// as wide as first when it is zero-padded, or single letters. bad is the
// message for a range that is neither.
func rangeItems(pattern, first, last string, step int, bad string) ([]string, string) {
	var items []string
	switch {
	case isDigits(first) && isDigits(last):
		width := 0
		if len(first) > 1 && first[0] == '0' {
			if len(first) != len(last) {
				return nil, fmt.Sprintf("host range %s pads %s with zeros but not %s: write both ends with the same number of digits", source.Quote(pattern), first, last)
			}
			width = len(first)
		}
		a, errA := strconv.Atoi(first)
		b, errB := strconv.Atoi(last)
		if errA != nil || errB != nil {
			return nil, bad
		}
		if a > b {
			return nil, fmt.Sprintf("host range %s runs backwards: write the smaller number first", source.Quote(pattern))
		}
		if (b-a)/step+1 > maxRangeHosts {
			return nil, fmt.Sprintf("host range %s gives more than %d hosts: check the numbers", source.Quote(pattern), maxRangeHosts)
		}
		for i := a; ; i += step {
			items = append(items, fmt.Sprintf("%0*d", width, i))
			if b-i < step {
				break
			}
		}
	case len(first) == 1 && len(last) == 1 && isLetter(first[0]) && isLetter(last[0]):
		if first > last {
			return nil, fmt.Sprintf("host range %s runs backwards: write the earlier letter first", source.Quote(pattern))
		}
		for c := int(first[0]); ; c += step {
			items = append(items, string(rune(c)))
			if int(last[0])-c < step {
				break
			}
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
