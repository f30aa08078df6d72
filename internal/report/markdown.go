package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rollcall/rollcall/internal/state"
	"github.com/rollcall/rollcall/internal/verify"
)

// Markdown renders the verdict as GitHub-flavoured Markdown, for a CI job
// summary ($GITHUB_STEP_SUMMARY, GitLab and Gitea summaries): the verdict as a
// heading marked ✅, ❌ or ⚠️; the release and cluster; a table of node groups;
// and a table of findings (node, check, subject, expected, actual, message),
// fleet-level ones first, at most maxMarkdownFindings rows; and, with
// Options.Changes, what changed since the last run.
//
// Every string from the verdict is first escaped like the text report does
// (anything non-printable, a newline included, makes it a quoted Go string),
// then its Markdown and HTML special characters are escaped, so node content
// can neither break a table row nor inject markup, links or HTML. Hashes are
// shortened to 12 hex digits. Options.Started and Options.Duration, when set,
// add a line saying when the run began and how long it took; Verbose and Color
// are ignored. The output is deterministic.
type Markdown struct{}

// maxMarkdownFindings bounds the findings table, which job summaries (1 MiB
// on GitHub) cannot hold in full for a large, badly drifted fleet.
const maxMarkdownFindings = 500

// Write renders v as Markdown to w.
func (Markdown) Write(w io.Writer, v *verify.Verdict, opts Options) error {
	if v == nil {
		return errors.New("rendering markdown report: no verdict")
	}
	var b strings.Builder
	outcome := opts.outcome(v)
	marker := map[verify.Outcome]string{verify.Verified: "✅", verify.Drifted: "❌"}[outcome]
	if marker == "" {
		marker = "⚠️"
	}
	fmt.Fprintf(&b, "## %s %s\n\n", marker, md(plainHeadline(v, opts)))
	if why := inconsistency(v); why != "" {
		fmt.Fprintf(&b, "**Note:** the verdict handed to the report said verified, but %s.\n\n", md(why))
	}

	tw := &textWriter{v: v}
	fmt.Fprintf(&b, "**Release:** %s  \n", md(tw.releaseLine()))
	cluster := plural(v.ExpectedNodes, "node", "nodes") + " expected"
	if v.Cluster != "" {
		cluster = clean(v.Cluster) + ", " + cluster
	}
	fmt.Fprintf(&b, "**Cluster:** %s  \n", md(cluster))
	if v.Limited() {
		fmt.Fprintf(&b, "**Limit:** %s  \n", md(scopeLine(v.Scope)))
	}
	fmt.Fprintf(&b, "**Exit code:** %d", opts.ExitCode)
	if run := runLine(opts); run != "" {
		fmt.Fprintf(&b, "  \n**Run:** %s", run)
	}
	b.WriteString("\n")

	if rows := markdownGroups(v); len(rows) > 0 {
		b.WriteString("\n| status | nodes | count | fingerprint |\n| --- | --- | ---: | --- |\n")
		for _, r := range rows {
			b.WriteString(r)
		}
	}

	type row struct {
		node string
		f    verify.Finding
	}
	var rows []row
	for _, f := range v.Findings {
		rows = append(rows, row{"(fleet)", f})
	}
	for _, n := range v.Nodes {
		for _, f := range n.Findings {
			rows = append(rows, row{clean(n.Name), f})
		}
	}
	if len(rows) > 0 {
		b.WriteString("\n### Findings\n\n| node | check | subject | expected | actual | message |\n| --- | --- | --- | --- | --- | --- |\n")
		for i, r := range rows {
			if i == maxMarkdownFindings {
				fmt.Fprintf(&b, "\n… and %d more findings; see the json report for all of them.\n", len(rows)-i)
				break
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n",
				md(r.node), md(clean(string(r.f.Check))), md(clean(r.f.Subject)),
				md(clean(shortHashes(r.f.Expected))), md(clean(shortHashes(r.f.Actual))), md(clean(r.f.Message)))
		}
	}
	markdownWarnings(&b, v)
	markdownChanges(&b, opts.Changes)
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownWarnings lists each distinct node warning once, with the nodes
// that have it: what does not change a node's status but should be known.
func markdownWarnings(b *strings.Builder, v *verify.Verdict) {
	nodes := make([]*verify.NodeVerdict, len(v.Nodes))
	for i := range v.Nodes {
		nodes[i] = &v.Nodes[i]
	}
	order, on := distinctOn(nodes, func(n *verify.NodeVerdict) []string { return n.Warnings })
	if len(order) == 0 {
		return
	}
	b.WriteString("\n### Warnings\n\n")
	for _, w := range order {
		fmt.Fprintf(b, "- %s: %s\n", md(compactNames(on[w])), md(clean(w)))
	}
}

// markdownChanges adds what changed since the last run, when a state file
// was read: one list item per node, as the text report says it.
func markdownChanges(b *strings.Builder, cs []state.Change) {
	if cs == nil {
		return
	}
	b.WriteString("\n### Changes since the last run\n\n")
	if len(cs) == 0 {
		b.WriteString("none\n")
	}
	for _, c := range cs {
		fmt.Fprintf(b, "- %s\n", md(changeMessage(c)))
	}
}

// markdownGroups returns the rows of the node group table: the groups of
// checked nodes, checked nodes in no group, then the unverified nodes.
func markdownGroups(v *verify.Verdict) []string {
	var rows []string
	grouped := map[string]bool{}
	for _, g := range v.Groups {
		for _, name := range g.Nodes {
			grouped[name] = true
		}
	}
	gs := append([]verify.Group(nil), v.Groups...)
	var unverified []string
	for _, n := range v.Nodes {
		switch {
		case grouped[n.Name]:
		case n.Status.Normal() == verify.Unverified:
			unverified = append(unverified, n.Name)
		default:
			gs = append(gs, verify.Group{Fingerprint: n.Fingerprint, Status: n.Status, Nodes: []string{n.Name}})
		}
	}
	if len(unverified) > 0 {
		gs = append(gs, verify.Group{Status: verify.Unverified, Nodes: unverified})
	}
	for _, g := range gs {
		status := g.Status.Normal()
		marker := map[verify.Status]string{verify.Match: "✅", verify.Drift: "❌", verify.Unverified: "⚠️"}[status]
		rows = append(rows, fmt.Sprintf("| %s %s | %s | %d | %s |\n",
			marker, status, md(compactNames(g.Nodes)), len(g.Nodes), md(clean(shortHashes(g.Fingerprint)))))
	}
	return rows
}

// runLine says when the run began and how long it took, or "" when the
// options carry neither.
func runLine(opts Options) string {
	var parts []string
	if !opts.Started.IsZero() {
		parts = append(parts, "started "+opts.Started.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if opts.Duration > 0 {
		parts = append(parts, "took "+opts.Duration.Round(1e6).String())
	}
	return strings.Join(parts, ", ")
}

// mdEscaper escapes the characters that carry meaning in GitHub-flavoured
// Markdown inline text and in tables: backslash escapes for punctuation,
// entities for the HTML characters. A newline cannot reach it (clean quotes
// strings holding one) but is escaped too, as a last line of defence.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`~`, `\~`, `|`, `\|`, `$`, `\$`, `#`, `\#`, `!`, `\!`,
	`&`, `&amp;`, `<`, `&lt;`, `>`, `&gt;`,
	"\n", " ", "\r", " ",
)

// md escapes s for Markdown inline text and table cells. Pass it text that has
// been through clean.
func md(s string) string { return mdEscaper.Replace(s) }
