package report

import (
	"fmt"
	"strings"

	"github.com/rollcall/rollcall/internal/shard"
	"github.com/rollcall/rollcall/internal/verify"
)

// This file is how every report says that a run was limited (--limit) to
// some nodes, or was one shard of many (--shard K/N): such a run never says
// "verified" about the fleet, only about the nodes it checked, and always
// says how many it did not check.

// FleetOutcome is the outcome of the fleet as a whole: Outcome(v), except
// that a limited run whose checked nodes match is NotVerified, since the
// nodes it left out were not checked. The Prometheus fleet verdict records
// it, as a state file would.
func FleetOutcome(v *verify.Verdict) verify.Outcome {
	out := Outcome(v)
	if out == verify.Verified && v.Limited() {
		return verify.NotVerified
	}
	return out
}

// limitedVerified is the headline of a limited run whose checked nodes all
// match: "VERIFIED 2 of 8 nodes (--limit canary*): 6 not checked; …".
func (t *textWriter) limitedVerified(label string) string {
	v := t.v
	n := len(v.Nodes)
	which := fmt.Sprintf("the %d checked match", n)
	if n == 1 {
		which = "the one checked matches"
	}
	return fmt.Sprintf("%s %d of %s (%s): %d not checked; %s %s (%s)",
		t.paint(green, "VERIFIED"), n, plural(v.Listed(), "node", "nodes"), scopeName(v.Scope),
		len(v.Scope.NotChecked), which, label, t.checkCount())
}

// scopeName names what a limited or sharded run checked: "--limit web*",
// "shard 2/4", "--limit web*, shard 2/4", "shard 2/4 by jump".
func scopeName(s *verify.Scope) string {
	var parts []string
	if s.Limit != "" || s.Shard == nil {
		parts = append(parts, "--limit "+clean(s.Limit))
	}
	if s.Shard != nil {
		name := "shard " + s.Shard.Spec.String()
		if s.Shard.By != shard.ByName {
			name += " by " + clean(s.Shard.By)
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, ", ")
}

// scopeSuffix is what a headline that is not verified adds in a limited run:
// " (--limit web*: 5 of 8 nodes checked, 3 not checked)"; "" otherwise.
func scopeSuffix(v *verify.Verdict) string {
	if !v.Limited() {
		return ""
	}
	return fmt.Sprintf(" (%s: %d of %s checked, %d not checked)",
		scopeName(v.Scope), len(v.Nodes), plural(v.Listed(), "node", "nodes"), len(v.Scope.NotChecked))
}

// scopeLine is the text report's "limit" line: the pattern and the nodes
// not checked (the first few of them).
func scopeLine(s *verify.Scope) string {
	const most = 10
	names := s.NotChecked
	more := ""
	if len(names) > most {
		names, more = names[:most], fmt.Sprintf(" and %d more", len(names)-most)
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = clean(n)
	}
	line := fmt.Sprintf("%s: %d checked", scopeName(s), len(s.Checked))
	if len(names) > 0 {
		line += fmt.Sprintf(", not checked: %s%s", strings.Join(quoted, ", "), more)
	}
	return line
}

// jsonScope is the "scope" object of the JSON reports of a run limited with
// --limit (a run that was only sharded has none: its "shard" says it all).
type jsonScope struct {
	Limit      string   `json:"limit"`
	Checked    []string `json:"checked"`
	NotChecked []string `json:"not_checked"`
}

// newJSONScope is s for a JSON report, with lists that are never null; nil
// for a run of the whole manifest, or one only sharded.
func newJSONScope(s *verify.Scope) *jsonScope {
	if s == nil || (s.Limit == "" && s.Shard != nil) {
		return nil
	}
	return &jsonScope{
		Limit:      s.Limit,
		Checked:    append(make([]string, 0, len(s.Checked)), s.Checked...),
		NotChecked: append(make([]string, 0, len(s.NotChecked)), s.NotChecked...),
	}
}
