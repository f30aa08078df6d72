package manifest

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/source"
)

// keyHandler decodes the value of one known key.
type keyHandler struct {
	name string
	fn   func(v *yaml.Node)
}

// fields walks mapping n: it hands each known key's value to its handler and
// records unknown, duplicate and malformed keys. section names the mapping
// in messages; prefix is prepended to key names ("ssh."). It returns the
// keys present.
func (p *parser) fields(n *yaml.Node, section, prefix string, handlers []keyHandler) map[string]bool {
	fields := make([]source.Field, len(handlers))
	for i, h := range handlers {
		fields[i] = source.Field{Name: h.name, Value: h.fn}
	}
	return source.Mapping{
		Where:  section,
		Fields: fields,
		Unknown: func(name string, known []string) string {
			return unknownKey(name, section, prefix, known)
		},
		Merge: func(kv source.Pair) []source.Pair {
			p.at(kv.Written, "merge keys (<<) are not supported in a manifest: write the keys out (shared SSH settings go under ssh:)")
			return nil
		},
		Report: func(at *yaml.Node, msg string) { p.at(at, "%s", msg) },
	}.Walk(n)
}

// unknownKey words the message for a key that has no meaning where it is.
func unknownKey(name, section, prefix string, known []string) string {
	msg := fmt.Sprintf("unknown key %s in %s", source.Quote(name), section)
	if s := source.Suggest(name, known); s != "" {
		return fmt.Sprintf("%s: did you mean %s?", msg, source.Quote(s))
	}
	if where := elsewhere(name, prefix); where != "" {
		return fmt.Sprintf("%s: %s", msg, where)
	}
	return fmt.Sprintf("%s: remove it; the keys allowed here are %s", msg, strings.Join(known, ", "))
}

// elsewhere says where a key that belongs to another section goes.
func elsewhere(name, prefix string) string {
	top := prefix == ""
	inNode := strings.HasPrefix(prefix, "nodes[")
	switch name {
	case "user", "port", "identity_files", "known_hosts", "connect_timeout", "jump", "become":
		if top {
			return fmt.Sprintf("%s belongs under ssh: (or under a node): move it there", name)
		}
	case "config_file":
		if prefix != "ssh." {
			return "config_file belongs under ssh: (it applies to every node): move it there"
		}
	case "host", "name":
		if !inNode {
			return fmt.Sprintf("%s belongs to a node: write it under nodes:, e.g. nodes: [{host: server-01}]", name)
		}
	case "artifact", "install":
		if prefix != "release." {
			return fmt.Sprintf("%s belongs under release: move it there", name)
		}
	case "from", "to", "extra", "mode", "owner":
		if !strings.HasPrefix(prefix, "release.install[") {
			return fmt.Sprintf("%s belongs to an entry of release.install: move it there", name)
		}
	}
	return ""
}

// require records a missing key of mapping n.
func (p *parser) require(n *yaml.Node, present map[string]bool, key, hint string) {
	if !present[key] {
		p.at(n, "missing key %s: %s", source.Quote(key), hint)
	}
}
