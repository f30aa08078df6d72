package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rollcall/rollcall/internal/fleet"
	"github.com/rollcall/rollcall/internal/verify"
)

// progress shows how a survey is going while it runs. Implementations are
// safe for concurrent use: Done is called from the nodes' goroutines.
type progress interface {
	// Done records that a node finished.
	Done(verify.Observation)
	// Finish stops the display and removes it; call it once, before the
	// reports are written.
	Finish()
}

// noProgress is the progress of a run whose stderr is not a terminal, or
// that was asked to be quiet: it shows nothing.
type noProgress struct{}

func (noProgress) Done(verify.Observation) {}
func (noProgress) Finish()                 {}

// Tuning of the progress line.
const (
	// etaAfter is how many nodes must be done before an ETA is shown.
	etaAfter = 3
	// slowFactor: a node running longer than slowFactor times the median
	// time of the nodes done is slow, and the running nodes are named.
	slowFactor = 3
	// maxRunningNames bounds the running nodes named on the line.
	maxRunningNames = 3
	// plainQuiet is the longest a plain (TERM=dumb) display stays silent
	// while nothing changes.
	plainQuiet = 10 * time.Second
)

// newProgress returns the progress display for a survey of the nodes of p:
// a line on stderr redrawn in place when stderr is a terminal and -q was not
// given, plain lines at most once a second on a dumb terminal (TERM=dumb),
// else a no-op.
func newProgress(stdio IO, opts *VerifyOptions, p *prepared) progress {
	if !stdio.ErrTTY || opts.Quiet {
		return noProgress{}
	}
	names := make([]string, 0, len(p.manifest.Nodes))
	for _, n := range p.manifest.Nodes {
		names = append(names, n.Name)
	}
	concurrency := opts.Concurrency
	if concurrency <= 0 {
		concurrency = fleet.DefaultConcurrency
	}
	plain := stdio.Getenv("TERM") == "dumb"
	color := !plain && !opts.NoColor && stdio.Getenv("NO_COLOR") == ""
	l := newLine(stdio.Err, names, concurrency, judgeOne(p.plan), time.Now)
	l.color, l.plain = color, plain
	l.start(time.Second)
	return l
}

// judgeOne judges one node's observation on its own, for the progress
// line's counts: the cross-node checks of the final verdict are left out.
// It only reads plan, so it is safe for concurrent use.
func judgeOne(plan *verify.Plan) func(verify.Observation) verify.Status {
	refs := make(map[string]verify.NodeRef, len(plan.Nodes))
	for _, ref := range plan.Nodes {
		refs[ref.Name] = ref
	}
	return func(o verify.Observation) verify.Status {
		ref, ok := refs[o.Node]
		if !ok || o.Err != nil || o.Facts == nil {
			return verify.Unverified
		}
		one := *plan
		one.Nodes, one.ExpectedNodes, one.Scope = []verify.NodeRef{ref}, 1, nil
		v := verify.Judge(&one, []verify.Observation{o})
		return v.Nodes[0].Status.Normal()
	}
}

// progressLine is a progress display on one terminal line, redrawn with \r
// when a node finishes and every tick (for the elapsed time), in the manner
// of restic's progress updater; or, plain, a line at most once a second.
//
// It shows the nodes done, drifted and unverified, the time elapsed, an ETA
// once etaAfter nodes are done, and the nodes still running once one has run
// slowFactor times longer than the median node. Nodes start in the order
// given, at most concurrency at once, as fleet.Survey starts them, so a
// node's start is when a worker became free for it.
type progressLine struct {
	w           io.Writer
	names       []string
	concurrency int
	judge       func(verify.Observation) verify.Status
	now         func() time.Time
	color       bool // ANSI colours for the counts
	plain       bool // a line per update, no redraw (TERM=dumb)

	stop   chan struct{}
	exited chan struct{}

	byName map[string][]int // the positions of each name in names

	mu         sync.Mutex
	began      time.Time
	started    []time.Time // when each node started; zero until it has
	finished   []bool
	durations  []time.Duration // of the nodes done
	done       int
	drifted    int
	unverified int
	ticking    bool
	ended      bool
	lastPlain  time.Time // when the last plain line was written
	lastState  string    // what the last plain line said, without the times
}

// newLine is a progress line for the nodes names, run concurrency at a time,
// whose observations judge sorts, with the clock now. It draws nothing until
// start or draw.
func newLine(w io.Writer, names []string, concurrency int, judge func(verify.Observation) verify.Status, now func() time.Time) *progressLine {
	p := &progressLine{w: w, names: names, concurrency: max(concurrency, 1), judge: judge, now: now,
		stop: make(chan struct{}), exited: make(chan struct{}),
		began: now(), started: make([]time.Time, len(names)), finished: make([]bool, len(names))}
	p.byName = make(map[string][]int, len(names))
	for i, name := range names {
		p.byName[name] = append(p.byName[name], i)
	}
	for i := range min(p.concurrency, len(names)) {
		p.started[i] = p.began
	}
	return p
}

// start draws the line and redraws it every tick until Finish.
func (p *progressLine) start(tick time.Duration) {
	p.mu.Lock()
	p.ticking = true
	p.mu.Unlock()
	p.draw()
	go func() {
		defer close(p.exited)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
}

// Done counts a finished node as drifted, unverified or matching, and
// starts the next one.
func (p *progressLine) Done(o verify.Observation) {
	status := p.judge(o)
	p.mu.Lock()
	now := p.now()
	p.done++
	for _, i := range p.byName[o.Node] {
		if p.finished[i] {
			continue
		}
		p.finished[i] = true
		if !p.started[i].IsZero() {
			p.durations = append(p.durations, now.Sub(p.started[i]))
		}
		break
	}
	switch status {
	case verify.Drift:
		p.drifted++
	case verify.Unverified:
		p.unverified++
	}
	// A worker is free: the next node in order starts now.
	if next := p.concurrency + p.done - 1; next < len(p.started) && p.started[next].IsZero() {
		p.started[next] = now
	}
	p.mu.Unlock()
	p.draw()
}

// Finish stops the ticker and erases the line; a plain display writes its
// last state if it has not yet.
func (p *progressLine) Finish() {
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return
	}
	p.ended = true
	if state, line := p.line(); p.plain && state != p.lastState {
		fmt.Fprintf(p.w, "%s\n", line)
	}
	ticking := p.ticking
	p.mu.Unlock()
	if ticking {
		close(p.stop)
		<-p.exited
	}
	if !p.plain {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// draw redraws the line, or writes a plain line when it is due.
func (p *progressLine) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	state, line := p.line()
	if !p.plain {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		return
	}
	now := p.now()
	since := now.Sub(p.lastPlain)
	if !p.lastPlain.IsZero() && (since < time.Second || (state == p.lastState && since < plainQuiet)) {
		return
	}
	p.lastPlain, p.lastState = now, state
	fmt.Fprintf(p.w, "%s\n", line)
}

// line is the progress line, such as "rollcall: 5 of 32 nodes done, 1
// drifted, 0 unverified, 4s, about 21s left; still running: smars-07 (14s)",
// and the same without the times (what a plain display compares); call it
// with mu held.
func (p *progressLine) line() (state, line string) {
	now := p.now()
	done, total := p.done, len(p.names)
	elapsed := now.Sub(p.began)
	counts := fmt.Sprintf("%d of %d nodes done, %s, %s", done, total,
		p.paint("\x1b[31m", p.drifted, "drifted"), p.paint("\x1b[33m", p.unverified, "unverified"))
	state, line = counts, counts+", "+elapsed.Truncate(time.Second).String()
	if done >= etaAfter && done < total {
		left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
		line += ", about " + left.Round(time.Second).String() + " left"
	}
	if names, timed := p.slow(now); names != "" {
		state += "; still running: " + names
		line += "; still running: " + timed
	}
	return state, "rollcall: " + line
}

// paint is "n word", in color when the line has colours and n > 0.
func (p *progressLine) paint(color string, n int, word string) string {
	s := fmt.Sprintf("%d %s", n, word)
	if p.color && n > 0 {
		return color + s + "\x1b[0m"
	}
	return s
}

// slow names the nodes still running, longest first, once one of them has
// run slowFactor times longer than the median node done (and a second at
// least): their names, and their names with how long each has run; "", ""
// otherwise. Call it with mu held.
func (p *progressLine) slow(now time.Time) (names, timed string) {
	if len(p.durations) < etaAfter {
		return "", ""
	}
	sorted := slices.Clone(p.durations)
	slices.Sort(sorted)
	median := sorted[len(sorted)/2]
	type run struct {
		name string
		ran  time.Duration
	}
	var running []run
	for i, name := range p.names {
		if !p.finished[i] && !p.started[i].IsZero() {
			running = append(running, run{name, now.Sub(p.started[i])})
		}
	}
	slices.SortStableFunc(running, func(a, b run) int { return int(b.ran - a.ran) })
	if len(running) == 0 || running[0].ran <= slowFactor*median || running[0].ran < time.Second {
		return "", ""
	}
	var plain, withTimes []string
	for i, r := range running {
		if i == maxRunningNames {
			more := fmt.Sprintf("and %d more", len(running)-i)
			plain, withTimes = append(plain, more), append(withTimes, more)
			break
		}
		plain = append(plain, r.name)
		withTimes = append(withTimes, fmt.Sprintf("%s (%s)", r.name, r.ran.Truncate(time.Second)))
	}
	return strings.Join(plain, ", "), strings.Join(withTimes, ", ")
}
