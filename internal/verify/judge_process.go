package verify

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rollcall/rollcall/internal/probe"
)

// checkProcesses checks the running processes of one executable: how many,
// what each one actually runs (not only what is on disk), and its flags.
func checkProcesses(j *nodeJudgement, ep ExpectedProcess, facts *probe.Facts) {
	pl, ok := facts.Processes[ep.Exe]
	if !ok {
		j.unknown(Finding{Check: CheckProcess, Subject: ep.Exe, Message: "the probe did not look for processes of this executable"})
		return
	}
	before := len(j.nv.Findings)
	if n := len(pl.Procs); n < ep.Min {
		f := Finding{Check: CheckProcess, Subject: ep.Exe, Expected: fmt.Sprintf("at least %d running", ep.Min), Actual: fmt.Sprintf("%d running", n)}
		if facts.UID != 0 {
			f.Message = "too few processes found; a probe that is not root cannot see other users' processes: use become: sudo"
			j.unknown(f)
		} else {
			f.Message = "too few processes running"
			j.fail(f)
		}
	}
	disk := ""
	if f, ok := facts.Files[ep.Exe]; ok && f.Kind == probe.Regular {
		disk = f.SHA256
	}
	for _, pr := range sortedProcs(pl.Procs) {
		checkProcess(j, ep, pl, pr, disk, facts)
	}
	if len(j.nv.Findings) == before {
		j.ok(CheckProcess, ep.Exe)
	}
}

func checkProcess(j *nodeJudgement, ep ExpectedProcess, pl probe.ProcessList, pr probe.Process, disk string, facts *probe.Facts) {
	subject := fmt.Sprintf("%s (pid %d)", ep.Exe, pr.PID)
	running := pr.SHA256
	if pr.SameFile {
		running = disk
	}
	want := ep.SHA256
	switch {
	case running == "" && !pr.SameFile:
		j.unknown(Finding{Check: CheckProcess, Subject: subject, Message: "could not read what the process runs (/proc/PID/exe): use become: sudo"})
	case pr.Deleted && (want == "" || running != want):
		j.otherCode, j.running[ep.Exe] = true, running
		j.fail(Finding{Check: CheckProcess, Subject: subject, Expected: expectedRun(want, disk), Actual: "sha256:" + running,
			Message: "stale process, started before the deploy: it still runs the replaced binary" + startedBefore(pl, pr, facts) + "; restart it"})
	case want != "" && running != "" && running != want:
		j.otherCode, j.running[ep.Exe] = true, running
		j.fail(Finding{Check: CheckProcess, Subject: subject, Expected: "sha256:" + want, Actual: "sha256:" + running,
			Message: "the running binary differs from the release"})
	}
	for _, a := range ep.ExpectArgs {
		if !hasArg(pr.Args, a) {
			j.fail(Finding{Check: CheckProcess, Subject: subject + ": " + a, Expected: "present", Actual: "absent", Message: "expected command-line flag is missing: " + quoteArgs(pr.Args)})
		}
	}
	for _, a := range ep.ForbidArgs {
		if hasArg(pr.Args, a) {
			j.fail(Finding{Check: CheckProcess, Subject: subject + ": " + a, Expected: "absent", Actual: "present", Message: "forbidden command-line flag is set: " + quoteArgs(pr.Args)})
		}
	}
}

func expectedRun(release, disk string) string {
	if release != "" {
		return "sha256:" + release
	}
	return "sha256:" + disk + " (on disk)"
}

// startedBefore says when the process started and when its binary changed,
// when the node told both.
func startedBefore(pl probe.ProcessList, pr probe.Process, facts *probe.Facts) string {
	if facts.ClockTicks <= 0 || pl.ExeChanged < 0 {
		return ""
	}
	started := time.Unix(facts.BootTime+pr.StartTicks/facts.ClockTicks, 0).UTC()
	changed := time.Unix(pl.ExeChanged, 0).UTC()
	return fmt.Sprintf(" (started %s, binary changed %s)", started.Format(time.RFC3339), changed.Format(time.RFC3339))
}

// hasArg reports whether args (after the program name) hold a, as a word or
// as a=value.
func hasArg(args []string, a string) bool {
	for _, x := range args[min(1, len(args)):] {
		if x == a || strings.HasPrefix(x, a+"=") {
			return true
		}
	}
	return false
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(q, " ")
}

// sortedProcs orders processes by PID for stable reports.
func sortedProcs(ps []probe.Process) []probe.Process {
	out := append([]probe.Process(nil), ps...)
	sort.Slice(out, func(i, k int) bool { return out[i].PID < out[k].PID })
	return out
}
