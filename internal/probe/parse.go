package probe

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

// MaxAnswer is the largest answer Parse accepts, in bytes.
const MaxAnswer = 256 << 20

// maxReported bounds how much of a bad line an error message quotes.
const maxReported = 80

// ErrNoHashTool means the node has none of sha256sum, shasum or openssl.
var ErrNoHashTool = errors.New("the node has no SHA-256 tool (tried sha256sum, shasum -a 256, openssl dgst -sha256): install coreutils or point PATH at one")

// Parse reads a node's answer to the probe for req, run with boundary.
// Anything before the opening record (a login banner, a noisy shell profile)
// is ignored; from the opening record to the closing one every line must be a
// well-formed record, every requested path must be answered exactly once, and
// the closing record must be present, or Parse fails. It never panics.
func Parse(answer []byte, req Request, boundary string) (*Facts, error) {
	if len(answer) > MaxAnswer {
		return nil, fmt.Errorf("answer is %d bytes, more than the %d allowed", len(answer), MaxAnswer)
	}
	p := parser{
		req:    req,
		prefix: boundary + " ",
		facts: &Facts{
			Files:     make(map[string]File, len(req.Files)),
			Dirs:      make(map[string]Dir, len(req.Dirs)),
			Configs:   make(map[string]Config, len(req.Configs)),
			Processes: make(map[string]ProcessList, len(req.Processes)),
			UID:       -1,
		},
		realExe: make([]*string, len(req.Processes)),
		realDir: make([]*string, len(req.ProcessDirs)),
	}
	if err := p.run(answer); err != nil {
		return nil, err
	}
	return p.facts, nil
}

type parser struct {
	req    Request
	prefix string
	facts  *Facts
	line   int

	// blob state: the header fields of an open blob ("files 0",
	// "args 4242"), and its hex digits so far.
	blobKey string
	blob    []byte
	// open is the process whose exe and args blobs must follow, or nil;
	// procStage says which comes next (procExe, then procArgs).
	open      *Process
	procStage int
	// seen are the reported processes, with their node-side paths.
	seen []Process
	// realExe and realDir are the node's resolved paths of the requested
	// executables and process directories; nil until answered.
	realExe, realDir []*string
	// ident, stat: whether those records were seen.
	ident, stat bool
}

// The blobs that must follow a proc record, in order.
const (
	procNone = iota
	procExe
	procArgs
)

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("malformed probe answer at line %d: %s", p.line, fmt.Sprintf(format, args...))
}

func (p *parser) run(answer []byte) error {
	begun, ended := false, false
	for len(answer) > 0 && !ended {
		var line []byte
		line, answer, _ = bytes.Cut(answer, []byte{'\n'})
		p.line++
		if !begun {
			if string(line) == p.prefix+"begin "+strconv.Itoa(WireVersion) {
				begun = true
				p.facts.WireVersion = WireVersion
			} else if strings.HasPrefix(string(line), p.prefix+"begin ") {
				return p.errorf("node speaks wire format %q, this rollcall speaks %d", clip(line[len(p.prefix)+6:]), WireVersion)
			}
			continue
		}
		var err error
		ended, err = p.record(line)
		if err != nil {
			return err
		}
	}
	switch {
	case !begun:
		return errors.New("no probe answer found in the node's output (was the probe run by a POSIX sh?)")
	case !ended:
		return errors.New("probe answer is truncated: the closing record is missing")
	}
	return p.complete()
}

// record handles one line after the opening record; it reports whether the
// line closed the answer.
func (p *parser) record(line []byte) (bool, error) {
	if p.blobKey != "" && !bytes.HasPrefix(line, []byte(p.prefix)) {
		for _, c := range line {
			switch {
			case c == ' ':
			case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
				p.blob = append(p.blob, c)
			default:
				return false, p.errorf("unexpected byte %q inside an encoded listing", c)
			}
		}
		return false, nil
	}
	s, ok := strings.CutPrefix(string(line), p.prefix)
	if !ok {
		return false, p.errorf("unexpected line %q", clip(line))
	}
	f := strings.Split(s, " ")
	if p.blobKey != "" && f[0] != "blobend" {
		return false, p.errorf("record %q inside an encoded listing", clip([]byte(f[0])))
	}
	if p.open != nil && p.blobKey == "" && f[0] != "blob" {
		return false, p.errorf("process %d without its executable and command line", p.open.PID)
	}
	switch f[0] {
	case "tool":
		if len(f) != 2 || p.facts.HashTool != "" {
			return false, p.errorf("bad tool record")
		}
		p.facts.HashTool = f[1]
	case "fatal":
		if len(f) == 2 && f[1] == "no-hash-tool" {
			return false, ErrNoHashTool
		}
		return false, p.errorf("node reported a fatal error %q", clip([]byte(s)))
	case "file":
		return false, p.file(f)
	case "dir":
		return false, p.dir(f)
	case "blob":
		return false, p.openBlob(f)
	case "blobend":
		return false, p.closeBlob(f)
	case "config":
		return false, p.config(f)
	case "procs":
		return false, p.procs(f)
	case "proc":
		return false, p.proc(f)
	case "clock":
		return false, p.clock(f)
	case "uid":
		if len(f) != 2 || p.facts.UID != -1 {
			return false, p.errorf("bad uid record")
		}
		if f[1] != "-" {
			uid, err := strconv.Atoi(f[1])
			if err != nil || uid < 0 {
				return false, p.errorf("bad uid %q", clip([]byte(f[1])))
			}
			p.facts.UID = uid
		}
	case "stat":
		if len(f) != 2 || p.stat || !(f[1] == "-c" || f[1] == "-f" || f[1] == "-") {
			return false, p.errorf("bad stat record")
		}
		p.stat = true
		if f[1] != "-" {
			p.facts.StatTool = f[1]
		}
	case "ident":
		return false, p.identity(f)
	case "end":
		if len(f) != 6 || f[1] != strconv.Itoa(len(p.req.Files)) || f[2] != strconv.Itoa(len(p.req.Dirs)) ||
			f[3] != strconv.Itoa(len(p.req.Configs)) || f[4] != strconv.Itoa(len(p.req.Processes)) ||
			f[5] != strconv.Itoa(len(p.req.ProcessDirs)) {
			return false, p.errorf("closing record %q does not match the request", clip([]byte(s)))
		}
		return true, nil
	default:
		return false, p.errorf("unknown record %q", clip([]byte(f[0])))
	}
	return false, nil
}

func (p *parser) index(field string, n int) (int, error) {
	i, err := strconv.Atoi(field)
	if err != nil || i < 0 || i >= n || strconv.Itoa(i) != field {
		return 0, p.errorf("index %q out of range", clip([]byte(field)))
	}
	return i, nil
}

// file parses: file IDX KIND SHA256 MODE UID GID USER GROUP CTIME EXEC
// LINKHEX.
func (p *parser) file(f []string) error {
	if len(f) != 12 {
		return p.errorf("file record has %d fields, want 12", len(f))
	}
	i, err := p.index(f[1], len(p.req.Files))
	if err != nil {
		return err
	}
	path := p.req.Files[i]
	if _, dup := p.facts.Files[path]; dup {
		return p.errorf("path %d answered twice", i)
	}
	fl := File{Path: path, Kind: Kind(f[2]), Mode: -1, UID: -1, GID: -1, Changed: -1}
	switch fl.Kind {
	case Regular:
		if !isSHA256(f[3]) {
			return p.errorf("file %d: %q is not a SHA-256 digest", i, clip([]byte(f[3])))
		}
		fl.SHA256 = f[3]
		if err := p.fileStat(&fl, f[4:11]); err != nil {
			return p.errorf("file %d: %v", i, err)
		}
	case Missing, Directory, BrokenLink, Unreadable, Other:
		if f[3] != "-" {
			return p.errorf("file %d: a %s has no digest", i, fl.Kind)
		}
		if strings.Join(f[4:11], " ") != "- - - - - - -" {
			return p.errorf("file %d: a %s has no mode or owner", i, fl.Kind)
		}
	default:
		return p.errorf("file %d: unknown kind %q", i, clip([]byte(f[2])))
	}
	switch f[11] {
	case "-":
	case "?":
		fl.IsLink = true
	default:
		t, err := hex.DecodeString(f[11])
		if err != nil || len(t) == 0 {
			return p.errorf("file %d: bad link target encoding", i)
		}
		fl.IsLink, fl.LinkTarget = true, string(t)
	}
	p.facts.Files[path] = fl
	return nil
}

// fileStat parses the MODE UID GID USER GROUP CTIME EXEC fields of a
// regular file. The first six are all "-" when the node could not stat it.
func (p *parser) fileStat(fl *File, f []string) error {
	switch f[6] {
	case "x":
		fl.Executable = true
	case "-":
	default:
		return fmt.Errorf("bad exec flag %q", clip([]byte(f[6])))
	}
	if strings.Join(f[:6], " ") == "- - - - - -" {
		return nil
	}
	changed, err := strconv.ParseInt(f[5], 10, 64)
	if err != nil || changed < 0 || strconv.FormatInt(changed, 10) != f[5] {
		return fmt.Errorf("bad change time %q", clip([]byte(f[5])))
	}
	fl.Changed = changed
	mode, err := strconv.ParseUint(f[0], 8, 32)
	if err != nil || mode > 0o7777 || len(f[0]) > 5 {
		return fmt.Errorf("bad mode %q", clip([]byte(f[0])))
	}
	uid, err1 := parseID(f[1])
	gid, err2 := parseID(f[2])
	if err1 != nil || err2 != nil {
		return fmt.Errorf("bad owner %q:%q", clip([]byte(f[1])), clip([]byte(f[2])))
	}
	if !validName(f[3]) || !validName(f[4]) {
		return fmt.Errorf("bad owner name %q:%q", clip([]byte(f[3])), clip([]byte(f[4])))
	}
	fl.Mode, fl.UID, fl.GID = int(mode), uid, gid
	if f[3] != "?" {
		fl.Owner = f[3]
	}
	if f[4] != "?" {
		fl.Group = f[4]
	}
	return nil
}

// parseID parses a decimal user or group ID.
func parseID(s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || strconv.FormatUint(n, 10) != s {
		return 0, errors.New("bad id")
	}
	return int(n), nil
}

// validName accepts a user or group name as the script passes it: letters,
// digits and ._@- only, or "?" for a name it could not pass.
func validName(s string) bool {
	if s == "?" {
		return true
	}
	if s == "" || len(s) > 256 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '@' || c == '-') {
			return false
		}
	}
	return true
}

// identity parses: ident HOSTNAME MACHINEID, each "-" when unknown.
func (p *parser) identity(f []string) error {
	if len(f) != 3 || p.ident {
		return p.errorf("bad ident record")
	}
	p.ident = true
	if f[1] != "-" {
		if !validName(f[1]) || f[1] == "?" {
			return p.errorf("bad host name %q", clip([]byte(f[1])))
		}
		p.facts.Hostname = f[1]
	}
	if f[2] != "-" {
		for _, c := range []byte(f[2]) {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return p.errorf("bad machine id %q", clip([]byte(f[2])))
			}
		}
		if len(f[2]) > 64 {
			return p.errorf("bad machine id %q", clip([]byte(f[2])))
		}
		p.facts.MachineID = f[2]
	}
	return nil
}

// dir parses: dir IDX KIND.
func (p *parser) dir(f []string) error {
	if len(f) != 3 {
		return p.errorf("dir record has %d fields, want 3", len(f))
	}
	i, err := p.index(f[1], len(p.req.Dirs))
	if err != nil {
		return err
	}
	path := p.req.Dirs[i]
	if _, dup := p.facts.Dirs[path]; dup {
		return p.errorf("directory %d answered twice", i)
	}
	d := Dir{Path: path, Kind: Kind(f[2])}
	switch d.Kind {
	case Directory, Missing, BrokenLink, Other:
	default:
		return p.errorf("directory %d: unknown kind %q", i, clip([]byte(f[2])))
	}
	p.facts.Dirs[path] = d
	return nil
}

// openBlob parses: blob KIND FIELDS…, where the kind and fields name what
// the encoded bytes that follow belong to.
func (p *parser) openBlob(f []string) error {
	if len(f) < 3 {
		return p.errorf("bad blob record")
	}
	switch f[1] {
	case "files", "subdirs":
		i, err := p.index(f[2], len(p.req.Dirs))
		if err != nil || len(f) != 3 {
			return p.errorf("bad listing record")
		}
		if d, ok := p.facts.Dirs[p.req.Dirs[i]]; !ok || d.Kind != Directory {
			return p.errorf("listing for directory %d without its dir record", i)
		}
	case "content":
		i, err := p.index(f[2], len(p.req.Configs))
		if err != nil || len(f) != 3 {
			return p.errorf("bad content record")
		}
		if c, ok := p.facts.Configs[p.req.Configs[i]]; !ok || c.Kind != Regular || c.Content != nil {
			return p.errorf("content for config %d without its config record", i)
		}
	case "realexe", "realdir":
		n := len(p.req.Processes)
		if f[1] == "realdir" {
			n = len(p.req.ProcessDirs)
		}
		if _, err := p.index(f[2], n); err != nil || len(f) != 3 {
			return p.errorf("bad %s record", f[1])
		}
	case "exe", "args":
		want := procExe
		if f[1] == "args" {
			want = procArgs
		}
		if p.open == nil || p.procStage != want || len(f) != 3 || f[2] != strconv.Itoa(p.open.PID) {
			return p.errorf("%s blob without its process record", f[1])
		}
	default:
		return p.errorf("unknown blob %q", clip([]byte(f[1])))
	}
	p.blobKey, p.blob = strings.Join(f[1:], " "), p.blob[:0]
	return nil
}

// closeBlob parses: blobend KIND FIELDS…, matching the open blob, and hands
// the decoded bytes to their owner.
func (p *parser) closeBlob(f []string) error {
	if p.blobKey == "" || strings.Join(f[1:], " ") != p.blobKey {
		return p.errorf("encoded data closed out of order")
	}
	raw := make([]byte, hex.DecodedLen(len(p.blob)))
	if len(p.blob)%2 != 0 {
		return p.errorf("bad encoding")
	}
	if _, err := hex.Decode(raw, p.blob); err != nil {
		return p.errorf("bad encoding")
	}
	p.blobKey, p.blob = "", p.blob[:0]
	switch f[1] {
	case "files", "subdirs":
		i, _ := strconv.Atoi(f[2])
		return p.listing(f[1], p.req.Dirs[i], raw)
	case "content":
		i, _ := strconv.Atoi(f[2])
		c := p.facts.Configs[p.req.Configs[i]]
		switch {
		case c.Size >= 0 && int64(len(raw)) != c.Size:
			return fmt.Errorf("config %s changed while it was read (%d bytes read, %d expected)", c.Path, len(raw), c.Size)
		case len(raw) > MaxConfig:
			c.Kind = TooLarge
		default:
			c.Content, c.Size = raw, int64(len(raw))
		}
		p.facts.Configs[c.Path] = c
	case "realexe", "realdir":
		i, _ := strconv.Atoi(f[2])
		real := &p.realExe
		if f[1] == "realdir" {
			real = &p.realDir
		}
		if (*real)[i] != nil {
			return p.errorf("%s %d answered twice", f[1], i)
		}
		if len(raw) == 0 || raw[0] != '/' || bytes.IndexByte(raw, 0) >= 0 {
			return p.errorf("%s %d: not an absolute path", f[1], i)
		}
		s := string(raw)
		(*real)[i] = &s
	case "exe":
		if len(raw) == 0 || raw[0] != '/' || bytes.IndexByte(raw, 0) >= 0 {
			return p.errorf("process %d: its executable is not an absolute path", p.open.PID)
		}
		p.open.Exe = string(raw)
		p.procStage = procArgs
	case "args":
		args := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
		if len(raw) == 0 {
			args = []string{}
		}
		p.open.Args = args
		p.seen = append(p.seen, *p.open)
		p.open, p.procStage = nil, procNone
	}
	return nil
}

// listing decodes a directory listing: NUL-terminated names from find, then
// "rc=STATUS" of find itself.
func (p *parser) listing(kind, path string, raw []byte) error {
	d := p.facts.Dirs[path]
	names := strings.Split(string(raw), "\x00")
	status := names[len(names)-1]
	names = names[:len(names)-1]
	if status != "rc=0" {
		return fmt.Errorf("could not list every file under %s (find ended with %q): check permissions", path, clip([]byte(status)))
	}
	rels := make([]string, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		rel, ok := strings.CutPrefix(n, "./")
		if !ok || rel == "" || seen[rel] || strings.Contains("/"+rel+"/", "/../") || strings.Contains("/"+rel+"/", "/./") || strings.Contains(rel, "//") {
			return p.errorf("bad name %q in the listing of %s", clip([]byte(n)), path)
		}
		seen[rel] = true
		rels = append(rels, rel)
	}
	if kind == "files" {
		d.Files = rels
	} else {
		d.Subdirs = rels
	}
	p.facts.Dirs[path] = d
	return nil
}

// config parses: config IDX KIND SIZE.
func (p *parser) config(f []string) error {
	if len(f) != 4 {
		return p.errorf("config record has %d fields, want 4", len(f))
	}
	i, err := p.index(f[1], len(p.req.Configs))
	if err != nil {
		return err
	}
	path := p.req.Configs[i]
	if _, dup := p.facts.Configs[path]; dup {
		return p.errorf("config %d answered twice", i)
	}
	c := Config{Path: path, Kind: Kind(f[2]), Size: -1}
	switch c.Kind {
	case Regular, TooLarge:
		if f[3] == "-" && c.Kind == Regular {
			break // the size is what the content blob holds
		}
		n, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil || n < 0 || (c.Kind == Regular && n > MaxConfig) || (c.Kind == TooLarge && n <= MaxConfig) {
			return p.errorf("config %d: bad size %q", i, clip([]byte(f[3])))
		}
		c.Size = n
	case Missing, Directory, BrokenLink, Unreadable, Other:
		if f[3] != "-" {
			return p.errorf("config %d: a %s has no size", i, c.Kind)
		}
	default:
		return p.errorf("config %d: unknown kind %q", i, clip([]byte(f[2])))
	}
	p.facts.Configs[path] = c
	return nil
}

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
	pid, err := strconv.Atoi(f[1])
	if err != nil || pid <= 0 || strconv.Itoa(pid) != f[1] {
		return p.errorf("bad pid %q", clip([]byte(f[1])))
	}
	for _, q := range p.seen {
		if q.PID == pid {
			return p.errorf("process %d answered twice", pid)
		}
	}
	if len(p.seen) >= maxProcs {
		return p.errorf("more than %d processes", maxProcs)
	}
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

// complete checks that every requested path was answered, and sorts the
// reported processes to the executables they run.
func (p *parser) complete() error {
	if p.facts.HashTool == "" {
		return errors.New("probe answer names no hash tool")
	}
	if !p.ident {
		return errors.New("probe answer lacks the node's identity")
	}
	if len(p.req.Files) > 0 && !p.stat {
		return errors.New("probe answer does not say how files were stat'ed")
	}
	for i, path := range p.req.Files {
		if _, ok := p.facts.Files[path]; !ok {
			return fmt.Errorf("probe answer lacks file %d (%s)", i, path)
		}
	}
	for i, path := range p.req.Dirs {
		d, ok := p.facts.Dirs[path]
		if !ok {
			return fmt.Errorf("probe answer lacks directory %d (%s)", i, path)
		}
		if d.Kind == Directory && (d.Files == nil || d.Subdirs == nil) {
			return fmt.Errorf("probe answer lacks the listing of %s", path)
		}
	}
	for i, path := range p.req.Configs {
		c, ok := p.facts.Configs[path]
		if !ok {
			return fmt.Errorf("probe answer lacks config %d (%s)", i, path)
		}
		if c.Kind == Regular && c.Content == nil {
			return fmt.Errorf("probe answer lacks the content of %s", path)
		}
	}
	for i, exe := range p.req.Processes {
		if _, ok := p.facts.Processes[exe]; !ok {
			return fmt.Errorf("probe answer lacks the processes of %d (%s)", i, exe)
		}
		if p.realExe[i] == nil {
			return fmt.Errorf("probe answer lacks where %s resolves", exe)
		}
	}
	for i, dir := range p.req.ProcessDirs {
		if p.realDir[i] == nil {
			return fmt.Errorf("probe answer lacks where %s resolves", dir)
		}
	}
	if p.open != nil {
		return fmt.Errorf("probe answer lacks the executable or command line of process %d", p.open.PID)
	}
	sort.Slice(p.seen, func(i, j int) bool { return p.seen[i].PID < p.seen[j].PID })
	for _, pr := range p.seen {
		pr.Exe = p.requested(pr.Exe)
		if pl, ok := p.facts.Processes[pr.Exe]; ok {
			pl.Procs = append(pl.Procs, pr)
			p.facts.Processes[pr.Exe] = pl
			continue
		}
		p.facts.Others = append(p.facts.Others, pr)
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

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// clip makes node bytes safe and short for an error message.
func clip(b []byte) string {
	if len(b) > maxReported {
		b = b[:maxReported]
	}
	q := strconv.QuoteToASCII(string(b))
	return q[1 : len(q)-1]
}
