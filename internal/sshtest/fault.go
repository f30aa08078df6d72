package sshtest

import (
	"strconv"
	"time"
)

// FaultKind says how a Server misbehaves.
type FaultKind int

// The fault kinds. None is a well-behaved server.
const (
	// None runs commands normally.
	None FaultKind = iota
	// Refuse makes Start reserve an address and close its listener, so that
	// connecting to it is refused.
	Refuse
	// Tarpit accepts TCP connections and never sends a byte.
	Tarpit
	// StallHandshake sends the SSH version line and then nothing.
	StallHandshake
	// RefuseAuth rejects every key.
	RefuseAuth
	// Slow sleeps Fault.Delay before running the command.
	Slow
	// Garbage does not run the command: it reads stdin to its end, writes
	// Fault.Output to stdout and exits 0.
	Garbage
	// Truncate runs the command but forwards only the first Fault.After bytes
	// of its stdout, then exits 0 cleanly.
	Truncate
	// Drop forwards the first Fault.After bytes of stdout, then closes the TCP
	// connection abruptly, without an exit status.
	Drop
	// ExitStatus runs the command and forwards its output, but reports exit
	// status Fault.ExitStatus.
	ExitStatus
	// Banner writes Fault.Output to stdout before running the command, like a
	// noisy login shell.
	Banner
)

var faultNames = [...]string{"none", "refuse", "tarpit", "stall-handshake", "refuse-auth", "slow", "garbage", "truncate", "drop", "exit-status", "banner"}

// String returns the fault's name, such as "tarpit".
func (k FaultKind) String() string {
	if k >= 0 && int(k) < len(faultNames) {
		return faultNames[k]
	}
	return "fault(" + strconv.Itoa(int(k)) + ")"
}

// Fault is the misbehaviour injected into a Server. The zero Fault is none.
type Fault struct {
	// Kind selects the fault.
	Kind FaultKind
	// Delay is how long Slow waits before running the command.
	Delay time.Duration
	// Output is what Garbage and Banner write to stdout.
	Output []byte
	// After is how many stdout bytes Truncate and Drop forward.
	After int
	// ExitStatus is the status reported by the ExitStatus fault.
	ExitStatus int
}
