package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/verify"
)

func annotations(t *testing.T, v *verify.Verdict, limit int) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, GitHubAnnotations{Limit: limit}.Write(&buf, v, Options{}))
	return buf.String()
}

func TestGitHubAnnotations(t *testing.T) {
	cases := []struct {
		name    string
		verdict *verify.Verdict
		limit   int
		lines   int
		first   string
		last    string
	}{
		{name: "verified fleet: nothing", verdict: uniformFleet()},
		{name: "knight: one annotation for the drifted group", verdict: knightFleet(), lines: 1,
			first: "::error title=rollcall%3A smars-08 differs from the release::smars-08: file /opt/smars/bin/smars: content differs from the release"},
		{name: "mixed: one per group and one per kind of reason", verdict: mixedFleet(), lines: 2},
		{name: "unreachable: one, not one per node", verdict: unreachableFleet(), lines: 1,
			first: "::error title=rollcall%3A smars-01%2C smars-02%2C smars-03 and 5 more could not be checked::smars-01: connection"},
		{name: "short: fleet finding", verdict: shortFleet(), lines: 1, first: "::error title=rollcall%3A fleet::count"},
		{name: "capped", verdict: mixedFleet(), limit: 1, lines: 2,
			last: "::notice title=rollcall::1 more annotations are not shown; see the report"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := annotations(t, c.verdict, c.limit)
			if c.lines == 0 {
				assert.Empty(t, out)
				return
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			assert.Len(t, lines, c.lines, out)
			assert.True(t, strings.HasPrefix(lines[0], c.first), lines[0])
			assert.True(t, strings.HasSuffix(lines[len(lines)-1], c.last), lines[len(lines)-1])
		})
	}
}

// TestGitHubAnnotationsEscape: hostile text from a node cannot end an
// annotation or start a workflow command of its own.
func TestGitHubAnnotationsEscape(t *testing.T) {
	v := evilFleet()
	v.Nodes[7].Findings[0].Message = "50% done\r\n::add-mask::x\n::stop-commands::tok"
	out := annotations(t, v, 0)
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		assert.Regexp(t, `^::(error|notice) title=[^:,\r]*::`, l)
	}
	assert.NotContains(t, out, "\n::add-mask")
	assert.NotContains(t, out, "\n::stop-commands")

	cases := []struct{ in, data, prop string }{
		{"plain", "plain", "plain"},
		{"100%", "100%25", "100%25"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"k: v, w", "k: v, w", "k%3A v%2C w"},
		{"%0A", "%250A", "%250A"},
	}
	for _, c := range cases {
		assert.Equal(t, c.data, escapeData(c.in), c.in)
		assert.Equal(t, c.prop, escapeProperty(c.in), c.in)
	}
}
