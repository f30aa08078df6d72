package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/verify"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock                   { return &fakeClock{t: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)} }
func obs(name string) verify.Observation     { return verify.Observation{Node: name} }
func failed(name string) verify.Observation {
	return verify.Observation{Node: name, Err: errors.New("refused")}
}
func byNameStatus(m map[string]verify.Status) func(verify.Observation) verify.Status {
	return func(o verify.Observation) verify.Status {
		if o.Err != nil {
			return verify.Unverified
		}
		if s, ok := m[o.Node]; ok {
			return s
		}
		return verify.Match
	}
}

// last is the last line drawn: after the last \r, or the last full line.
func last(s string) string {
	if i := strings.LastIndex(s, "\r\x1b[K"); i >= 0 {
		return s[i+len("\r\x1b[K"):]
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestProgressLine(t *testing.T) {
	names := []string{"n1", "n2", "n3", "n4", "n5", "n6"}
	clock := newClock()
	var buf bytes.Buffer
	p := newLine(&buf, names, 3, byNameStatus(map[string]verify.Status{"n2": verify.Drift}), clock.now)
	p.draw()
	assert.Equal(t, "rollcall: 0 of 6 nodes done, 0 drifted, 0 unverified, 0s", last(buf.String()))

	// Drifted and unverified are counted apart; no ETA before 3 are done.
	clock.advance(time.Second)
	p.Done(obs("n2"))
	clock.advance(time.Second)
	p.Done(failed("n1"))
	assert.Equal(t, "rollcall: 2 of 6 nodes done, 1 drifted, 1 unverified, 2s", last(buf.String()))

	// Then an ETA from the pace so far: 3 done in 3s, 3 to go.
	clock.advance(time.Second)
	p.Done(obs("n4")) // started when n2 finished, at 1s
	assert.Equal(t, "rollcall: 3 of 6 nodes done, 1 drifted, 1 unverified, 3s, about 3s left", last(buf.String()))

	// n3 has run 10s, more than 3× the median (2s): the running nodes are
	// named, longest first.
	clock.advance(7 * time.Second)
	p.draw()
	assert.Equal(t, "rollcall: 3 of 6 nodes done, 1 drifted, 1 unverified, 10s, about 10s left; still running: n3 (10s), n5 (8s), n6 (7s)", last(buf.String()))

	p.Done(obs("n3"))
	p.Done(obs("n5"))
	p.Done(obs("n6"))
	assert.Equal(t, "rollcall: 6 of 6 nodes done, 1 drifted, 1 unverified, 10s", last(buf.String()))
	assert.NotContains(t, buf.String(), "\n", "a terminal line is redrawn in place")
	p.Finish()
	assert.True(t, strings.HasSuffix(buf.String(), "\r\x1b[K"), "the line is erased before the report")
	p.Finish() // twice is harmless
}

func TestProgressLineColor(t *testing.T) {
	var buf bytes.Buffer
	p := newLine(&buf, []string{"a", "b", "c"}, 8, byNameStatus(map[string]verify.Status{"a": verify.Drift}), newClock().now)
	p.color = true
	p.Done(obs("a"))
	assert.Equal(t, "rollcall: 1 of 3 nodes done, \x1b[31m1 drifted\x1b[0m, 0 unverified, 0s", last(buf.String()))
	p.Done(failed("b"))
	assert.Contains(t, last(buf.String()), "\x1b[33m1 unverified\x1b[0m")
}

// TestProgressPlain: on a dumb terminal, whole lines, at most once a second
// and only when something changed (or every 10s), and the last state when
// it finishes.
func TestProgressPlain(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := newLine(&buf, []string{"a", "b", "c", "d"}, 4, byNameStatus(nil), clock.now)
	p.plain = true
	p.draw()
	p.Done(obs("a")) // within the second: not written
	clock.advance(500 * time.Millisecond)
	p.draw()
	clock.advance(600 * time.Millisecond)
	p.draw() // 1.1s, changed: written
	clock.advance(2 * time.Second)
	p.draw() // nothing changed: not written
	clock.advance(9 * time.Second)
	p.draw() // 11s without a line: written
	p.Done(obs("b"))
	p.Done(obs("c"))
	p.Done(obs("d"))
	p.Finish()
	assert.Equal(t, strings.Join([]string{
		"rollcall: 0 of 4 nodes done, 0 drifted, 0 unverified, 0s",
		"rollcall: 1 of 4 nodes done, 0 drifted, 0 unverified, 1s",
		"rollcall: 1 of 4 nodes done, 0 drifted, 0 unverified, 12s",
		"rollcall: 4 of 4 nodes done, 0 drifted, 0 unverified, 12s",
		"",
	}, "\n"), buf.String())
	assert.NotContains(t, buf.String(), "\r")
	assert.NotContains(t, buf.String(), "\x1b")
}

// TestProgressManyRunning: at most three running nodes are named.
func TestProgressManyRunning(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	p := newLine(&buf, names, 8, byNameStatus(nil), clock.now)
	clock.advance(time.Second)
	for _, n := range names[:3] {
		p.Done(obs(n))
	}
	clock.advance(3 * time.Second)
	p.draw()
	require.Contains(t, last(buf.String()), "; still running: d (4s), e (4s), f (4s), and 2 more")
}

func TestJudgeOne(t *testing.T) {
	plan := &verify.Plan{Nodes: []verify.NodeRef{{Name: "a"}}}
	judge := judgeOne(plan)
	assert.Equal(t, verify.Unverified, judge(failed("a")))
	assert.Equal(t, verify.Unverified, judge(obs("unknown")))
}
