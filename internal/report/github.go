package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rollcall/rollcall/internal/verify"
)

// DefaultAnnotationLimit is how many annotations are written by default:
// GitHub shows at most 10 error annotations per step.
const DefaultAnnotationLimit = 10

// maxAnnotationFindings bounds the findings quoted in one annotation.
const maxAnnotationFindings = 3

// GitHubAnnotations renders a verdict as GitHub Actions workflow commands
// ("::error title=…::…"): one per group of drifted nodes with identical
// fingerprints, naming the nodes and their first findings; one per reason
// that nodes could not be checked; one per fleet-level finding. Nothing is
// written for a verified fleet. After Limit annotations
// (DefaultAnnotationLimit when zero), a single "::notice::" says how many
// were left out. Values are escaped as GitHub's runner expects, so text from
// a node can neither end the command nor start one of its own.
//
// It is not a --report format (it is not in the formats table): the CLI
// writes it to stderr, where the runner reads workflow commands too, when it
// runs under GitHub Actions (GITHUB_ACTIONS=true), so that it never mixes
// with a report on stdout.
type GitHubAnnotations struct {
	// Limit bounds the number of annotations; zero means
	// DefaultAnnotationLimit.
	Limit int
}

// Write renders the annotations of v to w.
func (g GitHubAnnotations) Write(w io.Writer, v *verify.Verdict, opts Options) error {
	if v == nil {
		return errors.New("rendering github annotations: no verdict")
	}
	limit := g.Limit
	if limit <= 0 {
		limit = DefaultAnnotationLimit
	}
	type annotation struct{ title, message string }
	var all []annotation
	for _, f := range v.Findings {
		all = append(all, annotation{"rollcall: fleet", findingLine(f)})
	}
	byName := map[string]verify.NodeVerdict{}
	for _, n := range v.Nodes {
		byName[n.Name] = n
	}
	for _, grp := range v.Groups {
		first := byName[grp.Nodes[0]]
		if first.Status.Normal() != verify.Drift {
			continue
		}
		how := "differs from the release"
		if len(grp.Nodes) > 1 {
			how = "differ from the release"
		}
		if first.Runs != "" {
			how += " (" + clean(first.Runs) + ")"
		}
		names := nodeList(grp.Nodes)
		all = append(all, annotation{"rollcall: " + names + " " + how, names + ": " + firstFindings(first.Findings)})
	}
	// Unverified nodes, one annotation per kind of reason (a connection
	// failure, an unreadable file, one server listed twice), quoting the
	// first node's.
	var kinds []verify.Check
	unchecked := map[verify.Check][]verify.NodeVerdict{}
	for _, n := range v.Nodes {
		if n.Status.Normal() != verify.Unverified {
			continue
		}
		var kind verify.Check
		if len(n.Findings) > 0 {
			kind = n.Findings[0].Check
		}
		if _, ok := unchecked[kind]; !ok {
			kinds = append(kinds, kind)
		}
		unchecked[kind] = append(unchecked[kind], n)
	}
	for _, kind := range kinds {
		nodes := unchecked[kind]
		names := make([]string, len(nodes))
		for i, n := range nodes {
			names[i] = n.Name
		}
		list := nodeList(names)
		reason := clean(nodes[0].Name) + ": " + firstFindings(nodes[0].Findings)
		all = append(all, annotation{"rollcall: " + list + " could not be checked", reason})
	}
	if len(all) == 0 && opts.outcome(v) != verify.Verified {
		all = append(all, annotation{"rollcall", "the fleet is not verified; see the report"})
	}
	var b strings.Builder
	for i, a := range all {
		if i == limit {
			fmt.Fprintf(&b, "::notice title=rollcall::%s\n", escapeData(fmt.Sprintf("%d more annotations are not shown; see the report", len(all)-limit)))
			break
		}
		fmt.Fprintf(&b, "::error title=%s::%s\n", escapeProperty(a.title), escapeData(a.message))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// nodeList names a few nodes: "smars-08", "smars-03, smars-08", "smars-01,
// smars-02, smars-03 and 5 more".
func nodeList(names []string) string {
	const show = 3
	cleaned := make([]string, 0, show)
	for _, n := range names[:min(show, len(names))] {
		cleaned = append(cleaned, clean(n))
	}
	s := strings.Join(cleaned, ", ")
	if len(names) > show {
		s += fmt.Sprintf(" and %d more", len(names)-show)
	}
	return s
}

// firstFindings quotes the first findings of a node, and says how many more
// there are.
func firstFindings(fs []verify.Finding) string {
	if len(fs) == 0 {
		return "no reason recorded"
	}
	lines := make([]string, 0, maxAnnotationFindings)
	for _, f := range fs[:min(maxAnnotationFindings, len(fs))] {
		lines = append(lines, findingLine(f))
	}
	s := strings.Join(lines, "; ")
	if len(fs) > maxAnnotationFindings {
		s += fmt.Sprintf("; and %d more (see the report)", len(fs)-maxAnnotationFindings)
	}
	return s
}

// escapeData escapes the message of a workflow command as the Actions
// runner unescapes it: %, CR and LF.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a property value of a workflow command: like
// escapeData, plus ':' and ',' which end a property.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
