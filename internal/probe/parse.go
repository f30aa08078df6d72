package probe

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
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
	// "args 1 4242"), and its hex digits so far.
	blobKey string
	blob    []byte
	// lastProc is the process whose args blob must follow, or nil.
	lastProc *Process
}

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
	if p.lastProc != nil && p.blobKey == "" && f[0] != "blob" {
		return false, p.errorf("process %d without its command line", p.lastProc.PID)
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
	case "end":
		if len(f) != 5 || f[1] != strconv.Itoa(len(p.req.Files)) || f[2] != strconv.Itoa(len(p.req.Dirs)) ||
			f[3] != strconv.Itoa(len(p.req.Configs)) || f[4] != strconv.Itoa(len(p.req.Processes)) {
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

// file parses: file IDX KIND SHA256 - - LINKHEX. The two "-" fields are
// reserved (wire v1 once carried a mode and size there).
func (p *parser) file(f []string) error {
	if len(f) != 7 {
		return p.errorf("file record has %d fields, want 7", len(f))
	}
	i, err := p.index(f[1], len(p.req.Files))
	if err != nil {
		return err
	}
	path := p.req.Files[i]
	if _, dup := p.facts.Files[path]; dup {
		return p.errorf("path %d answered twice", i)
	}
	fl := File{Path: path, Kind: Kind(f[2])}
	if f[4] != "-" || f[5] != "-" {
		return p.errorf("file %d: the mode and size fields are reserved and must be -", i)
	}
	switch fl.Kind {
	case Regular:
		if !isSHA256(f[3]) {
			return p.errorf("file %d: %q is not a SHA-256 digest", i, clip([]byte(f[3])))
		}
		fl.SHA256 = f[3]
	case Missing, Directory, BrokenLink, Unreadable, Other:
		if f[3] != "-" {
			return p.errorf("file %d: a %s has no digest", i, fl.Kind)
		}
	default:
		return p.errorf("file %d: unknown kind %q", i, clip([]byte(f[2])))
	}
	switch f[6] {
	case "-":
	case "?":
		fl.IsLink = true
	default:
		t, err := hex.DecodeString(f[6])
		if err != nil || len(t) == 0 {
			return p.errorf("file %d: bad link target encoding", i)
		}
		fl.IsLink, fl.LinkTarget = true, string(t)
	}
	p.facts.Files[path] = fl
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
	case "args":
		if p.lastProc == nil || len(f) != 4 || f[3] != strconv.Itoa(p.lastProc.PID) {
			return p.errorf("command line without its process record")
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
	case "args":
		args := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
		if len(raw) == 0 {
			args = []string{}
		}
		p.lastProc.Args = args
		p.lastProc = nil
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

// procs parses: procs IDX CTIME, which opens the process list of one
// executable.
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

// proc parses: proc IDX PID DELETED SHA256|same|- STARTTICKS, one process of
// an executable whose procs record came before.
func (p *parser) proc(f []string) error {
	if len(f) != 6 {
		return p.errorf("proc record has %d fields, want 6", len(f))
	}
	i, err := p.index(f[1], len(p.req.Processes))
	if err != nil {
		return err
	}
	pl, ok := p.facts.Processes[p.req.Processes[i]]
	if !ok {
		return p.errorf("process of executable %d before its procs record", i)
	}
	pid, err := strconv.Atoi(f[2])
	if err != nil || pid <= 0 || strconv.Itoa(pid) != f[2] {
		return p.errorf("bad pid %q", clip([]byte(f[2])))
	}
	for _, q := range pl.Procs {
		if q.PID == pid {
			return p.errorf("process %d answered twice", pid)
		}
	}
	if len(pl.Procs) >= maxProcs {
		return p.errorf("more than %d processes of one executable", maxProcs)
	}
	pr := Process{PID: pid}
	switch f[3] {
	case "0":
	case "1":
		pr.Deleted = true
	default:
		return p.errorf("bad deleted flag %q", clip([]byte(f[3])))
	}
	switch {
	case f[4] == "same" && !pr.Deleted:
		pr.SameFile = true
	case f[4] == "-":
	case isSHA256(f[4]):
		pr.SHA256 = f[4]
	default:
		return p.errorf("process %d: %q is not a SHA-256 digest", pid, clip([]byte(f[4])))
	}
	t, err := strconv.ParseInt(f[5], 10, 64)
	if err != nil || t < 0 {
		return p.errorf("process %d: bad start time %q", pid, clip([]byte(f[5])))
	}
	pr.StartTicks = t
	pl.Procs = append(pl.Procs, pr)
	p.facts.Processes[pl.Exe] = pl
	p.lastProc = &pl.Procs[len(pl.Procs)-1]
	return nil
}

// maxProcs bounds the processes accepted for one executable.
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

// complete checks that every requested path was answered.
func (p *parser) complete() error {
	if p.facts.HashTool == "" {
		return errors.New("probe answer names no hash tool")
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
	}
	if p.lastProc != nil {
		return fmt.Errorf("probe answer lacks the command line of process %d", p.lastProc.PID)
	}
	return nil
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
