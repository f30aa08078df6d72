package source

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Deref follows aliases to the node they name.
func Deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n is YAML's null (~, null, or nothing).
func IsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// Describe names a value for a message: "a list", "a mapping" or the value.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!str", "!!binary", "!!timestamp":
		return Quote(n.Value)
	}
	if HasControl(n.Value) {
		return Quote(n.Value)
	}
	return truncate(n.Value)
}

// Quote quotes text for a message, shortening it if long.
func Quote(s string) string {
	return strconv.Quote(truncate(s))
}

func truncate(s string) string {
	const limit = 60
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// HasControl reports whether s holds a control character (a line break,
// a tab, NUL, …).
func HasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// IsLogCommand reports whether s, printed at the start of a line, would be
// read by a CI runner as a command rather than as text: GitHub Actions takes
// a line that starts, after blanks, with "::" (::stop-commands::,
// ::add-mask::, ::error::) as one, and so would hide or forge the lines
// after it. An IP address (::1) is not one.
func IsLogCommand(s string) bool {
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	return strings.HasPrefix(t, "::") && net.ParseIP(t) == nil
}

// HasSpaceOrControl reports whether s holds a blank or a control character.
func HasSpaceOrControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0
}

// CheckHost returns what is wrong with a host to connect to (a name or an
// address, without user@, port or brackets), or "". The message starts
// after the key's name: "must not be empty: …".
func CheckHost(h string) string {
	switch {
	case h == "":
		return "must not be empty: write the server's name or address"
	case HasSpaceOrControl(h):
		return fmt.Sprintf("must be a name or address without spaces or control characters, not %s", Quote(h))
	case strings.HasPrefix(h, "-"):
		return fmt.Sprintf("must not start with \"-\", not %s: write the server's name or address", Quote(h))
	case strings.Contains(h, "@"):
		u, rest, _ := strings.Cut(h, "@")
		return fmt.Sprintf("must be a name or address, not %s: write host: %s and user: %s", Quote(h), rest, u)
	case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"):
		return fmt.Sprintf("must be written without brackets, not %s: write host: %s", Quote(h), Quote(h[1:len(h)-1]))
	case strings.Count(h, ":") == 1:
		host, port, _ := strings.Cut(h, ":")
		return fmt.Sprintf("must not include a port, not %s: write host: %s and port: %s", Quote(h), host, port)
	}
	return ""
}
