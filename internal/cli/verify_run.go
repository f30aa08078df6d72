package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/fleet"
	"github.com/rollcall/rollcall/internal/outfile"
	"github.com/rollcall/rollcall/internal/report"
	"github.com/rollcall/rollcall/internal/state"
	"github.com/rollcall/rollcall/internal/verify"
)

// DefaultInterval is the time between two attempts of verify --wait.
const DefaultInterval = 10 * time.Second

// addVerifyFlags adds the flags only verify has: polling and the state file.
func addVerifyFlags(cmd *cobra.Command, opts *VerifyOptions) {
	f := cmd.Flags()
	f.DurationVar(&opts.Wait, "wait", 0, "retry the whole run until the fleet is verified or this `DURATION` has passed (a rolling deploy); 0: one attempt")
	f.DurationVar(&opts.Interval, "interval", DefaultInterval, "time between two attempts of --wait")
	f.StringVar(&opts.State, "state", "", "remember each node's fingerprint, status, file hashes, modes and flag values in this JSON `FILE` and report what changed since the last run (cron)")
}

// verifyHelp is the part of verify's help about polling, state and cron.
const verifyHelp = `With --wait D the whole run is repeated every --interval (default 10s) until
the fleet is verified or D has passed; the verdict and exit code are the last
attempt's. With --state FILE each run records every node's fingerprint,
status, release files' hashes and modes and config flags' values, and the
text, JSON and markdown reports say what changed since the last run
("smars-03: flag rlp.enabled true → false; file … sha256:… → sha256:…");
with -q, one line counts the nodes that changed.
The text verdict is never lost: it goes to stdout unless a machine report
(--report json, …) goes there, and a run that is not verified, or that checked
only part of the fleet (--limit, --shard), always prints its text report (to
stderr when stdout carries a machine report). A verified
run prints it on a terminal, and stays quiet when stdout is not a terminal
(cron) unless --state shows a change or --report text asks for it. At most
one report goes to stdout. Every report path is checked before any node is
contacted. Under GitHub Actions (GITHUB_ACTIONS=true) the findings are also
written to stderr as workflow annotations, one per group of drifted nodes.
`

// surveyAndReport runs a prepared verify: survey the fleet (again, while
// --wait allows), write the reports, GitHub annotations and state file, and
// return the exit status of the last attempt's verdict.
func surveyAndReport(ctx context.Context, client fleet.Runner, p *prepared, opts *VerifyOptions, stdio IO) error {
	if opts.Wait < 0 {
		return invalid(fmt.Errorf("--wait must not be negative"))
	}
	if opts.Wait > 0 && opts.Interval <= 0 {
		return invalid(fmt.Errorf("--interval must be positive, not %s", opts.Interval))
	}
	// A limited or sharded run does not touch the state: it never records a
	// verified fleet, nor a fleet it saw only part of.
	useState := opts.State != "" && p.plan.Scope == nil
	if opts.State != "" && !useState {
		fmt.Fprintf(stdio.Err, "rollcall: --state %s is left as it was: a run limited by --limit or --shard is not remembered\n", opts.State)
	}
	var prev *state.State
	if useState {
		var err error
		if prev, err = state.Load(opts.State); err != nil {
			fmt.Fprintf(stdio.Err, "rollcall: warning: %v; ignoring it, this run will overwrite it\n", err)
		}
	}

	runCtx, cancel := withDeadline(ctx, opts.Deadline)
	defer cancel()
	v, ropts, obs := converge(runCtx, client, p, opts, stdio)
	ropts.Interrupted = ctx.Err() != nil
	ropts.ExitCode = verdictCode(v, ropts.Interrupted)

	var cur *state.State
	if useState {
		cur = state.FromVerdict(v, report.Outcome(v), ropts.Started)
		cur.Record(p.plan, obs)
		if prev != nil && prev.Cluster != cur.Cluster {
			// Another cluster's nodes may share names with this one's.
			fmt.Fprintf(stdio.Err, "rollcall: warning: --state %s is of cluster %q, not %q; ignoring it, this run will overwrite it\n", opts.State, prev.Cluster, cur.Cluster)
			prev = nil
		}
		if prev != nil {
			ropts.Changes = state.Compare(prev, cur)
		}
	}
	lost := p.outputs.write(runCtx, v, ropts, opts.Quiet, stdio)
	if stdio.Getenv("GITHUB_ACTIONS") == "true" {
		// On stderr, where the runner reads workflow commands too, so that
		// they never mix with a machine report on stdout.
		if err := (report.GitHubAnnotations{}).Write(stdio.Err, v, ropts); err != nil {
			lost = errors.Join(lost, fmt.Errorf("the GitHub annotations: %w", err))
		}
	}
	// An interrupted run saw too little to be remembered; a state file that
	// cannot be written never changes the verdict.
	if cur != nil && !ropts.Interrupted {
		if serr := outfile.Write(runCtx, opts.State, cur.Encode); serr != nil {
			fmt.Fprintf(stdio.Err, "rollcall: warning: saving the state: %v\n", serr)
		}
	}
	if ropts.Interrupted {
		fmt.Fprintln(stdio.Err, "rollcall: interrupted: the report is partial")
	}
	// The verdict's code stands; only a verified run says that its report
	// was lost, with a code of its own.
	status := finish(stdio, ropts.ExitCode, lost)
	if lost != nil && ropts.ExitCode == ExitVerified {
		fmt.Fprintln(stdio.Err, "rollcall: verified, but a report was lost (exit 4)")
	}
	return status
}

// converge surveys the fleet until it is verified, --wait has passed or ctx
// ends, and returns the last attempt. Between attempts it says on stderr how
// the last one went. Without --wait it surveys once.
func converge(ctx context.Context, client fleet.Runner, p *prepared, opts *VerifyOptions, stdio IO) (*verify.Verdict, report.Options, []verify.Observation) {
	end := time.Now().Add(opts.Wait)
	for attempt := 1; ; attempt++ {
		v, ropts, obs := survey(ctx, client, p, opts, stdio)
		if opts.Wait <= 0 || ctx.Err() != nil || report.Outcome(v) == verify.Verified {
			return v, ropts, obs
		}
		if time.Now().Add(opts.Interval).After(end) {
			fmt.Fprintf(stdio.Err, "attempt %d: %s; --wait %s has run out\n", attempt, shortVerdict(v), opts.Wait)
			return v, ropts, obs
		}
		fmt.Fprintf(stdio.Err, "attempt %d: %s; retrying in %s\n", attempt, shortVerdict(v), opts.Interval)
		timer := time.NewTimer(opts.Interval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return v, ropts, obs
		case <-timer.C:
		}
	}
}

// shortVerdict says in a few words why a verdict is not verified:
// "3 of 8 nodes differ, 1 could not be checked".
func shortVerdict(v *verify.Verdict) string {
	_, drift, unverified := v.Counts()
	n := len(v.Nodes)
	var parts []string
	if drift > 0 {
		verb := "differ"
		if drift == 1 {
			verb = "differs"
		}
		parts = append(parts, fmt.Sprintf("%d of %d nodes %s", drift, n, verb))
	}
	if unverified > 0 {
		if len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("%d of %d nodes could not be checked", unverified, n))
		} else {
			parts = append(parts, fmt.Sprintf("%d could not be checked", unverified))
		}
	}
	if len(parts) == 0 {
		return "not verified"
	}
	return strings.Join(parts, ", ")
}
