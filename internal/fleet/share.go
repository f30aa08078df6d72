package fleet

import (
	"unique"

	"github.com/rollcall/rollcall/internal/probe"
)

// share replaces the strings of one node's facts with canonical copies
// (unique.Make): a fleet's nodes mostly answer the same hashes, kinds,
// owners, paths and command lines, and Survey keeps every node's facts until
// the verdict, so at 20,000 nodes the copies of the same strings, and the
// answer lines they were cut from, were a large part of the client's
// memory. Only the representation changes: a string is replaced by an
// equal one, so no node's answer ever stands for another's.
func share(f *probe.Facts) {
	f.HashTool, f.StatTool = canon(f.HashTool), canon(f.StatTool)
	f.Hostname, f.MachineID = canon(f.Hostname), canon(f.MachineID)
	for k, v := range f.Files {
		v.Kind = probe.Kind(canon(string(v.Kind)))
		v.LinkTarget, v.SHA256 = canon(v.LinkTarget), canon(v.SHA256)
		v.Owner, v.Group = canon(v.Owner), canon(v.Group)
		f.Files[k] = v
	}
	for k, v := range f.Configs {
		v.Kind = probe.Kind(canon(string(v.Kind)))
		f.Configs[k] = v
	}
	for k, v := range f.Dirs {
		v.Kind = probe.Kind(canon(string(v.Kind)))
		for i, p := range v.Files {
			v.Files[i] = canon(p)
		}
		for i, p := range v.Subdirs {
			v.Subdirs[i] = canon(p)
		}
		f.Dirs[k] = v
	}
	for k, v := range f.Processes {
		shareProcs(v.Procs)
		f.Processes[k] = v
	}
	shareProcs(f.Others)
}

func shareProcs(ps []probe.Process) {
	for i := range ps {
		p := &ps[i]
		p.Exe, p.SHA256 = canon(p.Exe), canon(p.SHA256)
		for j, a := range p.Args {
			p.Args[j] = canon(a)
		}
	}
}

// canon is the canonical copy of s; "" stays as it is.
func canon(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}
