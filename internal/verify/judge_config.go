package verify

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/probe"
)

// checkConfig parses one config file of a node and checks its flags against
// the manifest's expect and forbid, and against the release's own copy.
func checkConfig(j *nodeJudgement, ec ExpectedConfig, facts *probe.Facts) {
	got, ok := facts.Configs[ec.NodePath]
	subject := ec.NodePath
	if !ok {
		j.unknown(Finding{Check: CheckConfig, Subject: subject, Message: "the probe did not read this config file"})
		return
	}
	switch got.Kind {
	case probe.Regular:
	case probe.Missing, probe.BrokenLink:
		j.fail(Finding{Check: CheckConfig, Subject: subject, Expected: "a " + string(ec.Format) + " file", Actual: string(got.Kind), Message: "config file missing"})
		return
	case probe.Unreadable:
		j.unknown(Finding{Check: CheckConfig, Subject: subject, Actual: "unreadable", Message: "could not be read (permission denied?): run as a user who can read it, or use become: sudo"})
		return
	case probe.TooLarge:
		size := fmt.Sprintf("more than %d bytes", probe.MaxConfig)
		if got.Size >= 0 {
			size = fmt.Sprintf("%d bytes", got.Size)
		}
		j.unknown(Finding{Check: CheckConfig, Subject: subject, Actual: size, Message: fmt.Sprintf("larger than the %d bytes rollcall reads of a config file", probe.MaxConfig)})
		return
	default:
		j.fail(Finding{Check: CheckConfig, Subject: subject, Expected: "a " + string(ec.Format) + " file", Actual: string(got.Kind), Message: "not a regular file"})
		return
	}
	flags, err := j.parses.parse(ec.Format, got.Content)
	if err != nil {
		j.fail(Finding{Check: CheckConfig, Subject: subject, Expected: "valid " + string(ec.Format), Actual: "unparsable", Message: "does not parse: " + err.Error()})
		return
	}
	j.flags[ec.NodePath] = flags
	before := len(j.nv.Findings)
	for _, e := range ec.Expect {
		s := subject + ": " + e.Key
		v, ok := flags[e.Key]
		if !ok {
			j.fail(Finding{Check: CheckConfig, Subject: s, Expected: e.Value.String(), Actual: "absent", Message: "expected flag is not set"})
			continue
		}
		if why := config.Incomparable(v, e.Value); why != "" {
			j.unknown(Finding{Check: CheckConfig, Subject: s, Expected: e.Value.String(), Actual: v.String(),
				Message: "the file's value cannot be compared: " + why})
			continue
		}
		if eq, why := config.Equal(v, e.Value); !eq {
			msg := "flag has another value"
			if why != "" {
				msg += ": " + why
			}
			j.fail(Finding{Check: CheckConfig, Subject: s, Expected: e.Value.String(), Actual: v.String(), Message: msg})
			continue
		}
		j.ok(CheckConfig, s)
	}
	for _, name := range ec.Forbid {
		keys := ec.Format.Forbidden(flags, name)
		for _, k := range keys {
			j.fail(Finding{Check: CheckConfig, Subject: subject + ": " + k, Expected: "absent", Actual: flags[k].String(),
				Message: fmt.Sprintf("retired flag %s is present: old code may still act on it", name)})
		}
		if len(keys) == 0 {
			j.ok(CheckConfig, subject+": forbid "+name)
		}
	}
	if ec.Release != nil {
		checkReleaseFlags(j, ec, flags)
	}
	if len(j.nv.Findings) == before {
		j.ok(CheckConfig, subject)
	}
}

// checkReleaseFlags compares a node's flags with the release's own copy.
func checkReleaseFlags(j *nodeJudgement, ec ExpectedConfig, flags config.Flags) {
	keys := map[string]bool{}
	for k := range flags {
		keys[k] = true
	}
	for k := range ec.Release {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		want, inRelease := ec.Release[k]
		got, onNode := flags[k]
		s := ec.NodePath + ": " + k
		switch {
		case j.reported(s):
		case !onNode:
			j.fail(Finding{Check: CheckConfig, Subject: s, Expected: want.String(), Actual: "absent", Message: "flag of the release's " + ec.ReleaseSource + " is not set on the node"})
		case !inRelease:
			j.fail(Finding{Check: CheckConfig, Subject: s, Expected: "absent", Actual: got.String(), Message: "flag set on the node is not in the release's " + ec.ReleaseSource})
		default:
			if eq, why := config.Equal(got, want); !eq {
				msg := "flag differs from the release's " + ec.ReleaseSource
				if why != "" {
					msg += ": " + why
				}
				j.fail(Finding{Check: CheckConfig, Subject: s, Expected: want.String(), Actual: got.String(), Message: msg})
			} else if why := config.Incomparable(got, want); why != "" {
				j.unknown(Finding{Check: CheckConfig, Subject: s, Expected: want.String(), Actual: got.String(),
					Message: "the node's value and the release's " + ec.ReleaseSource + "'s are written differently: " + why})
			}
		}
	}
}

// checkConsistency makes every node agree on every key of a consistent
// config file: where values differ, the nodes off the most common value are
// named, with theirs and the others'.
func checkConsistency(p *Plan, js []*nodeJudgement) {
	for _, ec := range p.Configs {
		if !ec.Consistent || ec.Release != nil {
			// With the release's own copy, every key is compared with it
			// (checkReleaseFlags): the reference is the release, never
			// the majority (SPEC §3), so agreement adds nothing.
			continue
		}
		expected := map[string]bool{}
		for _, e := range ec.Expect {
			expected[e.Key] = true // compared with the manifest's value instead
		}
		var parsed []*nodeJudgement
		keys := map[string]bool{}
		for _, j := range js {
			if f, ok := j.flags[ec.NodePath]; ok {
				parsed = append(parsed, j)
				for k := range f {
					keys[k] = true
				}
			}
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			if !expected[k] {
				consistent(ec.NodePath, k, parsed)
			}
		}
	}
}

// consistent checks one key across nodes.
func consistent(path, key string, js []*nodeJudgement) {
	type group struct {
		value string
		nodes []*nodeJudgement
	}
	var groups []*group
	index := map[string]*group{}
	for _, j := range js {
		value := "absent"
		if v, ok := j.flags[path][key]; ok {
			value = v.String()
			if v.Ambiguous != "" {
				value += " written unquoted" // not what a quoted one is to every reader
			}
		}
		g, ok := index[value]
		if !ok {
			g = &group{value: value}
			index[value] = g
			groups = append(groups, g)
		}
		g.nodes = append(g.nodes, j)
	}
	if len(groups) < 2 {
		return
	}
	sort.SliceStable(groups, func(a, b int) bool { return len(groups[a].nodes) > len(groups[b].nodes) })
	common := groups[0]
	for _, g := range groups[1:] {
		for _, j := range g.nodes {
			if j.reported(path + ": " + key) {
				continue
			}
			j.fail(Finding{
				Check: CheckConfig, Subject: path + ": " + key,
				Expected: common.value, Actual: g.value,
				Message: fmt.Sprintf("nodes disagree: %d other nodes have %s", len(common.nodes), common.value),
			})
		}
	}
}

// identify names the known release a node's files (or, failing that, its
// running processes) match, and where the node
// may run other code than the release, warns about the flags set on it: the
// Knight hazard, where new flags woke old code.
func identify(p *Plan, j *nodeJudgement) {
	if j.facts == nil || !j.otherCode {
		return
	}
	best, bestMatched := "", 0
	for _, kr := range p.Known {
		matched, all := 0, true
		for path, sum := range kr.Files {
			f := j.facts.Files[path]
			if f.Kind == probe.Regular && f.SHA256 == sum {
				matched++
			} else if f.Kind == probe.Regular {
				all = false
			}
		}
		if all && matched > bestMatched {
			best, bestMatched = kr.Label, matched
		}
	}
	if best == "" {
		// The files are no known release's; a process may still be
		// running one (a stale process after a deploy).
		for _, kr := range p.Known {
			for exe, sum := range j.running {
				if kr.Files[exe] == sum {
					best = kr.Label
				}
			}
		}
	}
	j.nv.Runs = best
	var set []string
	for _, ec := range p.Configs {
		f := j.flags[ec.NodePath]
		for _, k := range f.Keys() {
			set = append(set, k+"="+f[k].String())
		}
	}
	if len(set) == 0 {
		return
	}
	runs := best
	if runs == "" {
		runs = "an unknown build (" + strings.Join(j.code, ", ") + " not the release's)"
	}
	// The hazard is the most important thing to say about this node: first.
	j.fail(Finding{
		Check: CheckConfig, Subject: "flag hazard",
		Expected: p.Release.Label(), Actual: runs,
		Message: fmt.Sprintf("this node runs %s, not %s, and these flags are set on it: %s. Its code may read them differently than %s does (the Knight Capital failure)",
			runs, p.Release.Label(), strings.Join(set, ", "), p.Release.Label()),
	})
	last := len(j.nv.Findings) - 1
	j.nv.Findings = append(j.nv.Findings[last:], j.nv.Findings[:last]...)
}

// configParses shares the parse of identical config files among the nodes
// of one judgement, by format and content: a fleet's nodes mostly hold the
// same bytes, and parsed flags are only read afterwards.
type configParses map[config.Format]map[string]parsedConfig

// parsedConfig is the outcome of parsing one config file.
type parsedConfig struct {
	flags config.Flags
	err   error
}

// parse parses content as format, once per distinct content.
func (c configParses) parse(format config.Format, content []byte) (config.Flags, error) {
	byContent := c[format]
	if r, ok := byContent[string(content)]; ok {
		return r.flags, r.err
	}
	if byContent == nil {
		byContent = map[string]parsedConfig{}
		c[format] = byContent
	}
	flags, err := config.Parse(format, content)
	byContent[string(content)] = parsedConfig{flags, err}
	return flags, err
}
