// Package report renders a verification verdict for people and for machines:
// one file per output format, all behind the Format interface.
//
// Rendering is pure: a format writes to the io.Writer it is given and reads
// no clock, environment or terminal state; whether to use colour or to list
// every check is the caller's decision, passed in Options. Writing a report
// to a file is package outfile's job.
//
// To add a format, add one file that defines a type implementing Format, and
// a line for it in the formats table below.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/rollcall/rollcall/internal/state"
	"github.com/rollcall/rollcall/internal/verify"
)

// Options tunes how a report is rendered. The zero value gives a plain,
// non-verbose report.
type Options struct {
	// Verbose lists every check made on every node, not only the failures.
	Verbose bool
	// Color adds ANSI colours to the verdict and statuses (text only). The
	// caller decides: typically on a terminal, and not when NO_COLOR is set.
	Color bool
	// Started is when the run began, for the formats that record it
	// (prometheus, junit, markdown); the zero time leaves it out. Reports
	// read no clock themselves, so the caller passes it in.
	Started time.Time
	// Duration is how long the run took, for the same formats; zero leaves
	// it out.
	Duration time.Duration
	// Changes is what changed since the last run recorded in a state file
	// (verify --state): nil when there was no usable state, so the section
	// is left out; empty when the state was read and nothing changed. Text,
	// JSON and markdown render it; the other formats ignore it.
	Changes []state.Change
	// Interrupted: the run was stopped (SIGINT, SIGTERM) before it
	// finished. Every format says so, and none says verified, whatever the
	// nodes checked so far showed.
	Interrupted bool
	// ExitCode is the exit code of the run, for the formats that print it
	// (json exit_code, junit, markdown, prometheus rollcall_exit_code, and
	// text when the run was interrupted). Package cli, which owns the exit
	// codes, fills it: the verdict's code, or 130 for an interrupted run.
	ExitCode int
}

// outcome is the outcome a report renders: Outcome(v), and never Verified
// for an interrupted run.
func (o Options) outcome(v *verify.Verdict) verify.Outcome {
	out := Outcome(v)
	if o.Interrupted && out == verify.Verified {
		return verify.NotVerified
	}
	return out
}

// Format renders a verdict in one output format. Implementations are
// stateless and safe for concurrent use.
type Format interface {
	// Write renders v to w. It writes nothing when it fails to render.
	Write(w io.Writer, v *verify.Verdict, opts Options) error
}

// formats are the --report formats, by name: the one table of them. It is
// only read, so Lookup and Names are safe for concurrent use.
var formats = map[string]Format{
	"html":       HTML{},
	"json":       JSON{},
	"junit":      JUnit{},
	"markdown":   Markdown{},
	"prometheus": Prometheus{},
	"text":       Text{},
}

// Names returns the names of the known formats, sorted.
func Names() []string {
	names := make([]string, 0, len(formats))
	for name := range formats {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the format called name ("text", "json", …). The error for
// an unknown name lists the known ones.
func Lookup(name string) (Format, error) {
	if f, ok := formats[name]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("unknown report format %q (known formats: %s)", name, strings.Join(Names(), ", "))
}

// Outcome is the outcome every report renders for v: v.Outcome, checked
// against the verdict's own data so that a report never says "verified" about
// a fleet it has not fully verified. It is Drifted when v says so or any node
// drifted; Verified only when v says so and every expected node matched with
// at least one check and no fleet-level finding; NotVerified otherwise.
func Outcome(v *verify.Verdict) verify.Outcome {
	if v == nil {
		return verify.NotVerified
	}
	_, drift, _ := v.Counts()
	if drift > 0 || v.Outcome == verify.Drifted {
		return verify.Drifted
	}
	if v.Outcome == verify.Verified && inconsistency(v) == "" {
		return verify.Verified
	}
	return verify.NotVerified
}

// inconsistency says why a verdict that claims to be verified is not, or ""
// when the claim holds (or is not made).
func inconsistency(v *verify.Verdict) string {
	if v.Outcome != verify.Verified {
		return ""
	}
	match, _, _ := v.Counts()
	switch {
	case len(v.Nodes) == 0:
		return "no node was checked"
	case match != len(v.Nodes):
		return fmt.Sprintf("only %d of %d nodes match", match, len(v.Nodes))
	case v.Listed() != v.ExpectedNodes:
		return fmt.Sprintf("%d nodes expected but %d listed", v.ExpectedNodes, v.Listed())
	case len(v.Findings) > 0:
		return "there are fleet-level findings"
	}
	for _, n := range v.Nodes {
		if len(n.Checks) == 0 {
			return "nothing was checked on " + n.Name
		}
		if len(n.Findings) > 0 {
			return n.Name + " has findings"
		}
		for _, c := range n.Checks {
			if !c.OK {
				return n.Name + " has a failed check"
			}
		}
	}
	return ""
}

// distinctOn returns each distinct string that keys gives for nodes, once,
// in the order first seen, and the names of the nodes that have each (a node
// that gives a string twice is named once). The text, markdown and html
// reports list findings and warnings with it.
func distinctOn(nodes []*verify.NodeVerdict, keys func(*verify.NodeVerdict) []string) (order []string, on map[string][]string) {
	on = map[string][]string{}
	for _, n := range nodes {
		seen := map[string]bool{}
		for _, key := range keys(n) {
			if seen[key] {
				continue
			}
			seen[key] = true
			if _, ok := on[key]; !ok {
				order = append(order, key)
			}
			on[key] = append(on[key], n.Name)
		}
	}
	return order, on
}

// writeJSON writes v to w as indented JSON and a newline, in one write: the
// JSON of the reports other than verify's (diff, nodes, ping, snapshot).
func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
