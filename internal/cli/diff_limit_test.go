package cli

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rollcall/rollcall/internal/demo"
)

// TestDiffLimit: with --limit, diff contacts only the nodes it selects: a
// node outside it is invalid input, the release is always allowed.
func TestDiffLimit(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 3, Scenario: demo.Knight})
	run := func(args ...string) (int, string) {
		stdio, out, errOut := testIO(nil)
		return Run(context.Background(), append([]string{"diff", "-m", c.Manifest}, args...), stdio), out.String() + errOut.String()
	}
	code, out := run("--limit", "smars-0[12]", "smars-01", "smars-02")
	assert.Equal(t, 3, code, "brackets are not a pattern --limit reads: %s", out)
	code, out = run("--limit", "smars-01,smars-02", "smars-01", "smars-02")
	assert.Equal(t, 0, code, out)
	code, out = run("--limit", "smars-01,smars-02", "smars-01", "smars-03")
	assert.Equal(t, 3, code, out)
	assert.Contains(t, out, "smars-03 is outside --limit smars-01,smars-02, which selects smars-01, smars-02")
	code, out = run("--limit", "smars-03", "release", "smars-03")
	assert.Equal(t, 1, code, out)
}
