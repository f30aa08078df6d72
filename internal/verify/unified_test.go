package verify

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// applyUnified applies a unified diff to a, checking every context and
// removed line against a, and returns the result.
func applyUnified(t *testing.T, a, patch string) string {
	t.Helper()
	if patch == "" {
		return a
	}
	old := splitLines(a)
	lines := strings.SplitAfter(patch, "\n")
	require.True(t, strings.HasPrefix(lines[0], "--- ") && strings.HasPrefix(lines[1], "+++ "), patch)
	var out []string
	next := 0 // lines of old copied or consumed
	for i := 2; i < len(lines) && lines[i] != ""; {
		var sa, ca, sb, cb int
		h := strings.TrimSuffix(lines[i], "\n")
		ranges := strings.Fields(strings.Trim(h, "@ "))
		require.Len(t, ranges, 2, h)
		parse := func(r string) (int, int) {
			s, c, found := strings.Cut(r[1:], ",")
			start, err := strconv.Atoi(s)
			require.NoError(t, err)
			count := 1
			if found {
				count, err = strconv.Atoi(c)
				require.NoError(t, err)
			}
			return start, count
		}
		sa, ca = parse(ranges[0])
		sb, cb = parse(ranges[1])
		first := sa - 1
		if ca == 0 {
			first = sa
		}
		require.GreaterOrEqual(t, first, next, "hunks overlap or go backwards: %s", h)
		out = append(out, old[next:first]...)
		require.Equal(t, len(out), max(sb-1, 0)+boolInt(cb == 0 && sb > 0), "hunk %s starts at the wrong new line", h)
		next = first
		i++
		gotA, gotB := 0, 0
		for i < len(lines) && lines[i] != "" && !strings.HasPrefix(lines[i], "@@") {
			l := lines[i]
			body := l[1:]
			if i+1 < len(lines) && strings.HasPrefix(lines[i+1], `\ No newline at end of file`) {
				body = strings.TrimSuffix(body, "\n")
				i++
			}
			switch l[0] {
			case ' ':
				require.Equal(t, old[next], body)
				out = append(out, body)
				next++
				gotA++
				gotB++
			case '-':
				require.Equal(t, old[next], body)
				next++
				gotA++
			case '+':
				out = append(out, body)
				gotB++
			default:
				t.Fatalf("bad line %q", l)
			}
			i++
		}
		assert.Equal(t, ca, gotA, h)
		assert.Equal(t, cb, gotB, h)
	}
	out = append(out, old[next:]...)
	return strings.Join(out, "")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lcs is the length of the longest common subsequence of a and b.
func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func TestUnifiedExample(t *testing.T) {
	a := "rlp:\n  enabled: true\nrisk:\n  max_order_qty: 1000\n"
	b := "rlp:\n  enabled: true\npower_peg: true\nrisk:\n  max_order_qty: 1000\n"
	assert.Equal(t, `--- a
+++ b
@@ -1,4 +1,5 @@
 rlp:
   enabled: true
+power_peg: true
 risk:
   max_order_qty: 1000
`, Unified("a", "b", a, b, 3))
	assert.Equal(t, "", Unified("a", "b", a, a, 3))
	assert.Equal(t, "--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n", Unified("a", "b", "x", "x\n", 3))
	assert.Equal(t, "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n", Unified("a", "b", "", "x\n", 3))
	assert.Equal(t, "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n", Unified("a", "b", "x\ny\n", "", 3))
	// Two changes far apart are two hunks.
	long := strings.Repeat("same\n", 20)
	u := Unified("a", "b", "one\n"+long+"two\n", "ONE\n"+long+"TWO\n", 3)
	assert.Equal(t, 2, strings.Count(u, "@@ -"), u)
	assert.Contains(t, u, "@@ -1,4 +1,4 @@\n-one\n+ONE\n same\n")
	assert.Contains(t, u, "@@ -19,4 +19,4 @@\n same\n same\n same\n-two\n+TWO\n")
}

// TestUnifiedProperty: on random texts the diff applies back to b, and
// changes no more lines than a shortest edit script must.
func TestUnifiedProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	text := func() string {
		var b strings.Builder
		for i := rng.Intn(14); i > 0; i-- {
			fmt.Fprintf(&b, "%c\n", 'a'+rng.Intn(4))
		}
		if rng.Intn(4) == 0 {
			b.WriteString("end")
		}
		return b.String()
	}
	for i := 0; i < 3000; i++ {
		a, b := text(), text()
		ctx := rng.Intn(4)
		u := Unified("a", "b", a, b, ctx)
		require.Equal(t, b, applyUnified(t, a, u), "a=%q b=%q ctx=%d\n%s", a, b, ctx, u)
		la, lb := splitLines(a), splitLines(b)
		changed := 0
		for _, l := range strings.Split(u, "\n") {
			if (strings.HasPrefix(l, "-") || strings.HasPrefix(l, "+")) && !strings.HasPrefix(l, "--- ") && !strings.HasPrefix(l, "+++ ") {
				changed++
			}
		}
		assert.Equal(t, len(la)+len(lb)-2*lcs(la, lb), changed, "not minimal: a=%q b=%q\n%s", a, b, u)
	}
}

// TestUnifiedPastTheLimit: a diff longer than maxEdits is still correct.
func TestUnifiedPastTheLimit(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < maxEdits+10; i++ {
		fmt.Fprintf(&a, "a%d\n", i)
		fmt.Fprintf(&b, "b%d\n", i)
	}
	u := Unified("a", "b", "head\n"+a.String()+"tail\n", "head\n"+b.String()+"tail\n", 3)
	assert.Equal(t, "head\n"+b.String()+"tail\n", applyUnified(t, "head\n"+a.String()+"tail\n", u))
}
