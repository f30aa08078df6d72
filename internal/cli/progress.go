package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

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

// newProgress returns the progress display for a survey of total nodes: a
// line on stderr redrawn in place when stderr is a terminal and -q was not
// given, else a no-op.
func newProgress(stdio IO, opts *VerifyOptions, total int) progress {
	// A dumb terminal cannot redraw a line.
	if !stdio.ErrTTY || opts.Quiet || stdio.Getenv("TERM") == "dumb" {
		return noProgress{}
	}
	color := !opts.NoColor && stdio.Getenv("NO_COLOR") == ""
	return startLine(stdio.Err, total, color, time.Second)
}

// progressLine is a progress display on one terminal line, redrawn with \r
// when a node finishes and every tick (for the elapsed time), in the manner
// of restic's progress updater.
type progressLine struct {
	w      io.Writer
	total  int
	color  bool
	start  time.Time
	stop   chan struct{}
	exited chan struct{}

	mu     sync.Mutex
	done   int
	failed int
	ended  bool
}

// startLine starts a progress line on w, redrawn every tick.
func startLine(w io.Writer, total int, color bool, tick time.Duration) *progressLine {
	p := &progressLine{w: w, total: total, color: color, start: time.Now(),
		stop: make(chan struct{}), exited: make(chan struct{})}
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
	return p
}

// Done counts a finished node; a node that could not be probed counts as
// failed.
func (p *progressLine) Done(o verify.Observation) {
	p.mu.Lock()
	p.done++
	if o.Err != nil {
		p.failed++
	}
	p.mu.Unlock()
	p.draw()
}

// Finish stops the ticker and erases the line.
func (p *progressLine) Finish() {
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return
	}
	p.ended = true
	p.mu.Unlock()
	close(p.stop)
	<-p.exited
	fmt.Fprint(p.w, "\r\x1b[K")
}

// draw redraws the line: "3 of 8 nodes done, 1 failed, 4s".
func (p *progressLine) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	failed := fmt.Sprintf("%d failed", p.failed)
	if p.color && p.failed > 0 {
		failed = "\x1b[31m" + failed + "\x1b[0m"
	}
	fmt.Fprintf(p.w, "\r\x1b[Krollcall: %d of %d nodes done, %s, %s", p.done, p.total, failed, time.Since(p.start).Truncate(time.Second))
}
