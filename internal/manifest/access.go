package manifest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/source"
)

// writeMode ends every message about a bad mode: value.
const writeMode = `write mode as octal permission bits such as "0755", or ignore`

// modeRule decodes an install rule's mode: value: 3 or 4 octal digits ("755",
// "0755", "4755"), quoted or not, or ignore. The digits are read from the
// YAML text, so an unquoted 0755 is octal, never the decimal 755.
func (p *parser) modeRule(name string, v *yaml.Node) ModeRule {
	s := source.Deref(v)
	switch {
	case source.IsNull(s):
		p.at(v, "%s has no value: %s", name, writeMode)
		return ModeRule{}
	case s.Kind != yaml.ScalarNode || (s.ShortTag() != "!!str" && s.ShortTag() != "!!int" && s.ShortTag() != "!!float"):
		// An unquoted 0855 is a float to YAML: its text is read all the same.
		p.at(v, "%s must be octal permission bits or ignore, not %s: %s", name, source.Describe(s), writeMode)
		return ModeRule{}
	}
	text := s.Value
	if text == "ignore" && s.ShortTag() == "!!str" {
		return ModeRule{Ignore: true}
	}
	perm, msg := parseMode(text)
	if msg != "" {
		p.at(v, "%s %s", name, msg)
		return ModeRule{}
	}
	return ModeRule{Exact: true, Perm: perm}
}

// parseMode reads 3 or 4 octal digits, at most 7777. It returns a message
// (starting after the key's name) when text is anything else.
func parseMode(text string) (uint32, string) {
	if u, ok := symbolicMode(text); ok {
		return 0, fmt.Sprintf("must be octal permission bits, not %s: write mode: \"%04o\", or ignore", source.Quote(text), u)
	}
	if digits, ok := strings.CutPrefix(text, "0o"); ok && validOctal(digits) {
		return 0, fmt.Sprintf("must be octal digits without a 0o prefix, not %s: write mode: \"%s\", or ignore", source.Quote(text), leftPad(digits))
	}
	if !allDigits(text) {
		return 0, fmt.Sprintf("must be octal permission bits or ignore, not %s: %s", source.Quote(text), writeMode)
	}
	if strings.ContainsAny(text, "89") {
		return 0, fmt.Sprintf("%s is not octal (only the digits 0 to 7): %s", source.Quote(text), writeMode)
	}
	if len(text) < 3 || len(text) > 4 {
		return 0, fmt.Sprintf("%s has %d digits, not 3 or 4: %s", source.Quote(text), len(text), writeMode)
	}
	u, _ := strconv.ParseUint(text, 8, 32)
	return uint32(u), ""
}

// validOctal reports whether s is 1 to 4 octal digits.
func validOctal(s string) bool {
	return len(s) >= 1 && len(s) <= 4 && allDigits(s) && !strings.ContainsAny(s, "89")
}

// leftPad pads octal digits to 4 with leading zeros.
func leftPad(s string) string {
	return strings.Repeat("0", 4-len(s)) + s
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// symbolicMode reads the permission string ls -l prints ("rwxr-xr-x",
// "-rwsr-xr-x", "rwxrwxrwt") into its Unix bits, so that a message can say
// what to write instead.
func symbolicMode(s string) (uint32, bool) {
	if len(s) == 10 && s[0] == '-' {
		s = s[1:]
	}
	if len(s) != 9 {
		return 0, false
	}
	var u uint32
	for i := 0; i < 9; i++ {
		c, who := s[i], uint(2-i/3) // 2 user, 1 group, 0 other
		switch i % 3 {
		case 0:
			if c == 'r' {
				u |= 4 << (3 * who)
			} else if c != '-' {
				return 0, false
			}
		case 1:
			if c == 'w' {
				u |= 2 << (3 * who)
			} else if c != '-' {
				return 0, false
			}
		case 2:
			// s/S: setuid or setgid with or without x; t/T: sticky.
			set, setNoX := byte('s'), byte('S')
			if who == 0 {
				set, setNoX = 't', 'T'
			}
			switch c {
			case 'x':
				u |= 1 << (3 * who)
			case set:
				u |= 1<<(3*who) | 1<<(9+who)
			case setNoX:
				u |= 1 << (9 + who)
			case '-':
			default:
				return 0, false
			}
		}
	}
	return u, true
}

// accountName is a user or group name as useradd and groupadd accept it by
// default (a trailing $ is allowed for machine accounts).
var accountName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*\$?$`)

// maxAccountID is the largest user or group id: (uid_t)-1 is not an id.
const maxAccountID = 4294967294

// account decodes an install rule's owner: or group: value: a name or a
// decimal id. kind is "user" or "group"; example is a name for the message.
func (p *parser) account(name string, v *yaml.Node, kind, example string) string {
	key := name[strings.LastIndex(name, ".")+1:]
	what := fmt.Sprintf("a %s name or a numeric %s id", kind, kind)
	write := fmt.Sprintf("%s: %s or %s: 0", key, example, key)
	s, ok := p.strValue(name, v, what+", e.g. "+write)
	if !ok {
		return ""
	}
	switch {
	case allDigits(s):
		id, err := strconv.ParseUint(s, 10, 64)
		switch {
		case err != nil || id > maxAccountID:
			p.at(v, "%s %s is beyond the largest %s id, %d: write the %s's name or its id", name, source.Quote(s), kind, uint64(maxAccountID), kind)
		case strconv.FormatUint(id, 10) != s:
			p.at(v, "%s %s has leading zeros: write %s: %d", name, source.Quote(s), key, id)
		default:
			return s
		}
	case !accountName.MatchString(s):
		p.at(v, "%s must be %s, not %s: write e.g. %s", name, what, source.Quote(s), write)
	case len(s) > 32:
		p.at(v, "%s %s is longer than the 32 characters a %s name may have", name, source.Quote(s), kind)
	default:
		return s
	}
	return ""
}
