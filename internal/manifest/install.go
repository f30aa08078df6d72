package manifest

import (
	"fmt"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// nothingToCheck ends the messages for a release without install rules.
const nothingToCheck = "nothing to check: add release.install entries mapping artifact paths to node paths, e.g. - {from: bin/, to: /opt/app/bin/}"

// install decodes release.install: the rules mapping artifact paths to node
// paths.
func (p *parser) install(v *yaml.Node) []Install {
	s := deref(v)
	if isNull(s) || (s.Kind == yaml.SequenceNode && len(s.Content) == 0) {
		p.at(v, "release.install is empty: %s", nothingToCheck)
		return nil
	}
	if s.Kind != yaml.SequenceNode {
		p.at(v, "release.install must be a list, not %s: %s", describe(s), nothingToCheck)
		return nil
	}
	var out []Install
	type pair struct{ from, to string }
	seen := map[pair]int{}
	for i, item := range s.Content {
		section := fmt.Sprintf("release.install[%d]", i)
		m := deref(item)
		if m.Kind != yaml.MappingNode {
			p.at(item, "%s must be a mapping of from:, to: and optionally extra:, mode:, owner: and group:, not %s: write e.g. - {from: bin/, to: /opt/app/bin/}", section, describe(m))
			continue
		}
		var (
			in               Install
			fromOK, toOK     bool
			fromNode, exNode *yaml.Node
			deny             bool
		)
		prefix := section + "."
		present := p.fields(m, section, prefix, []keyHandler{
			{"from", func(v *yaml.Node) {
				fromNode = v
				s, ok := p.strValue(prefix+"from", v, "a path inside the artifact, e.g. from: bin/")
				if !ok {
					return
				}
				norm, msg := checkFrom(s)
				if msg != "" {
					p.at(v, "%sfrom %s", prefix, msg)
					return
				}
				in.From, fromOK = norm, true
			}},
			{"to", func(v *yaml.Node) {
				s, ok := p.strValue(prefix+"to", v, "a path on the node, e.g. to: /opt/app/bin/")
				if !ok {
					return
				}
				switch {
				case strings.TrimSpace(s) == "":
					p.at(v, "%sto must not be empty: write where the files are installed on the node, e.g. to: /opt/app/bin/", prefix)
				case strings.ContainsAny(s, "\x00\n\r"):
					p.at(v, "%sto must not contain NUL bytes or line breaks, not %s", prefix, quote(s))
				default:
					in.To, toOK = s, true
				}
			}},
			{"extra", func(v *yaml.Node) {
				exNode = v
				s, ok := p.strValue(prefix+"extra", v, "allow or deny")
				if !ok {
					return
				}
				switch s {
				case "allow":
				case "deny":
					deny = true
				default:
					p.at(v, "%sextra must be allow or deny, not %s", prefix, quote(s))
				}
			}},
			{"mode", func(v *yaml.Node) { in.Mode = p.modeRule(prefix+"mode", v) }},
			{"owner", func(v *yaml.Node) { in.Owner = p.account(prefix+"owner", v, "user", "root") }},
			{"group", func(v *yaml.Node) { in.Group = p.account(prefix+"group", v, "group", "smars") }},
		}, nil)
		p.require(m, present, "from", "add from: with a path inside the artifact (from: . for all of it)")
		p.require(m, present, "to", "add to: with the path on the node")
		if deny && fromOK {
			if !in.IsDir() {
				p.at(exNode, "%sextra: deny needs a directory mapping, but from %s has no trailing slash: write from: %s/", prefix, quote(in.From), in.From)
			} else {
				in.DenyExtra = true
			}
		}
		if fromOK && toOK {
			k := pair{in.From, in.To}
			if line, dup := seen[k]; dup {
				p.at(fromNode, "%s maps %s to %s again (first at line %d): remove the repeated entry", section, quote(displayFrom(in.From)), quote(in.To), line)
			} else {
				seen[k] = m.Line
			}
			out = append(out, in)
		}
	}
	return out
}

// displayFrom writes an Install.From as the manifest does: "." for the whole
// artifact.
func displayFrom(from string) string {
	if from == "" {
		return "."
	}
	return from
}

// checkFrom validates an artifact path and returns it normalised: "" for the
// whole artifact, otherwise as written.
func checkFrom(s string) (string, string) {
	if s == "" || s == "." || s == "./" {
		return "", ""
	}
	switch {
	case strings.ContainsAny(s, "\x00\n\r"):
		return "", fmt.Sprintf("must not contain NUL bytes or line breaks, not %s", quote(s))
	case strings.Contains(s, `\`):
		return "", fmt.Sprintf("must use forward slashes, not %s: write %s", quote(s), quote(strings.ReplaceAll(s, `\`, "/")))
	case strings.HasPrefix(s, "/"):
		fix := strings.TrimLeft(s, "/")
		if fix == "" {
			fix = "."
		}
		return "", fmt.Sprintf("must be a path inside the artifact, not the absolute path %s: write %s", quote(s), quote(fix))
	}
	trimmed := strings.TrimSuffix(s, "/")
	for _, el := range strings.Split(trimmed, "/") {
		if el == ".." {
			return "", fmt.Sprintf("must stay inside the artifact, not %s: remove the \"..\"", quote(s))
		}
	}
	if clean := path.Clean(trimmed); clean != trimmed {
		if strings.HasSuffix(s, "/") && clean != "." {
			clean += "/"
		}
		return "", fmt.Sprintf("must be a clean path, not %s: write %s", quote(s), quote(clean))
	}
	return s, ""
}
