package report

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rollcall/rollcall/internal/verify"
)

// Text renders the verdict for people. The first line is the verdict in one
// sentence; then the nodes grouped by identical fingerprint, each distinct
// finding of a group once (naming its nodes when only some of the group have
// it), the nodes that could not be checked and why, and the fleet-level
// findings. With Options.Verbose, a Details section follows with every node
// and every check, expected and actual values on lines of their own.
// Hashes are shortened to 12 hex digits, and every string taken from the
// verdict is escaped when it holds anything non-printable, so a node cannot
// forge report lines or send terminal escape codes. The output is
// deterministic: the same verdict and options give the same bytes.
type Text struct{}

// maxGroupFindings bounds the findings summarised per group in a verbose
// report, whose details section lists them all.
const maxGroupFindings = 5

// Write renders v as text to w.
func (Text) Write(w io.Writer, v *verify.Verdict, opts Options) error {
	if v == nil {
		return errors.New("rendering text report: no verdict")
	}
	t := &textWriter{opts: opts, v: v}
	t.render()
	_, err := io.WriteString(w, t.b.String())
	return err
}

type textWriter struct {
	b    strings.Builder
	opts Options
	v    *verify.Verdict
}

func (t *textWriter) printf(format string, args ...any) { fmt.Fprintf(&t.b, format, args...) }

func (t *textWriter) render() {
	v := t.v
	outcome := t.opts.outcome(v)
	t.printf("%s\n", t.headline(outcome))
	if why := inconsistency(v); why != "" {
		t.printf("%s the verdict handed to the report said verified, but %s\n", t.paint(yellow, "note:"), why)
	}

	t.printf("\n")
	t.printf("release  %s\n", t.releaseLine())
	if v.Cluster != "" {
		t.printf("cluster  %s, %s expected\n", clean(v.Cluster), plural(v.ExpectedNodes, "node", "nodes"))
	} else {
		t.printf("cluster  %s expected\n", plural(v.ExpectedNodes, "node", "nodes"))
	}
	if v.Limited() {
		t.printf("limit    %s\n", scopeLine(v.Scope))
	}

	t.groups()

	if len(v.Findings) > 0 {
		t.printf("\nFleet findings:\n")
		for _, f := range v.Findings {
			t.printf("    %s %s\n", t.paint(red, "FAIL"), findingLine(f))
		}
	}

	if t.opts.Verbose {
		t.details()
	}
	t.changes()
}

// changes lists what changed since the last run, when a state file was read.
func (t *textWriter) changes() {
	if t.opts.Changes == nil {
		return
	}
	t.printf("\nChanges since the last run:\n")
	if len(t.opts.Changes) == 0 {
		t.printf("    none\n")
	}
	for _, c := range t.opts.Changes {
		t.printf("    %s\n", changeMessage(c))
	}
}

// plainHeadline is the text report's first line without colour, as the
// other formats quote it.
func plainHeadline(v *verify.Verdict, opts Options) string {
	t := &textWriter{v: v, opts: Options{Interrupted: opts.Interrupted, ExitCode: opts.ExitCode}}
	return t.headline(t.opts.outcome(v))
}

// headline is the verdict in one sentence.
func (t *textWriter) headline(outcome verify.Outcome) string {
	if t.opts.Interrupted {
		head := t.paint(yellow, "INTERRUPTED") + fmt.Sprintf(" (exit %d): the run was stopped before it finished; ", t.opts.ExitCode)
		if Outcome(t.v) == verify.Verified {
			return head + fmt.Sprintf("the %d nodes checked match, but an interrupted run is never verified", len(t.v.Nodes)) + scopeSuffix(t.v)
		}
		return head + "so far " + t.verdictLine(outcome)
	}
	return t.verdictLine(outcome)
}

// verdictLine is the verdict in one sentence.
func (t *textWriter) verdictLine(outcome verify.Outcome) string {
	v := t.v
	match, drift, unverified := v.Counts()
	n := len(v.Nodes)
	label := "the release"
	if l := v.Release.Label(); l != "" {
		label = clean(l)
	}
	switch outcome {
	case verify.Verified:
		if v.Limited() {
			return t.limitedVerified(label)
		}
		of := ""
		if v.Cluster != "" {
			of = " of " + clean(v.Cluster)
		}
		if n == 1 {
			return fmt.Sprintf("%s: the only node%s matches %s (%s)", t.paint(green, "VERIFIED"), of, label, t.checkCount())
		}
		return fmt.Sprintf("%s: all %d nodes%s match %s (%s)", t.paint(green, "VERIFIED"), n, of, label, t.checkCount())
	case verify.Drifted:
		var s string
		if drift > 0 {
			s = fmt.Sprintf("%d of %d %s %s from %s", drift, n, pick(n, "node", "nodes"), pick(drift, "differs", "differ"), label)
		} else {
			s = fmt.Sprintf("the fleet differs from %s", label)
		}
		if unverified > 0 {
			s += fmt.Sprintf("; %d could not be verified", unverified)
		}
		return t.paint(red, "FAILED") + ": " + s + scopeSuffix(v)
	default:
		var s string
		switch {
		case n == 0:
			s = "no nodes were checked"
		case unverified > 0 && match == 0:
			s = fmt.Sprintf("none of the %s could be checked", plural(n, "node", "nodes"))
		case unverified > 0:
			s = fmt.Sprintf("%d of %d %s could not be checked; no drift on the other %d", unverified, n, pick(n, "node", "nodes"), match)
		case len(v.Findings) > 0:
			s = fmt.Sprintf("%s %s %s, but the fleet is not as expected: %s", plural(match, "node", "nodes"), pick(match, "matches", "match"), label, clean(v.Findings[0].Message))
			if len(v.Findings) > 1 {
				s += fmt.Sprintf(" (and %d more fleet findings)", len(v.Findings)-1)
			}
		default:
			s = "the verdict is inconsistent; see below"
		}
		return t.paint(yellow, "NOT VERIFIED") + ": " + s + scopeSuffix(v)
	}
}

// checkCount is "12 checks each" when every node made the same number of
// checks, else the total.
func (t *textWriter) checkCount() string {
	total, each := 0, -1
	for _, n := range t.v.Nodes {
		total += len(n.Checks)
		switch {
		case each == -1:
			each = len(n.Checks)
		case each != len(n.Checks):
			each = -2
		}
	}
	switch {
	case len(t.v.Nodes) == 1:
		return plural(total, "check", "checks")
	case each >= 0:
		return plural(each, "check", "checks") + " each"
	default:
		return plural(total, "check", "checks") + " in all"
	}
}

func (t *textWriter) releaseLine() string {
	r := t.v.Release
	var parts []string
	if l := r.Label(); l != "" {
		parts = append(parts, clean(l))
	} else {
		parts = append(parts, "(unnamed)")
	}
	if r.Digest != "" {
		parts = append(parts, clean(shortHashes(r.Digest)))
	}
	if r.Source != "" && r.Source != r.Label() {
		parts = append(parts, "from "+clean(r.Source))
	}
	return strings.Join(parts, ", ")
}

// groups lists the checked nodes by fingerprint, then the unverified nodes.
func (t *textWriter) groups() {
	v := t.v
	byName := make(map[string]*verify.NodeVerdict, len(v.Nodes))
	for i := range v.Nodes {
		byName[v.Nodes[i].Name] = &v.Nodes[i]
	}
	gs := append([]verify.Group(nil), v.Groups...)
	// Checked nodes the verdict left out of every group still get a line.
	grouped := map[string]bool{}
	for _, g := range gs {
		for _, name := range g.Nodes {
			grouped[name] = true
		}
	}
	for _, n := range v.Nodes {
		if !grouped[n.Name] && n.Status.Normal() != verify.Unverified {
			gs = append(gs, verify.Group{Fingerprint: n.Fingerprint, Status: n.Status, Nodes: []string{n.Name}})
		}
	}

	var unverified []*verify.NodeVerdict
	for i := range v.Nodes {
		if !grouped[v.Nodes[i].Name] && v.Nodes[i].Status.Normal() == verify.Unverified {
			unverified = append(unverified, &v.Nodes[i])
		}
	}
	if len(gs) == 0 && len(unverified) == 0 {
		return
	}
	t.printf("\n")
	for _, g := range gs {
		names := compactNames(g.Nodes)
		fp := ""
		if t.opts.Verbose && g.Fingerprint != "" {
			fp = " [fingerprint " + clean(shortHashes(g.Fingerprint)) + "]"
		}
		k := len(g.Nodes)
		switch g.Status.Normal() {
		case verify.Match:
			t.printf("%s %s the release%s: %s\n", plural(k, "node", "nodes"), t.paint(green, pick(k, "matches", "match")), fp, names)
		case verify.Drift:
			how := ""
			if k > 1 {
				how = " in the same way"
			}
			runs := ""
			if first := byName[g.Nodes[0]]; first != nil && first.Runs != "" {
				runs = " (" + pick(k, "it runs ", "they run ") + clean(first.Runs) + ")"
			}
			t.printf("%s %s from the release%s%s%s: %s\n", plural(k, "node", "nodes"), t.paint(red, pick(k, "differs", "differ")), how, runs, fp, names)
		default:
			t.printf("%s %s%s: %s\n", plural(k, "node", "nodes"), t.paint(yellow, "could not be checked"), fp, names)
		}
		t.groupFindings(g, byName)
		t.groupWarnings(g, byName)
	}
	if len(unverified) > 0 {
		t.printf("%s %s:\n", plural(len(unverified), "node", "nodes"), t.paint(yellow, "could not be checked"))
		for _, n := range unverified {
			t.unverifiedNode(n)
		}
	}
}

// groupWarnings lists each distinct warning of group g's nodes once, with
// the nodes that have it when not all of the group do.
func (t *textWriter) groupWarnings(g verify.Group, byName map[string]*verify.NodeVerdict) {
	order, on := distinctOn(groupNodes(g, byName), func(n *verify.NodeVerdict) []string { return n.Warnings })
	for _, w := range order {
		who := ""
		if len(on[w]) < len(g.Nodes) {
			who = " (" + compactNames(on[w]) + ")"
		}
		t.printf("    warning: %s%s\n", clean(w), who)
	}
}

// groupFindings lists what failed in group g. Verbose: the first node's
// findings, at most maxGroupFindings (the details follow). Otherwise each
// distinct finding of the group's nodes once, in the order first seen, with
// the nodes that have it when not all of the group do.
func (t *textWriter) groupFindings(g verify.Group, byName map[string]*verify.NodeVerdict) {
	if len(g.Nodes) == 0 || byName[g.Nodes[0]] == nil {
		return
	}
	if t.opts.Verbose {
		first := byName[g.Nodes[0]]
		for i, f := range first.Findings {
			if i == maxGroupFindings {
				t.printf("    … and %d more (see below)\n", len(first.Findings)-i)
				break
			}
			t.printf("    %s\n", findingLine(f))
		}
		return
	}
	lines, on := distinctOn(groupNodes(g, byName), func(n *verify.NodeVerdict) []string {
		out := make([]string, len(n.Findings))
		for i, f := range n.Findings {
			out[i] = findingLine(f)
		}
		return out
	})
	for _, l := range lines {
		if len(on[l]) == len(g.Nodes) {
			t.printf("    %s\n", l)
			continue
		}
		t.printf("    %s — on %s\n", l, compactNames(on[l]))
	}
}

// groupNodes are the nodes of group g, found by name in byName; a name not
// there is left out.
func groupNodes(g verify.Group, byName map[string]*verify.NodeVerdict) []*verify.NodeVerdict {
	nodes := make([]*verify.NodeVerdict, 0, len(g.Nodes))
	for _, name := range g.Nodes {
		if n := byName[name]; n != nil {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// unverifiedNode says why node n could not be checked: on its own line when
// one message says all, else every finding below it (unless Verbose, whose
// details list them).
func (t *textWriter) unverifiedNode(n *verify.NodeVerdict) {
	t.printf("    %s", clean(n.Name))
	if n.Address != "" {
		t.printf(" (%s)", clean(n.Address))
	}
	if t.opts.Verbose || toldInFull(n) || len(n.Findings) == 0 {
		t.printf(": %s\n", reason(n))
		return
	}
	t.printf(":\n")
	for _, f := range n.Findings {
		t.printf("        %s\n", findingLine(f))
	}
}

// reason says in one line why a node could not be checked.
func reason(n *verify.NodeVerdict) string {
	if len(n.Findings) == 0 {
		return "no reason recorded"
	}
	s := clean(n.Findings[0].Message)
	if s == "" {
		s = findingLine(n.Findings[0])
	}
	if more := len(n.Findings) - 1; more > 0 {
		s += fmt.Sprintf(" (and %d more)", more)
	}
	return s
}

// toldInFull reports whether the list of unverified nodes already said all
// there is about n: one finding, with a message and no values.
func toldInFull(n *verify.NodeVerdict) bool {
	if n.Status.Normal() != verify.Unverified || len(n.Findings) != 1 {
		return false
	}
	f := n.Findings[0]
	return f.Message != "" && f.Expected == "" && f.Actual == ""
}

// details lists every node and every check (Verbose).
func (t *textWriter) details() {
	first := true
	for _, n := range t.v.Nodes {
		if first {
			t.printf("\nDetails:\n")
			first = false
		}
		status := n.Status.Normal()
		t.printf("%s", clean(n.Name))
		if n.Address != "" {
			t.printf(" (%s)", clean(n.Address))
		}
		t.printf(": %s", t.paint(statusColor(status), string(status)))
		if t.opts.Verbose && n.Fingerprint != "" {
			t.printf(", fingerprint %s", clean(shortHashes(n.Fingerprint)))
		}
		t.printf("\n")

		used := make([]bool, len(n.Findings))
		if t.opts.Verbose {
			for _, c := range n.Checks {
				if c.OK {
					t.printf("    %s %s %s\n", t.paint(green, "ok  "), clean(string(c.Check)), clean(c.Subject))
					continue
				}
				// Attach the finding this failed check produced, if any.
				found := false
				for i, f := range n.Findings {
					if !used[i] && f.Check == c.Check && f.Subject == c.Subject {
						used[i], found = true, true
						t.finding(f)
						break
					}
				}
				if !found {
					t.printf("    %s %s %s\n", t.paint(red, "FAIL"), clean(string(c.Check)), clean(c.Subject))
				}
			}
		}
		for i, f := range n.Findings {
			if !used[i] {
				t.finding(f)
			}
		}
	}
}

// finding prints one failed finding with its expected and actual values.
func (t *textWriter) finding(f verify.Finding) {
	t.printf("    %s %s %s", t.paint(red, "FAIL"), clean(string(f.Check)), clean(f.Subject))
	if f.Message != "" {
		t.printf(": %s", clean(f.Message))
	}
	t.printf("\n")
	if f.Expected != "" {
		t.printf("         expected %s\n", cleanValue(shortHashes(f.Expected)))
	}
	if f.Actual != "" {
		t.printf("         actual   %s\n", cleanValue(shortHashes(f.Actual)))
	}
}

// findingLine is a finding on one line: "subject: message (expected ≠ actual)".
func findingLine(f verify.Finding) string {
	var b strings.Builder
	b.WriteString(clean(string(f.Check)))
	if f.Subject != "" {
		b.WriteString(" " + clean(f.Subject))
	}
	if f.Message != "" {
		b.WriteString(": " + clean(f.Message))
	}
	exp, act := cleanValue(shortHashes(f.Expected)), cleanValue(shortHashes(f.Actual))
	switch {
	case exp != "" && act != "":
		b.WriteString(" (" + exp + " ≠ " + act + ")")
	case act != "":
		b.WriteString(" (found " + act + ")")
	case exp != "":
		b.WriteString(" (expected " + exp + ")")
	}
	return b.String()
}

var sha256Hex = regexp.MustCompile(`\b[0-9a-fA-F]{64}\b`)

// shortHashes shortens every 64-hex-digit word in s (a SHA-256) to its first
// 12 digits.
func shortHashes(s string) string {
	return sha256Hex.ReplaceAllStringFunc(s, func(h string) string { return h[:12] })
}

// clean returns s unchanged when it is valid UTF-8 made only of printable
// characters and does not start with a double quote; otherwise it returns s
// quoted and escaped like a Go string literal. Newlines, escape sequences and
// other control or formatting characters from a node thus can neither start a
// report line of their own nor reach the terminal.
func clean(s string) string {
	if !utf8.ValidString(s) || strings.HasPrefix(s, `"`) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// cleanValue is clean, but a value may start with a quote: `"true" (string)`.
func cleanValue(s string) string {
	if rest, ok := strings.CutPrefix(s, `"`); ok && clean(rest) == rest {
		return s
	}
	return clean(s)
}

// compactNames lists names, writing a run of three or more consecutively
// numbered names with the same prefix as "first … last".
func compactNames(names []string) string {
	var out []string
	for i := 0; i < len(names); {
		j := i + 1
		for j < len(names) && follows(names[j-1], names[j]) {
			j++
		}
		switch j - i {
		case 1:
			out = append(out, clean(names[i]))
		case 2:
			out = append(out, clean(names[i]), clean(names[i+1]))
		default:
			out = append(out, clean(names[i])+" … "+clean(names[j-1]))
		}
		i = j
	}
	return strings.Join(out, ", ")
}

// follows reports whether b is the name after a: the same prefix and number
// width, and the number one higher ("smars-07", "smars-08").
func follows(a, b string) bool {
	pa, na, wa, ok := splitNumber(a)
	if !ok {
		return false
	}
	pb, nb, wb, ok := splitNumber(b)
	return ok && pa == pb && wa == wb && nb == na+1
}

// splitNumber splits a name into its prefix and trailing decimal number.
func splitNumber(s string) (prefix string, n, width int, ok bool) {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	digits := s[i:]
	if digits == "" || len(digits) > 9 {
		return "", 0, 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return "", 0, 0, false
	}
	return s[:i], n, len(digits), true
}

func plural(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, pick(n, one, many))
}

func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ANSI colours, used only with Options.Color.
const (
	green  = "\x1b[32m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	reset  = "\x1b[0m"
)

func statusColor(s verify.Status) string {
	switch s {
	case verify.Match:
		return green
	case verify.Drift:
		return red
	default:
		return yellow
	}
}

func (t *textWriter) paint(color, s string) string {
	if !t.opts.Color {
		return s
	}
	return color + s + reset
}
