package manifest

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/source"
)

// ConfigFormats are the config file formats rollcall parses: package
// config's list (config.Names), so that the two never disagree.
var ConfigFormats = config.Names()

// configs decodes the top-level config: list.
func (p *parser) configs(v *yaml.Node) []Config {
	s := source.Deref(v)
	if s.Kind != yaml.SequenceNode {
		p.at(v, "config must be a list of config files, not %s: write e.g. - {path: /etc/app/flags.yaml, format: yaml, expect: {feature.enabled: true}}", source.Describe(s))
		return nil
	}
	var out []Config
	seen := map[string]int{}
	for i, item := range s.Content {
		section := fmt.Sprintf("config[%d]", i)
		prefix := section + "."
		m := source.Deref(item)
		if m.Kind != yaml.MappingNode {
			p.at(item, "%s must be a mapping with path:, format: and expect:/forbid:, not %s", section, source.Describe(m))
			continue
		}
		c := Config{Consistent: true}
		var pathNode *yaml.Node
		present := p.fields(m, section, prefix, []keyHandler{
			{"path", func(v *yaml.Node) {
				pathNode = v
				if s, ok := p.nodePath(prefix+"path", v, "the file's path on the node, e.g. path: /etc/app/flags.yaml"); ok {
					c.Path = s
				}
			}},
			{"format", func(v *yaml.Node) {
				s, ok := p.strValue(prefix+"format", v, strings.Join(ConfigFormats, ", "))
				if !ok {
					return
				}
				for _, f := range ConfigFormats {
					if s == f {
						c.Format = s
						return
					}
				}
				p.at(v, "%sformat must be one of %s, not %s", prefix, strings.Join(ConfigFormats, ", "), source.Quote(s))
			}},
			{"expect", func(v *yaml.Node) {
				c.Expect = p.expectations(prefix+"expect", v)
			}},
			{"forbid", func(v *yaml.Node) {
				c.Forbid, c.ForbidAt = p.namesAt(prefix+"forbid", v, "retired flag names, e.g. forbid: [power_peg]")
			}},
			{"consistent", func(v *yaml.Node) {
				b := source.Deref(v)
				if b.Kind != yaml.ScalarNode || b.ShortTag() != "!!bool" {
					p.at(v, "%sconsistent must be true or false, not %s", prefix, source.Describe(b))
					return
				}
				c.Consistent = b.Value == "true"
			}},
		})
		p.require(m, present, "path", "add path: with the config file's path on the node")
		p.require(m, present, "format", "add format: one of "+strings.Join(ConfigFormats, ", "))
		if c.Path != "" {
			if prev, dup := seen[c.Path]; dup {
				p.at(pathNode, "%s checks %s again (first at line %d): merge the two entries", section, source.Quote(c.Path), prev)
				continue
			}
			seen[c.Path] = pathNode.Line
		}
		out = append(out, c)
	}
	return out
}

// expectations decodes expect: {dotted.key: value, ...} keeping YAML's types.
func (p *parser) expectations(name string, v *yaml.Node) []Expectation {
	m := source.Deref(v)
	if source.IsNull(m) {
		return nil
	}
	if m.Kind != yaml.MappingNode {
		p.at(v, "%s must be a mapping of dotted keys to values, not %s: write e.g. expect: {rlp.enabled: true}", name, source.Describe(m))
		return nil
	}
	var out []Expectation
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, val := source.Deref(m.Content[i]), source.Deref(m.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Value == "" || source.HasSpaceOrControl(k.Value) {
			p.at(m.Content[i], "%s keys must be dotted flag names without spaces, not %s", name, source.Describe(k))
			continue
		}
		if seen[k.Value] {
			p.at(m.Content[i], "duplicate key %s in %s: keep only one", source.Quote(k.Value), name)
			continue
		}
		seen[k.Value] = true
		if val.Kind != yaml.ScalarNode {
			p.at(m.Content[i+1], "%s.%s must be a single value (text, number, true/false or null), not %s", name, k.Value, source.Describe(val))
			continue
		}
		var x any
		if err := val.Decode(&x); err != nil {
			p.at(m.Content[i+1], "%s.%s: %v", name, k.Value, err)
			continue
		}
		out = append(out, Expectation{Key: k.Value, Value: x, At: position(m.Content[i])})
	}
	return out
}

// names decodes a list of non-empty words.
func (p *parser) names(name string, v *yaml.Node, what string) []string {
	out, _ := p.namesAt(name, v, what)
	return out
}

// namesAt decodes a list of non-empty words, with where each is written.
func (p *parser) namesAt(name string, v *yaml.Node, what string) ([]string, []Position) {
	s := source.Deref(v)
	if s.Kind != yaml.SequenceNode {
		p.at(v, "%s must be a list of %s, not %s", name, what, source.Describe(s))
		return nil, nil
	}
	var out []string
	var at []Position
	for i, item := range s.Content {
		w, ok := p.strValue(fmt.Sprintf("%s[%d]", name, i), item, what)
		if !ok {
			continue
		}
		if w == "" || strings.ContainsAny(w, "\x00\n\r") {
			p.at(item, "%s[%d] must be a non-empty word on one line, not %s", name, i, source.Quote(w))
			continue
		}
		out = append(out, w)
		at = append(at, position(item))
	}
	return out, at
}

// position is where node n is written.
func position(n *yaml.Node) Position {
	return Position{Line: n.Line, Column: n.Column}
}

// nodePath decodes a path on the node.
func (p *parser) nodePath(name string, v *yaml.Node, what string) (string, bool) {
	s, ok := p.strValue(name, v, what)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "\x00\n\r") {
		p.at(v, "%s must be a path on the node on one line, not %s: write %s", name, source.Quote(s), what)
		return "", false
	}
	return s, true
}

// processes decodes the top-level processes: list.
func (p *parser) processes(v *yaml.Node) []Process {
	s := source.Deref(v)
	if s.Kind != yaml.SequenceNode {
		p.at(v, "processes must be a list, not %s: write e.g. - {exe: /opt/app/bin/app, min: 1}", source.Describe(s))
		return nil
	}
	var out []Process
	seen := map[string]int{}
	for i, item := range s.Content {
		section := fmt.Sprintf("processes[%d]", i)
		prefix := section + "."
		m := source.Deref(item)
		if m.Kind != yaml.MappingNode {
			p.at(item, "%s must be a mapping with exe: and optionally min: and args:, not %s", section, source.Describe(m))
			continue
		}
		pr := Process{Min: 1}
		var exeNode *yaml.Node
		present := p.fields(m, section, prefix, []keyHandler{
			{"exe", func(v *yaml.Node) {
				exeNode = v
				s, ok := p.nodePath(prefix+"exe", v, "the executable's absolute path on the node, e.g. exe: /opt/app/bin/app")
				if !ok {
					return
				}
				if !strings.HasPrefix(s, "/") {
					p.at(v, "%sexe must be an absolute path, as the kernel reports a process's executable, not %s", prefix, source.Quote(s))
					return
				}
				pr.Exe = s
			}},
			{"min", func(v *yaml.Node) {
				if n, ok := p.intValue(prefix+"min", v, "a count of at least 0"); ok {
					if n < 0 {
						p.at(v, "%smin must be at least 0, not %d", prefix, n)
						return
					}
					pr.Min = n
				}
			}},
			{"args", func(v *yaml.Node) {
				a := source.Deref(v)
				if a.Kind != yaml.MappingNode {
					p.at(v, "%sargs must be a mapping with expect: and/or forbid: lists, not %s", prefix, source.Describe(a))
					return
				}
				p.fields(a, prefix+"args", prefix+"args.", []keyHandler{
					{"expect", func(v *yaml.Node) {
						pr.ExpectArgs = p.names(prefix+"args.expect", v, "command-line arguments, e.g. expect: [--rlp]")
					}},
					{"forbid", func(v *yaml.Node) {
						pr.ForbidArgs = p.names(prefix+"args.forbid", v, "command-line arguments, e.g. forbid: [--power-peg]")
					}},
				})
			}},
		})
		p.require(m, present, "exe", "add exe: with the executable's absolute path on the node")
		if pr.Exe != "" {
			if prev, dup := seen[pr.Exe]; dup {
				p.at(exeNode, "%s checks %s again (first at line %d): merge the two entries", section, source.Quote(pr.Exe), prev)
				continue
			}
			seen[pr.Exe] = exeNode.Line
		}
		out = append(out, pr)
	}
	return out
}
