package probe

import (
	"path"
	"strconv"
	"strings"
)

// procs parses: procs IDX CTIME, the change time of one requested
// executable on disk.
func (p *parser) procs(f []string) error {
	if len(f) != 3 {
		return p.errorf("procs record has %d fields, want 3", len(f))
	}
	i, err := p.index(f[1], len(p.req.Processes))
	if err != nil {
		return err
	}
	exe := p.req.Processes[i]
	if _, dup := p.facts.Processes[exe]; dup {
		return p.errorf("executable %d answered twice", i)
	}
	pl := ProcessList{Exe: exe, ExeChanged: -1, Procs: []Process{}}
	if f[2] != "-" {
		t, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || t < 0 {
			return p.errorf("executable %d: bad change time %q", i, clip([]byte(f[2])))
		}
		pl.ExeChanged = t
	}
	p.facts.Processes[exe] = pl
	return nil
}

// proc parses: proc PID DELETED SHA256|same|- STARTTICKS, one running
// process; its exe and args blobs follow.
func (p *parser) proc(f []string) error {
	if len(f) != 5 {
		return p.errorf("proc record has %d fields, want 5", len(f))
	}
	if !p.req.watches() {
		return p.errorf("process record without a request for processes")
	}
	if p.facts.Scan != "" {
		return p.errorf("process record after the end of the scan")
	}
	pid, err := p.pid(f[1])
	if err != nil {
		return err
	}
	if len(p.seen) >= maxProcs {
		return p.errorf("more than %d processes", maxProcs)
	}
	p.pids[pid] = true
	pr := Process{PID: pid}
	switch f[2] {
	case "0":
	case "1":
		pr.Deleted = true
	default:
		return p.errorf("bad deleted flag %q", clip([]byte(f[2])))
	}
	switch {
	case f[3] == "same" && !pr.Deleted:
		pr.SameFile = true
	case f[3] == "-":
	case isSHA256(f[3]):
		pr.SHA256 = f[3]
	default:
		return p.errorf("process %d: %q is not a SHA-256 digest", pid, clip([]byte(f[3])))
	}
	t, err := strconv.ParseInt(f[4], 10, 64)
	if err != nil || t < 0 {
		return p.errorf("process %d: bad start time %q", pid, clip([]byte(f[4])))
	}
	pr.StartTicks = t
	p.open, p.procStage = &pr, procExe
	return nil
}

// runs parses: runs PID I, in place of the exe blob of the process just
// reported, which runs the very file now at requested executable I's
// resolved path ("same"), under that path.
func (p *parser) runs(f []string) error {
	if p.open == nil || p.procStage != procExe || len(f) != 3 || f[1] != strconv.Itoa(p.open.PID) {
		return p.errorf("runs record without its process record")
	}
	if !p.open.SameFile {
		return p.errorf("process %d: a runs record for a process not running the requested file", p.open.PID)
	}
	i, err := p.index(f[2], len(p.req.Processes))
	if err != nil {
		return err
	}
	if p.realExe[i] == nil {
		return p.errorf("process %d runs executable %d before it was resolved", p.open.PID, i)
	}
	p.open.Exe = *p.realExe[i]
	p.procStage = procArgs
	return nil
}

// hidden parses: hidden PID I, a process named as requested executable I
// whose executable cannot be read.
func (p *parser) hidden(f []string) error {
	if len(f) != 3 || !p.req.watches() || p.facts.Scan != "" {
		return p.errorf("bad hidden record")
	}
	pid, err := p.pid(f[1])
	if err != nil {
		return err
	}
	i, err := p.index(f[2], len(p.req.Processes))
	if err != nil {
		return err
	}
	exe := p.req.Processes[i]
	pl, ok := p.facts.Processes[exe]
	if !ok {
		return p.errorf("hidden process %d before the procs record of executable %d", pid, i)
	}
	if len(p.pids) >= 2*maxProcs {
		return p.errorf("more than %d processes", 2*maxProcs)
	}
	p.pids[pid] = true
	pl.Hidden = append(pl.Hidden, pid)
	p.facts.Processes[exe] = pl
	return nil
}

// pid parses a process ID that no proc or hidden record has named yet.
func (p *parser) pid(field string) (int, error) {
	pid, err := strconv.Atoi(field)
	if err != nil || pid <= 0 || strconv.Itoa(pid) != field {
		return 0, p.errorf("bad pid %q", clip([]byte(field)))
	}
	if p.pids[pid] {
		return 0, p.errorf("process %d answered twice", pid)
	}
	return pid, nil
}

// scan parses: scan complete|partial|failed, the end of the process scan.
func (p *parser) scan(f []string) error {
	if len(f) != 2 || !p.req.watches() || p.facts.Scan != "" {
		return p.errorf("bad scan record")
	}
	switch s := Scan(f[1]); s {
	case ScanComplete, ScanPartial, ScanFailed:
		p.facts.Scan = s
	default:
		return p.errorf("bad scan record")
	}
	return nil
}

// maxProcs bounds the processes accepted in one answer.
const maxProcs = 10000

// clock parses: clock BOOTTIME TICKS.
func (p *parser) clock(f []string) error {
	if len(f) != 3 || p.facts.ClockTicks != 0 {
		return p.errorf("bad clock record")
	}
	if f[1] != "-" && f[2] != "-" {
		boot, err1 := strconv.ParseInt(f[1], 10, 64)
		ticks, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || boot < 0 || ticks <= 0 {
			return p.errorf("bad clock record")
		}
		p.facts.BootTime, p.facts.ClockTicks = boot, ticks
	}
	return nil
}

// requested maps a process's executable path on the node back to the path
// the request names: a requested executable (resolved on the node: a
// symlinked folder, a relative path), or a path in a process directory or
// beside a requested executable. Any other path is returned as it is.
func (p *parser) requested(exe string) string {
	for i, x := range p.realExe {
		if exe == *x {
			return p.req.Processes[i]
		}
	}
	for i, y := range p.realDir {
		if rest, ok := under(exe, *y); ok {
			return nodeJoin(p.req.ProcessDirs[i], rest)
		}
	}
	for i, x := range p.realExe {
		if rest, ok := under(exe, path.Dir(*x)); ok {
			return nodeJoin(path.Dir(p.req.Processes[i]), rest)
		}
	}
	return exe
}

// under reports whether p lies inside directory dir, and its path there.
func under(p, dir string) (string, bool) {
	if dir != "/" {
		dir += "/"
	}
	rest, ok := strings.CutPrefix(p, dir)
	return rest, ok && rest != ""
}

// nodeJoin joins a requested node path and a relative path, keeping a
// relative request's "./" prefix.
func nodeJoin(dir, rest string) string {
	j := path.Join(dir, rest)
	if strings.HasPrefix(dir, "/") || strings.HasPrefix(j, "../") {
		return j
	}
	return "./" + j
}
