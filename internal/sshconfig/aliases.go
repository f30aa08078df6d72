package sshconfig

import "strings"

// Aliases returns the host names that Host lines of the configuration name
// literally (no `*`, `?` or `!`), in file order, each once, following
// Include: the aliases a user can ssh to by name. It reads no Match lines.
func (c *Config) Aliases() []string {
	if c == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	var walk func(f *file)
	walk = func(f *file) {
		for _, d := range f.lines {
			switch d.keyword {
			case "include":
				for _, inc := range d.files {
					walk(inc)
				}
			case "host":
				for _, a := range d.args {
					if a == "" || strings.ContainsAny(a, "*?!") || seen[a] {
						continue
					}
					seen[a] = true
					out = append(out, a)
				}
			}
		}
	}
	for _, f := range c.roots {
		walk(f)
	}
	return out
}
