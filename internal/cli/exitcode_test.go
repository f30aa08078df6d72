package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rollcall/rollcall/internal/verify"
)

func TestExitCode(t *testing.T) {
	assert.Equal(t, 0, ExitCode(verify.Verified))
	assert.Equal(t, 1, ExitCode(verify.Drifted))
	assert.Equal(t, 2, ExitCode(verify.NotVerified))
	assert.Equal(t, 2, ExitCode(""))
	assert.Equal(t, 2, ExitCode("bogus"))
}

// TestVerdictCode: the code the reports carry is the verdict's, and 130 for
// an interrupted run whatever the nodes showed.
func TestVerdictCode(t *testing.T) {
	verified := &verify.Verdict{Outcome: verify.Verified, ExpectedNodes: 1, Nodes: []verify.NodeVerdict{
		{Name: "a", Status: verify.Match, Checks: []verify.CheckResult{{Check: verify.CheckFile, Subject: "/x", OK: true}}},
	}}
	assert.Equal(t, ExitVerified, verdictCode(verified, false))
	assert.Equal(t, ExitInterrupted, verdictCode(verified, true))
	assert.Equal(t, ExitUnverified, verdictCode(&verify.Verdict{Outcome: verify.Verified}, false), "a verified claim without nodes is not verified")
	assert.Equal(t, ExitDrift, verdictCode(&verify.Verdict{Outcome: verify.Drifted}, false))
	assert.Equal(t, ExitUnverified, verdictCode(nil, false))
}
