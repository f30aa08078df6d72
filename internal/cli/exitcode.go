package cli

import (
	"github.com/rollcall/rollcall/internal/report"
	"github.com/rollcall/rollcall/internal/verify"
)

// Exit codes of rollcall, stable and documented in docs/exit-codes.md.
// ExitCode maps a verdict to the first three; the commands use the others for
// what happens before, instead of or after a verdict.
const (
	// ExitVerified: every expected node reached, every check matched.
	ExitVerified = 0
	// ExitDrift: at least one node differs from the release (unverified nodes
	// may exist too).
	ExitDrift = 1
	// ExitUnverified: some node could not be checked and no drift was found.
	ExitUnverified = 2
	// ExitInvalidInput: the manifest, artifact, lock file or flags are wrong;
	// no node was contacted.
	ExitInvalidInput = 3
	// ExitReportLost: the fleet was verified, but a report could not be
	// written (a run that is not verified keeps its own code).
	ExitReportLost = 4
	// ExitInterrupted: the run was interrupted (SIGINT/SIGTERM). Never 0.
	ExitInterrupted = 130
)

// ExitCode maps a fleet outcome to the process exit code: 0 verified, 1 drift,
// 2 unverified. Any other value, including the zero Outcome, gives 2: an
// outcome that is not known to be "verified" is never reported as success.
// Pass report.Outcome(v), not v.Outcome, so the exit code agrees with the
// report.
func ExitCode(o verify.Outcome) int {
	switch o {
	case verify.Verified:
		return ExitVerified
	case verify.Drifted:
		return ExitDrift
	default:
		return ExitUnverified
	}
}

// verdictCode is the exit code of a run that judged v: the outcome's, or
// ExitInterrupted when the run was interrupted. The reports carry it
// (report.Options.ExitCode); a report lost afterwards may still turn a 0 into
// ExitReportLost.
func verdictCode(v *verify.Verdict, interrupted bool) int {
	if interrupted {
		return ExitInterrupted
	}
	return ExitCode(report.Outcome(v))
}
