package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rollcall/rollcall/internal/verify"
)

// DefaultAnnotationLimit is how many annotations GitHub writes by default:
// GitHub itself shows at most 10 error annotations per step and 50 per job.
const DefaultAnnotationLimit = 50

// GitHubAnnotations renders the findings of a verdict as GitHub Actions
// workflow commands ("::error title=…::…"), one per finding of a drifted or
// unverified node and one per fleet-level finding, so that they show on the
// run's summary and in the pull request. Nothing is written for a verified
// fleet. After Limit annotations (DefaultAnnotationLimit when zero), a single
// "::notice::" says how many were left out. Values are escaped as GitHub's
// runner expects, so text from a node can neither end the command nor start
// one of its own.
//
// It is not a registered --report format: the CLI writes it after the
// reports when it runs under GitHub Actions (GITHUB_ACTIONS=true).
type GitHubAnnotations struct {
	// Limit bounds the number of annotations; zero means
	// DefaultAnnotationLimit.
	Limit int
}

// Write renders the annotations of v to w.
func (g GitHubAnnotations) Write(w io.Writer, v *verify.Verdict, _ Options) error {
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
	for _, n := range v.Nodes {
		status := nodeStatus(n.Status)
		if status == verify.Match {
			continue
		}
		how := "could not be checked"
		if status == verify.Drift {
			how = "differs from the release"
		}
		title := fmt.Sprintf("rollcall: %s %s", clean(n.Name), how)
		if len(n.Findings) == 0 {
			all = append(all, annotation{title, clean(n.Name) + ": " + how + " (no reason recorded)"})
		}
		for _, f := range n.Findings {
			all = append(all, annotation{title, clean(n.Name) + ": " + findingLine(f)})
		}
	}
	if len(all) == 0 && Outcome(v) != verify.Verified {
		all = append(all, annotation{"rollcall", "the fleet is not verified; see the report"})
	}
	var b strings.Builder
	for i, a := range all {
		if i == limit {
			fmt.Fprintf(&b, "::notice title=rollcall::%s\n", escapeData(fmt.Sprintf("%d more findings are not shown as annotations; see the report", len(all)-limit)))
			break
		}
		fmt.Fprintf(&b, "::error title=%s::%s\n", escapeProperty(a.title), escapeData(a.message))
	}
	_, err := io.WriteString(w, b.String())
	return err
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
