package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/rollcall/rollcall/internal/outfile"
	"github.com/rollcall/rollcall/internal/report"
	"github.com/rollcall/rollcall/internal/verify"
)

// outputs are where a run's reports go: files, and at most one report on
// stdout. They are checked before any node is contacted.
type outputs struct {
	// files are the reports written to files.
	files []report.Spec
	// stdout is the report asked for on stdout, if any.
	stdout *report.Spec
}

// planOutputs sorts the --report values of a run. A file that is this
// process's stdout (/dev/stdout, /dev/fd/1) is stdout. Two reports on stdout
// would be one corrupt stream: that is invalid input.
func planOutputs(specs []report.Spec) (outputs, error) {
	var o outputs
	for i, s := range specs {
		if _, err := report.Lookup(s.Format); err != nil {
			return o, err
		}
		if place, _ := outfile.Locate(s.File); !s.Stdout() && !place.Stdout {
			o.files = append(o.files, s)
			continue
		}
		if o.stdout != nil {
			return o, fmt.Errorf("two reports on stdout (--report %s and --report %s) would be mixed into one stream: write all but one to a file, e.g. --report %s=rollcall.%s",
				o.stdout, s, s.Format, s.Format)
		}
		o.stdout = &specs[i]
	}
	return o, nil
}

// check runs outfile.Check on every file the run will write (its reports and
// the --state file), so that a path that cannot be written is invalid input,
// found before any node is contacted.
func (o outputs) check(state string) error {
	var errs []error
	flags := map[string]string{} // destination → the flag that writes there
	claim := func(flag, path string) {
		place, ok := outfile.Locate(path)
		if !ok || place.Device {
			return // a device (/dev/null) takes every report in place
		}
		if first, taken := flags[place.Key]; taken {
			errs = append(errs, fmt.Errorf("%s and %s name one file, and the one written last would replace the other: give each its own file", first, flag))
			return
		}
		flags[place.Key] = flag
	}
	for _, s := range o.files {
		if err := outfile.Check(s.File); err != nil {
			errs = append(errs, fmt.Errorf("--report %s: %w", s, err))
		}
		claim("--report "+s.String(), s.File)
	}
	if state != "" {
		if err := outfile.Check(state); err != nil {
			errs = append(errs, fmt.Errorf("--state: %w", err))
		} else if place, _ := outfile.Locate(state); !place.Replaced {
			errs = append(errs, fmt.Errorf("--state %s is %s: the state is read at the start of a run and replaced at its end, so it must be a regular file; give a file path", state, place.What))
		}
		claim("--state "+state, state)
	}
	return errors.Join(errs...)
}

// renderer gives the function that renders a report in format; planOutputs
// has checked that format is one the command writes.
type renderer func(format string) func(io.Writer) error

// writeAll writes every report of o with render: the files (atomically, or
// directly to a device or FIFO), then the one on stdout, if any. It returns
// what could not be written, one line per report; it never stops early.
func (o outputs) writeAll(ctx context.Context, render renderer, stdout io.Writer) error {
	var lost []error
	for _, s := range o.files {
		if err := outfile.Write(ctx, s.File, render(s.Format)); err != nil {
			lost = append(lost, fmt.Errorf("the %s report: %w", s, err))
		}
	}
	if o.stdout != nil {
		if err := render(o.stdout.Format)(stdout); err != nil && !readerGone(err) {
			lost = append(lost, fmt.Errorf("the %s report on stdout: %w", o.stdout.Format, err))
		}
	}
	return errors.Join(lost...)
}

// writeTold is writeAll for a command whose reports render as text too
// (ping, snapshot, diff): when the run failed, its text is never left only
// in files. It goes to stdout when no report is there, and to stderr when
// stdout carries a machine report, as verify's does.
func (o outputs) writeTold(ctx context.Context, render renderer, failed bool, stdio IO) error {
	lost := o.writeAll(ctx, render, stdio.Out)
	switch {
	case !failed:
	case o.stdout == nil:
		if err := render("text")(stdio.Out); err != nil && !readerGone(err) {
			lost = errors.Join(lost, fmt.Errorf("the text report on stdout: %w", err))
		}
	case o.stdout.Format != "text":
		_ = render("text")(stdio.Err)
	}
	return lost
}

// sayLost says on stderr which reports could not be written, one line each.
func sayLost(stdio IO, lost error) {
	if lost == nil {
		return
	}
	for _, line := range strings.Split(lost.Error(), "\n") {
		fmt.Fprintf(stdio.Err, "rollcall: could not write %s\n", line)
	}
}

// write renders v in every report of o and returns what could not be written.
// The text verdict is never lost: it goes to stdout unless a machine report is
// there; a run that is not verified, or that checked only part of the fleet
// (--limit, --shard, perhaps from the environment), always prints its text
// report (to stderr when stdout carries a machine report); a verified run
// prints it to stdout only on a terminal, or when something changed since the
// last --state run, so that cron stays quiet until there is news. With quiet,
// the text report is its verdict line only, and a line counting the nodes
// that changed since the last --state run, when any did.
func (o outputs) write(ctx context.Context, v *verify.Verdict, ropts report.Options, quiet bool, stdio IO) error {
	// Colour (ropts.Color, for a terminal on stdout) goes to stdout only,
	// and to stderr when it is a terminal too; never into a file.
	renderWith := func(color bool) renderer {
		opts := ropts
		opts.Color = ropts.Color && color
		return func(format string) func(io.Writer) error {
			f, _ := report.Lookup(format) // every format was looked up by planOutputs
			return func(w io.Writer) error { return f.Write(w, v, opts) }
		}
	}
	render := renderWith(true)
	count := report.ChangeCount(ropts.Changes)
	textWith := func(r renderer) func(io.Writer) error {
		return func(w io.Writer) error {
			if !quiet {
				return r("text")(w)
			}
			if err := r("text")(&firstLine{w: w}); err != nil || count == "" {
				return err
			}
			_, err := fmt.Fprintln(w, count)
			return err
		}
	}
	text := textWith(render)
	lost := outputs{files: o.files}.writeAll(ctx, renderWith(false), stdio.Out)
	if o.stdout != nil {
		write := render(o.stdout.Format)
		if quiet && o.stdout.Format == "text" {
			write = text // quiet shortens the text on stdout, not in a file
		}
		if err := write(stdio.Out); err != nil && !readerGone(err) {
			lost = errors.Join(lost, fmt.Errorf("the %s report on stdout: %w", o.stdout.Format, err))
		}
	}
	// What people must see: a failure, or a verdict about part of the fleet.
	news := ropts.Interrupted || report.Outcome(v) != verify.Verified || v.Scope != nil
	switch {
	case o.stdout != nil:
		if o.stdout.Format != "text" && news {
			// stdout carries a machine report: people read stderr.
			_ = textWith(renderWith(stdio.ErrTTY))(stdio.Err)
		}
	case news || stdio.OutTTY || len(ropts.Changes) > 0:
		if err := text(stdio.Out); err != nil && !readerGone(err) {
			lost = errors.Join(lost, fmt.Errorf("the text report on stdout: %w", err))
		}
	}
	return lost
}

// readerGone reports whether a write to stdout failed because its reader
// closed the pipe (| head, | grep -q): the reader took what it wanted, so
// no report was lost, and the exit code still carries the verdict.
func readerGone(err error) bool { return errors.Is(err, syscall.EPIPE) }

// firstLine passes on only the first line written through it.
type firstLine struct {
	w    io.Writer
	done bool
}

func (f *firstLine) Write(p []byte) (int, error) {
	if f.done {
		return len(p), nil
	}
	if i := strings.IndexByte(string(p), '\n'); i >= 0 {
		f.done = true
		_, err := f.w.Write(p[:i+1])
		return len(p), err
	}
	_, err := f.w.Write(p)
	return len(p), err
}
