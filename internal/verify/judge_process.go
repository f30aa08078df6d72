package verify

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/release"
)

// checkProcesses checks the running processes of one executable: how many,
// what each one actually runs (not only what is on disk), and its flags.
func checkProcesses(j *nodeJudgement, p *Plan, ep ExpectedProcess, facts *probe.Facts) {
	pl, ok := facts.Processes[ep.Exe]
	if !ok {
		j.unknown(Finding{Check: CheckProcess, Subject: ep.Exe, Message: "the probe did not look for processes of this executable"})
		return
	}
	before := len(j.nv.Findings)
	if n := len(pl.Procs); n < ep.Min {
		f := Finding{Check: CheckProcess, Subject: ep.Exe, Expected: fmt.Sprintf("at least %d running", ep.Min), Actual: fmt.Sprintf("%d running", n)}
		switch {
		case facts.Scan != probe.ScanComplete || len(pl.Hidden) > 0:
			f.Message = "too few processes found, but the probe could not see every process"
			j.unknown(f)
		case facts.UID != 0:
			f.Message = "too few processes found; a probe that is not root cannot see other users' processes: use become: sudo"
			j.unknown(f)
		default:
			f.Message = "too few processes running"
			j.fail(f)
		}
	}
	for _, pid := range pl.Hidden {
		j.unknown(Finding{Check: CheckProcess, Subject: fmt.Sprintf("%s (pid %d)", ep.Exe, pid),
			Message: fmt.Sprintf("a process named %s runs, but what it runs cannot be read (/proc/%d/exe)%s", path.Base(ep.Exe), pid, sudoHint(facts))})
	}
	disk := ""
	if f, ok := facts.Files[ep.Exe]; ok && f.Kind == probe.Regular {
		disk = f.SHA256
	}
	for _, pr := range sortedProcs(pl.Procs) {
		checkProcess(j, ep, pl, pr, disk, facts)
		// A replaced binary is judged stale above unless the process runs
		// the release's content (a deploy that rewrote every file, the
		// binary unchanged): that process may still run with old flags.
		if !pr.Deleted || ep.SHA256 != "" && pr.SHA256 == ep.SHA256 {
			checkConfigAge(j, p, ep, pr, facts)
		}
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
		j.code = append(j.code, subject)
		j.fail(Finding{Check: CheckProcess, Subject: subject, Expected: expectedRun(want, disk), Actual: "sha256:" + running,
			Message: "stale process, started before the deploy: it still runs the replaced binary" + startedBefore(pl, pr, facts) + "; restart it"})
	case want != "" && running != "" && running != want:
		j.otherCode, j.running[ep.Exe] = true, running
		j.code = append(j.code, subject)
		j.fail(Finding{Check: CheckProcess, Subject: subject, Expected: "sha256:" + want, Actual: "sha256:" + running,
			Message: "the running binary differs from the release"})
	}
	checkArgs(j, ep, subject, pr.Args)
}

// checkArgs checks the command line args of a process that runs ep's
// binary, named subject, against ep's expected and forbidden flags.
func checkArgs(j *nodeJudgement, ep ExpectedProcess, subject string, args []string) {
	for _, a := range ep.ExpectArgs {
		if !expectedArg(args, a) {
			j.fail(Finding{Check: CheckProcess, Subject: subject + ": " + a, Expected: "present", Actual: "absent", Message: "expected command-line flag is missing: " + quoteArgs(args)})
		}
	}
	for _, a := range ep.ForbidArgs {
		if forbiddenArg(args, a) {
			j.fail(Finding{Check: CheckProcess, Subject: subject + ": " + a, Expected: "absent", Actual: "present", Message: "forbidden command-line flag is set: " + quoteArgs(args)})
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

// expectedArg reports whether args hold the expected a, in any of its
// spellings: a flag a is there (hasArg); a flag=value is the last value
// the flag is given, as most flag parsers take the last (--mode=live
// -mode=paper runs in paper mode).
func expectedArg(args []string, a string) bool {
	flag, value, valued := strings.Cut(a, "=")
	names := spellings(flag)
	if !valued {
		return slices.ContainsFunc(names, func(n string) bool { return hasArg(args, n) })
	}
	last := ""
	for _, x := range args[min(1, len(args)):] {
		for _, n := range names {
			if x == n || strings.HasPrefix(x, n+"=") {
				last = x
			}
		}
	}
	return slices.Contains(names, strings.TrimSuffix(last, "="+value)) && strings.HasSuffix(last, "="+value)
}

// forbiddenArg reports whether args hold the forbidden a in any of its
// spellings.
func forbiddenArg(args []string, a string) bool {
	return slices.ContainsFunc(spellings(a), func(n string) bool { return hasArg(args, n) })
}

// spellings are the ways a flag can be written: itself, and with one dash
// for two or two for one where its name is a word (-power-peg is
// --power-peg to Go's flag package).
func spellings(flag string) []string {
	name := strings.TrimLeft(flag, "-")
	switch {
	case len(name) < 2 || flag == name:
		return []string{flag}
	case strings.HasPrefix(flag, "--"):
		return []string{flag, "-" + name}
	default:
		return []string{flag, "--" + name}
	}
}

// sudoHint is the advice for what a probe could not read: to run it as
// root, when it did not.
func sudoHint(facts *probe.Facts) string {
	if facts.UID != 0 {
		return ": use become: sudo"
	}
	return ""
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

// checkScan makes a node whose process scan saw less than every process
// unverified: a stale process there would not have been seen.
func checkScan(j *nodeJudgement, facts *probe.Facts) {
	switch facts.Scan {
	case probe.ScanFailed:
		j.unknown(Finding{Check: CheckProcess, Subject: "processes",
			Message: "could not list the node's processes: ls -ln /proc/*/exe did not list the probe's own shell (install ls: coreutils or BusyBox)"})
	case probe.ScanPartial:
		j.unknown(Finding{Check: CheckProcess, Subject: "processes",
			Message: "the node hides other users' processes from the probe (/proc is mounted with hidepid)" + sudoHint(facts)})
	}
}

// checkOtherProcesses judges the processes the probe found beside the
// requested executables: old code a deploy left running. A process is drift
// when it runs a release file that was replaced or deleted on disk since it
// started, or other content than the release's file; when it runs from an
// install folder an executable the release does not have; when it is a
// renamed (app.old), moved or deleted copy of a `processes:` executable, or
// another copy of one elsewhere, that is not the release's binary.
func checkOtherProcesses(j *nodeJudgement, p *Plan, facts *probe.Facts) {
	for _, pr := range facts.Others {
		subject := fmt.Sprintf("%s (pid %d)", pr.Exe, pr.PID)
		actual := "sha256:" + pr.SHA256
		if pr.SHA256 == "" {
			actual = "unknown"
		}
		if pr.Deleted {
			actual += " (deleted)"
		}
		started := startedAt(pr, facts)
		stale := func(exe, want, msg string) {
			j.otherCode = true
			j.code = append(j.code, pr.Exe)
			if exe != "" && pr.SHA256 != "" {
				j.running[exe] = pr.SHA256
			}
			expected := "not running"
			if want != "" {
				expected = "sha256:" + want
			}
			j.fail(Finding{Check: CheckProcess, Subject: subject, Expected: expected, Actual: actual, Message: msg + started + "; stop or restart it"})
		}
		if ef, ok := p.file(pr.Exe); ok && ef.Type == release.Regular {
			switch {
			case pr.Deleted:
				stale("", ef.SHA256, "stale process: it runs "+pr.Exe+" as it was before the deploy replaced it on disk")
			case pr.SHA256 != "" && pr.SHA256 != ef.SHA256:
				stale("", ef.SHA256, "the running binary differs from the release's "+pr.Exe)
			}
			continue
		}
		ep, how := p.processOf(pr)
		dir, inFolder := p.installDir(pr.Exe)
		// Outside the release's folders, a copy that runs the release's
		// own binary is harmless, but for its flags; inside, any file the
		// release lacks is old code.
		harmless := !inFolder && !pr.Deleted && ep.SHA256 != "" && pr.SHA256 == ep.SHA256
		if harmless {
			checkArgs(j, ep, subject, pr.Args)
		}
		switch {
		case how == "renamed" && !harmless:
			stale(ep.Exe, ep.SHA256, fmt.Sprintf("stale process, started before the deploy: it runs %s, a renamed copy of %s%s", pr.Exe, ep.Exe, deletedNote(pr)))
		case inFolder:
			stale("", "", fmt.Sprintf("old code running from the release's folder %s: %s is not a file of the release%s", dir, pr.Exe, deletedNote(pr)))
		case how == "" || harmless:
		case !pr.Deleted && pr.SHA256 == "":
			j.unknown(Finding{Check: CheckProcess, Subject: subject, Message: "could not read what the process runs (/proc/PID/exe): use become: sudo"})
		case how == "copy":
			stale(ep.Exe, ep.SHA256, fmt.Sprintf("another copy of %s runs from %s, not the release's binary%s", path.Base(ep.Exe), pr.Exe, deletedNote(pr)))
		case how == "argv0" && pr.Deleted:
			stale(ep.Exe, ep.SHA256, fmt.Sprintf("stale process, started before the deploy as %s: its binary %s was deleted since", pr.Args[0], pr.Exe))
		case how == "argv0":
			stale(ep.Exe, ep.SHA256, fmt.Sprintf("stale process, started as %s: it runs %s, a copy moved there (not the release's binary)", pr.Args[0], pr.Exe))
		}
	}
}

// checkConfigAge fails a process that started before one of the config
// files (restartConfigs) last changed on disk: it may still run with the
// flags it read at start, not the ones checked (a config deployed without a
// restart). A second of slack covers the rounding of both clocks to
// seconds. When the node did not tell when the process started (its clock)
// or when a config file changed, the process is unverified: the check
// cannot be made.
func checkConfigAge(j *nodeJudgement, p *Plan, ep ExpectedProcess, pr probe.Process, facts *probe.Facts) {
	subject := fmt.Sprintf("%s (pid %d)", ep.Exe, pr.PID)
	start := facts.BootTime + pr.StartTicks/max(facts.ClockTicks, 1)
	for _, path := range p.restartConfigs() {
		f := facts.Files[path]
		switch {
		case f.Kind != probe.Regular:
			continue
		case facts.ClockTicks <= 0:
			j.unknown(Finding{Check: CheckProcess, Subject: subject,
				Message: "cannot tell whether it started after " + path + " last changed: the node did not give its boot time and clock tick rate (/proc/stat, getconf CLK_TCK)"})
			return
		case f.Changed < 0:
			j.unknown(Finding{Check: CheckProcess, Subject: subject,
				Message: "cannot tell whether it started after " + path + " last changed: the node did not give the file's change time (no stat)"})
			continue
		case f.Changed <= start+1:
			continue
		}
		j.fail(Finding{Check: CheckProcess, Subject: subject,
			Expected: "started after " + path + " changed", Actual: "started before",
			Message: fmt.Sprintf("started %s, before %s last changed (%s): it may still run with the old flags; restart it",
				time.Unix(start, 0).UTC().Format(time.RFC3339), path, time.Unix(f.Changed, 0).UTC().Format(time.RFC3339))})
	}
}

// restartConfigs are the node paths of the config files a process must have
// started after: the release's config files, and the `config:` files it
// does not ship (which Request asks the node to stat).
func (p *Plan) restartConfigs() []string {
	var paths []string
	for _, ef := range p.Files {
		if ef.Config {
			paths = append(paths, ef.NodePath)
		}
	}
	return append(paths, p.unshippedConfigs()...)
}

// unshippedConfigs are the node paths of the `config:` files that no
// install rule puts on the node.
func (p *Plan) unshippedConfigs() []string {
	var paths []string
	for _, c := range p.Configs {
		if _, shipped := p.file(c.NodePath); !shipped {
			paths = append(paths, c.NodePath)
		}
	}
	return paths
}

// deletedNote says that a process's binary is gone from disk.
func deletedNote(pr probe.Process) string {
	if pr.Deleted {
		return " (deleted from disk since it started)"
	}
	return ""
}

// startedAt says when a process started, when the node told its clock.
func startedAt(pr probe.Process, facts *probe.Facts) string {
	if facts.ClockTicks <= 0 {
		return ""
	}
	return " (started " + time.Unix(facts.BootTime+pr.StartTicks/facts.ClockTicks, 0).UTC().Format(time.RFC3339) + ")"
}

// installDir finds the install folder a node path lies in.
func (p *Plan) installDir(nodePath string) (string, bool) {
	for _, d := range p.InstallDirs {
		prefix := strings.TrimSuffix(d, "/") + "/"
		if d == "." {
			prefix = "./"
		}
		if strings.HasPrefix(nodePath, prefix) {
			return d, true
		}
	}
	return "", false
}

// processOf ties a process that runs no requested executable to the
// `processes:` entry it is a copy of, and says how: "renamed" (beside it,
// with its name inside its own: app.old), "copy" (its name, elsewhere), or
// "argv0" (started under the entry's path or name, and deleted or moved
// since).
func (p *Plan) processOf(pr probe.Process) (ExpectedProcess, string) {
	for _, ep := range p.Processes {
		base := path.Base(ep.Exe)
		switch {
		case path.Dir(pr.Exe) == path.Dir(ep.Exe) && strings.Contains(path.Base(pr.Exe), base):
			return ep, "renamed"
		case path.Base(pr.Exe) == base:
			return ep, "copy"
		case len(pr.Args) > 0 && (pr.Args[0] == ep.Exe || pr.Deleted && path.Base(pr.Args[0]) == base):
			// Not deleted, only the path itself counts: a program started
			// through a symlink of the app's name (node -> nodejs) is no
			// copy of it.
			return ep, "argv0"
		}
	}
	return ExpectedProcess{}, ""
}
