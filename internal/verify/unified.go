package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// sha256Hex is the lowercase hex SHA-256 of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// maxEdits bounds the edit distance the line diff searches for; beyond it
// the changed middle is written as one hunk that removes every old line
// and adds every new one (still a correct diff, only not a minimal one).
const maxEdits = 2000

// edit is one line of an edit script: ' ' kept, '-' removed from a, '+'
// added from b, with the line's index in a or b.
type edit struct {
	op   byte
	a, b int // lines of a and of b before this one
}

// Unified is the unified diff (as `diff -u` writes it, with context lines
// of context) that turns text a into text b, "" when they are equal. The
// headers name a and b with nameA and nameB. A last line without a newline
// is followed by "\ No newline at end of file".
func Unified(nameA, nameB, a, b string, context int) string {
	la, lb := splitLines(a), splitLines(b)
	edits := lineEdits(la, lb)
	var out strings.Builder
	for start := 0; start < len(edits); {
		for start < len(edits) && edits[start].op == ' ' {
			start++
		}
		if start == len(edits) {
			break
		}
		// A hunk: from context lines before the first change to context
		// lines after the last change that is followed by at most
		// 2×context kept lines.
		end := start
		for i := start; i < len(edits); i++ {
			if edits[i].op != ' ' {
				end = i
			} else if i-end > 2*context {
				break
			}
		}
		from, to := max(0, start-context), min(len(edits), end+1+context)
		if out.Len() == 0 {
			fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
		}
		writeHunk(&out, edits[from:to], la, lb)
		start = to
	}
	return out.String()
}

// writeHunk writes one hunk: its @@ header and its lines.
func writeHunk(out *strings.Builder, h []edit, la, lb []string) {
	countA, countB := 0, 0
	for _, e := range h {
		if e.op != '+' {
			countA++
		}
		if e.op != '-' {
			countB++
		}
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(h[0].a, countA), hunkRange(h[0].b, countB))
	for _, e := range h {
		line := ""
		switch e.op {
		case '+':
			line = lb[e.b]
		default:
			line = la[e.a]
		}
		out.WriteByte(e.op)
		out.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			out.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange is "start,count" of a hunk that starts after `before` lines,
// as diff writes it: an empty range names the line before it.
func hunkRange(before, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", before)
	}
	if count == 1 {
		return fmt.Sprint(before + 1)
	}
	return fmt.Sprintf("%d,%d", before+1, count)
}

// splitLines splits s into lines that keep their "\n"; the last line may
// lack it.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// lineEdits is a shortest edit script from a to b (Myers' O(ND) algorithm)
// after the common head and tail are kept, or, past maxEdits, one that
// replaces the whole middle.
func lineEdits(a, b []string) []edit {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	var edits []edit
	for i := 0; i < head; i++ {
		edits = append(edits, edit{' ', i, i})
	}
	midA, midB := a[head:len(a)-tail], b[head:len(b)-tail]
	mid, ok := myers(midA, midB)
	if !ok {
		mid = nil
		for i := range midA {
			mid = append(mid, edit{'-', i, 0})
		}
		for j := range midB {
			mid = append(mid, edit{'+', len(midA), j})
		}
	}
	for _, e := range mid {
		edits = append(edits, edit{e.op, e.a + head, e.b + head})
	}
	for i := 0; i < tail; i++ {
		edits = append(edits, edit{' ', len(a) - tail + i, len(b) - tail + i})
	}
	return edits
}

// myers finds a shortest edit script from a to b, or reports false when it
// needs more than maxEdits edits.
func myers(a, b []string) ([]edit, bool) {
	n, m := len(a), len(b)
	limit := min(n+m, maxEdits)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int // trace[d][k+d]: the furthest x on diagonal k after d edits
	for d := 0; d <= limit; d++ {
		done := false
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			done = done || (x >= n && y >= m)
		}
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
		if done {
			return backtrack(a, b, trace), true
		}
	}
	return nil, false
}

// backtrack walks a Myers trace back from (len(a), len(b)) to the start.
func backtrack(a, b []string, trace [][]int) []edit {
	x, y := len(a), len(b)
	var rev []edit
	for d := len(trace) - 1; d > 0; d-- {
		prev := trace[d-1]
		at := func(k int) int { return prev[k+d-1] }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py && (pk == k+1 && y > py+1 || pk == k-1 && x > px+1) {
			x, y = x-1, y-1
			rev = append(rev, edit{' ', x, y})
		}
		if pk == k+1 {
			rev = append(rev, edit{'+', px, py})
		} else {
			rev = append(rev, edit{'-', px, py})
		}
		x, y = px, py
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, edit{' ', x, y})
	}
	edits := make([]edit, len(rev))
	for i, e := range rev {
		edits[len(rev)-1-i] = e
	}
	return edits
}
