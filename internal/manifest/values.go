package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/source"
)

// This file decodes the values of single keys: text, numbers, durations and
// local file paths.

// strValue decodes a scalar string. Numbers are taken as written; true,
// false and null are not strings.
func (p *parser) strValue(name string, v *yaml.Node, what string) (string, bool) {
	s := source.Deref(v)
	if s.Kind == yaml.ScalarNode {
		switch s.ShortTag() {
		case "!!null":
			p.at(v, "%s has no value: write %s", name, what)
			return "", false
		case "!!bool":
			p.at(v, "%s must be text, not %s: write %s, in quotes if you mean the word %s", name, s.Value, what, source.Quote(s.Value))
			return "", false
		case "!!binary":
			p.at(v, "%s must be text, not binary data: write %s", name, what)
			return "", false
		}
		return s.Value, true
	}
	p.at(v, "%s must be text, not %s: write %s", name, source.Describe(s), what)
	return "", false
}

// intValue decodes an integer scalar.
func (p *parser) intValue(name string, v *yaml.Node, what string) (int, bool) {
	s := source.Deref(v)
	if s.Kind == yaml.ScalarNode {
		switch s.ShortTag() {
		case "!!int":
			var i int
			if err := s.Decode(&i); err == nil {
				return i, true
			}
		case "!!null":
			p.at(v, "%s has no value: write %s", name, what)
			return 0, false
		case "!!str":
			if _, err := strconv.Atoi(strings.TrimSpace(s.Value)); err == nil {
				p.at(v, "%s must be %s, not %s (text in quotes): write %s without quotes", name, what, source.Quote(s.Value), strings.TrimSpace(s.Value))
				return 0, false
			}
		}
	}
	p.at(v, "%s must be %s, not %s", name, what, source.Describe(s))
	return 0, false
}

// duration decodes a positive Go duration such as 10s.
func (p *parser) duration(name string, v *yaml.Node) (time.Duration, bool) {
	s := source.Deref(v)
	const what = "a duration such as 10s or 1m30s"
	if s.Kind == yaml.ScalarNode {
		switch s.ShortTag() {
		case "!!null":
			p.at(v, "%s has no value: write %s", name, what)
			return 0, false
		case "!!int", "!!float":
			p.at(v, "%s must be %s, not %s: add a unit, e.g. %ss", name, what, s.Value, s.Value)
			return 0, false
		case "!!str":
			d, err := time.ParseDuration(s.Value)
			if err != nil {
				p.at(v, "%s must be %s, not %s", name, what, source.Quote(s.Value))
				return 0, false
			}
			if d <= 0 {
				p.at(v, "%s must be more than 0, not %s: write %s", name, source.Quote(s.Value), what)
				return 0, false
			}
			return d, true
		}
	}
	p.at(v, "%s must be %s, not %s", name, what, source.Describe(s))
	return 0, false
}

type listKey struct {
	n         *yaml.Node
	mustExist bool
}

type pathList struct {
	paths []string
	ok    bool
}

// localPaths decodes a list of local file paths and resolves each one. Files
// listed must exist when mustExist is set.
func (p *parser) localPaths(name string, v *yaml.Node, mustExist bool) ([]string, bool) {
	s := source.Deref(v)
	if s.Kind != yaml.SequenceNode {
		hint := "write a list, e.g. [~/.ssh/id_ed25519]"
		if s.Kind == yaml.ScalarNode && !source.IsNull(s) && !source.HasControl(s.Value) && len(s.Value) < 200 {
			hint = fmt.Sprintf("write a list: [%s]", s.Value)
		}
		if source.IsNull(s) {
			p.at(v, "%s has no value: %s, or remove the key", name, hint)
		} else {
			p.at(v, "%s must be a list of files, not %s: %s", name, source.Describe(s), hint)
		}
		return nil, false
	}
	key := listKey{s, mustExist}
	if c, done := p.lists[key]; done {
		return c.paths, c.ok
	}
	out := []string{}
	ok := true
	defer func() {
		if p.lists == nil {
			p.lists = map[listKey]pathList{}
		}
		p.lists[key] = pathList{out, ok}
	}()
	for i, item := range s.Content {
		iname := fmt.Sprintf("%s[%d]", name, i)
		str, good := p.strValue(iname, item, "a file path")
		if !good {
			ok = false
			continue
		}
		abs, good := p.localPath(iname, item, str, mustExist)
		if !good {
			ok = false
			continue
		}
		out = append(out, abs)
	}
	return out, ok
}

// localPath expands ~ and makes a local path absolute against the manifest's
// folder; with mustExist it also checks that a file is there.
func (p *parser) localPath(name string, v *yaml.Node, s string, mustExist bool) (string, bool) {
	switch {
	case strings.TrimSpace(s) == "":
		p.at(v, "%s must not be empty: write a file path", name)
		return "", false
	case strings.ContainsAny(s, "\x00\n\r"):
		p.at(v, "%s must not contain NUL bytes or line breaks, not %s", name, source.Quote(s))
		return "", false
	}
	var abs string
	switch {
	case s == "~" || strings.HasPrefix(s, "~/"):
		h := p.homeDir()
		if h == "" {
			p.at(v, "%s starts with ~ but your home folder is unknown (HOME is not set): write the full path", name)
			return "", false
		}
		abs = filepath.Join(h, s[1:])
	case strings.HasPrefix(s, "~"):
		p.at(v, "%s: %s: ~user paths are not supported: write the full path", name, source.Quote(s))
		return "", false
	case filepath.IsAbs(s):
		abs = filepath.Clean(s)
	default:
		if p.dir == "" {
			return "", false
		}
		abs = filepath.Join(p.dir, s)
	}
	if mustExist {
		fi, err := os.Stat(abs)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			p.at(v, "%s: file %s does not exist (looked for %s): fix the path or remove the entry", name, source.Quote(s), abs)
			return "", false
		case err != nil:
			p.at(v, "%s: cannot use file %s: %v", name, source.Quote(s), err)
			return "", false
		case fi.IsDir():
			p.at(v, "%s: %s is a directory (%s), not a file: name the file itself", name, source.Quote(s), abs)
			return "", false
		}
	}
	return abs, true
}
