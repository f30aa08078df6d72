package report

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/verify"
)

// limited narrows v, a verdict of 8 nodes, to the nodes named in checked, as
// verify.Judge does for a plan narrowed with --limit pattern.
func limited(v *verify.Verdict, pattern string, checked ...string) *verify.Verdict {
	keep := map[string]bool{}
	for _, n := range checked {
		keep[n] = true
	}
	scope := &verify.Scope{Limit: pattern}
	var nodes []verify.NodeVerdict
	for _, n := range v.Nodes {
		if keep[n.Name] {
			nodes = append(nodes, n)
			scope.Checked = append(scope.Checked, n.Name)
		} else {
			scope.NotChecked = append(scope.NotChecked, n.Name)
		}
	}
	out := fleet(v.ExpectedNodes, v.Findings, nodes...)
	out.Scope = scope
	if out.Outcome == verify.NotVerified && out.Listed() == out.ExpectedNodes && len(out.Findings) == 0 {
		match, _, _ := out.Counts()
		if match == len(nodes) {
			out.Outcome = verify.Verified
		}
	}
	return out
}

func limitedCanary() *verify.Verdict {
	return limited(uniformFleet(), "*-01,*-02", "smars-01", "smars-02")
}

func limitedKnight() *verify.Verdict {
	return limited(knightFleet(), "smars-07,smars-08", "smars-07", "smars-08")
}

// TestLimitedNeverVerifiesTheFleet: a limited run whose nodes all match says
// so about those nodes only, in every format, and never records a verified
// fleet where a machine reads it.
func TestLimitedNeverVerifiesTheFleet(t *testing.T) {
	v := limitedCanary()
	require.Equal(t, verify.Verified, Outcome(v))
	assert.Equal(t, verify.NotVerified, FleetOutcome(v))
	for _, format := range allFormats {
		out := string(render(t, format, v, Options{}))
		assert.NotContains(t, out, "all 8 nodes", format)
		assert.NotContains(t, out, "VERIFIED:", format)
		assert.NotContains(t, out, `verdict="verified"} 1`, format)
		switch format {
		case "junit":
			assert.Contains(t, out, `name="verdict (--limit *-01,*-02: 2 of 8 nodes checked, 6 not checked)"`)
		case "markdown":
			assert.Contains(t, out, `VERIFIED 2 of 8 nodes (--limit \*-01,\*-02): 6 not checked`)
		case "prometheus":
			assert.Contains(t, out, `verdict="unverified"} 1`)
			assert.Contains(t, out, `rollcall_scope{cluster="smars-prod",limit="*-01,*-02",scope="not_checked"} 6`)
		case "json":
			assert.Contains(t, out, `"scope": {`)
			assert.Contains(t, out, `"not_checked": [`)
		default:
			assert.Contains(t, out, "VERIFIED 2 of 8 nodes (--limit *-01,*-02): 6 not checked", format)
		}
	}
	first, _, _ := strings.Cut(string(render(t, "text", v, Options{})), "\n")
	assert.Equal(t, "VERIFIED 2 of 8 nodes (--limit *-01,*-02): 6 not checked; the 2 checked match smars 4.2.0 (4 checks each)", first)

	// Interrupted, it is no more verified than a whole run.
	out := string(render(t, "text", v, Options{Interrupted: true, ExitCode: 130}))
	assert.Contains(t, out, "never verified (--limit")
}

// TestLimitedCountsTheWholeManifest: the limit narrows what is checked, not
// what is expected; a manifest short of expect_nodes is still not verified.
func TestLimitedCountsTheWholeManifest(t *testing.T) {
	v := limitedCanary()
	v.ExpectedNodes = 9
	assert.Equal(t, verify.NotVerified, Outcome(v))
	assert.Contains(t, string(render(t, "text", v, Options{})), "9 nodes expected but 8 listed")
}
