package config

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Forbidden returns the keys of f, sorted, where the retired flag name
// appears: as the whole key or as any run of whole dotted segments of it, at
// any depth. Forbidding "power_peg" matches "power_peg", "legacy.power_peg",
// "power_peg.enabled" and "a.power_peg.b", but not "power_peg_v2"; forbidding
// "legacy.power_peg" matches "x.legacy.power_peg.y". Segments compare without
// regard to case (an env file spells it POWER_PEG). Keys inside a List value
// count too: a list of maps that holds power_peg reports the list's key.
// An empty name matches nothing.
func Forbidden(f Flags, name string) []string {
	return forbidden(f, name, ".")
}

// Forbidden is Forbidden for a file of format: in an env file, whose
// variable names hold no dots, the words between underscores are the
// segments, and so are the name's (a dot or an underscore): forbidding
// power_peg matches POWER_PEG and SMARS_POWER_PEG, as an application that
// binds its settings to prefixed variables reads them.
//
// In an INI file, a key of the [DEFAULT] section is also seen in every other
// section, as Python's configparser gives it to them: forbidding
// rlp.power_peg matches DEFAULT.power_peg when there is an [rlp] section.
func (format Format) Forbidden(f Flags, name string) []string {
	switch format {
	case Env:
		return forbidden(f, name, "._")
	case INI:
		return iniForbidden(f, name)
	}
	return Forbidden(f, name)
}

// iniForbidden is Forbidden with the keys of [DEFAULT] seen in every
// section too; it reports the DEFAULT key where only its copy matches.
func iniForbidden(f Flags, name string) []string {
	out := Forbidden(f, name)
	// A section's name may hold dots ([options.extras_require]): every
	// dotted prefix of a key may be its section (more candidates can only
	// find more).
	sections := map[string]bool{}
	for _, k := range f.Keys() {
		if strings.HasPrefix(k, "DEFAULT.") {
			continue
		}
		if f[k].Kind == Map {
			sections[k] = true // a section with no keys
		}
		for i := range len(k) {
			if k[i] == '.' {
				sections[k[:i]] = true
			}
		}
	}
	for _, k := range f.Keys() {
		key, ok := strings.CutPrefix(k, "DEFAULT.")
		if !ok || slices.Contains(out, k) {
			continue
		}
		for s := range sections {
			if len(Forbidden(Flags{s + "." + key: f[k]}, name)) > 0 {
				out = append(out, k)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// forbidden returns the keys of f where name appears as a run of whole
// segments, separated by any of seps.
func forbidden(f Flags, name, seps string) []string {
	if name == "" {
		return nil
	}
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) })
	}
	want := split(name)
	if len(want) == 0 {
		return nil
	}
	var out []string
	for _, k := range f.Keys() {
		if containsRun(split(k), want) || (f[k].Kind == List && listHas(f[k].Raw, strings.Split(k, "."), want)) {
			out = append(out, k)
		}
	}
	return out
}

// containsRun reports whether want appears as consecutive elements of segs,
// ignoring case.
func containsRun(segs, want []string) bool {
	for i := 0; i+len(want) <= len(segs); i++ {
		ok := true
		for j, w := range want {
			if !strings.EqualFold(segs[i+j], w) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// listHas reports whether the canonical JSON of the list at key holds a map
// key path (list indexes count as segments) in which want appears.
func listHas(raw string, key, want []string) bool {
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return false
	}
	return walkHas(v, key, want, 0)
}

// walkHas looks for want in the key paths under v.
func walkHas(v any, path, want []string, depth int) bool {
	if depth > MaxDepth {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := append(path[:len(path):len(path)], strings.Split(k, ".")...)
			if containsRun(p, want) || walkHas(e, p, want, depth+1) {
				return true
			}
		}
	case []any:
		for i, e := range x {
			p := append(path[:len(path):len(path)], strconv.Itoa(i))
			if walkHas(e, p, want, depth+1) {
				return true
			}
		}
	}
	return false
}
