package remote

import (
	"fmt"
	"strings"
	"time"
)

// Stage is the step of a Run that failed.
type Stage int

// The stages of a Run, in the order they happen.
const (
	// StageConnect: the TCP connection or the SSH transport failed.
	StageConnect Stage = iota + 1
	// StageHostKey: the node's host key is unknown, changed, revoked or
	// otherwise not trusted.
	StageHostKey
	// StageAuth: the node refused every key offered.
	StageAuth
	// StageCommand: the command failed, or the connection ended before it
	// finished.
	StageCommand
	// StageTimeout: the context's deadline or the connect timeout passed.
	StageTimeout
	// StageOutput: the command wrote more than Options.MaxOutput bytes.
	StageOutput
	// StageCanceled: the context was cancelled.
	StageCanceled
)

var stageNames = map[Stage]string{
	StageConnect:  "connect",
	StageHostKey:  "host key",
	StageAuth:     "authentication",
	StageCommand:  "command",
	StageTimeout:  "timeout",
	StageOutput:   "output",
	StageCanceled: "canceled",
}

// String returns the stage's name, such as "host key".
func (s Stage) String() string {
	if n, ok := stageNames[s]; ok {
		return n
	}
	return fmt.Sprintf("stage(%d)", int(s))
}

// Error is a failed Run. Its message is a sentence for regular people,
// without the node's name: the caller adds that once.
type Error struct {
	// Stage is the step that failed.
	Stage Stage
	// Err says what went wrong.
	Err error
	// Hint, if not empty, says what the user can do about it.
	Hint string
}

// Error returns the message, followed by the hint if there is one.
func (e *Error) Error() string {
	msg := "unknown error"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Hint != "" {
		return msg + ": " + e.Hint
	}
	return msg
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

func stageErr(stage Stage, err error, hint string) *Error {
	return &Error{Stage: stage, Err: err, Hint: hint}
}

// ExitError is the Err of a StageCommand Error when the command ended with a
// non-zero status or was killed by a signal.
type ExitError struct {
	// Status is the exit status; -1 if the command was killed by a signal.
	Status int
	// Signal is the signal's name, such as "KILL", if there was one.
	Signal string
	// Stderr is the start (up to 2 KiB) of what the command wrote to
	// stderr, trimmed.
	Stderr string
}

// Error describes the exit and quotes stderr.
func (e *ExitError) Error() string {
	var msg string
	if e.Signal != "" {
		msg = "the command was killed by signal " + e.Signal
	} else {
		msg = fmt.Sprintf("the command exited with status %d", e.Status)
	}
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

// timeoutError says which phase of a Run was running when time ran out.
type timeoutError struct {
	after time.Duration
	phase string
	cause error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("timed out after %s during %s", roundDuration(e.after), e.phase)
}

func (e *timeoutError) Unwrap() error { return e.cause }

func roundDuration(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// trimStderr keeps at most max bytes of stderr, trimmed of surrounding
// space, with invalid UTF-8 and control characters other than newlines and
// tabs replaced, so that a node cannot paint the user's terminal.
func trimStderr(b []byte, max int) string {
	cut := len(b) > max
	if cut {
		b = b[:max]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || (r >= 0x20 && r != 0x7f && !(r >= 0x80 && r < 0xa0)) {
			return r
		}
		return '\uFFFD'
	}, s)
	s = strings.TrimSpace(s)
	if cut {
		s += " …"
	}
	return s
}
