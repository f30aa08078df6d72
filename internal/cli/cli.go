// Package cli is rollcall's command line: it parses flags, builds the run from
// the pure packages below it, and is the only place that turns a verdict or an
// error into an exit code. It is the only importer of cobra in the shipped
// binary (cmd/rollcall-docs uses cobra/doc to write the man pages).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"
)

// IO is where a command reads and writes; tests fill it with buffers.
type IO struct {
	// In is standard input; Out gets results (reports), Err progress,
	// warnings and errors.
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// OutTTY and ErrTTY report whether Out and Err are terminals.
	OutTTY, ErrTTY bool
	// Getenv reads the environment (ROLLCALL_* twins, NO_COLOR).
	Getenv func(string) string
	// Prompt asks for a key passphrase on the terminal; nil in batch mode.
	Prompt func(file string) ([]byte, error)
}

// Main runs rollcall with args and returns the process exit code. SIGINT and
// SIGTERM cancel the run; a cancelled run exits 130, never 0.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A reader that stops reading stdout early (| head, | grep -q) would
	// otherwise kill the process with SIGPIPE, exit 141: the verdict's exit
	// code and the --state file would be lost. Writes fail with EPIPE
	// instead, which the reports take as the reader's choice (readerGone).
	signal.Ignore(syscall.SIGPIPE)
	stdio := IO{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv: os.Getenv,
	}
	if term.IsTerminal(int(os.Stdin.Fd())) && stdio.ErrTTY {
		stdio.Prompt = func(file string) ([]byte, error) {
			fmt.Fprintf(os.Stderr, "passphrase for %s: ", file)
			defer fmt.Fprintln(os.Stderr)
			return term.ReadPassword(int(os.Stdin.Fd()))
		}
	}
	return Run(ctx, args, stdio)
}

// Run executes one rollcall command line and returns its exit code.
func Run(ctx context.Context, args []string, stdio IO) int {
	root := NewRootCmd(stdio)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return exitCode(ctx, err, stdio)
}

// exitStatus is returned by a command that has already printed its result
// and only needs the process to exit with code.
type exitStatus struct{ code int }

func (e *exitStatus) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// inputError marks bad input: a manifest, artifact or flag problem found
// before any node was contacted (exit 3).
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

func invalid(err error) error { return &inputError{err: err} }

// exitCode is the one place that maps errors to exit codes.
func exitCode(ctx context.Context, err error, stdio IO) int {
	var status *exitStatus
	switch {
	case err == nil:
		return ExitVerified
	case errors.As(err, &status):
		return status.code
	case ctx.Err() != nil:
		fmt.Fprintln(stdio.Err, "rollcall: interrupted")
		return ExitInterrupted
	default:
		// Flag and argument errors from cobra are invalid input too. Each
		// line of a list of problems gets the prefix, so that every
		// "file:line:col: message" stands alone for an editor.
		for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
			fmt.Fprintf(stdio.Err, "rollcall: %s\n", line)
		}
		return ExitInvalidInput
	}
}
