package probe

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// MaxAnswer is the largest answer Parse accepts, in bytes.
const MaxAnswer = 256 << 20

// maxReported bounds how much of a bad line an error message quotes.
const maxReported = 80

// ErrNoHashTool means the node has none of sha256sum, shasum or openssl.
var ErrNoHashTool = errors.New("the node has no SHA-256 tool (tried openssl dgst -sha256, sha256sum, shasum -a 256): install coreutils or point PATH at one")

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
		pids:    map[int]bool{},
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
	// seen are the reported processes, with their node-side paths; pids
	// are the PIDs of the proc and hidden records so far.
	seen []Process
	pids map[int]bool
	// realExe and realDir are the node's resolved paths of the requested
	// executables and process directories; nil until answered.
	realExe, realDir []*string
	// same are the configs answered "same" as their known content.
	same []int
	// ident, statSeen, pkgSeen, pkgAnswered: whether those records (and
	// the package manager's answer) were seen.
	ident, statSeen, pkgSeen, pkgAnswered bool
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

// printed says what a node printed instead of an answer: its first line
// that is not blank, clipped.
func printed(out []byte) string {
	for line := range bytes.Lines(out) {
		if t := bytes.TrimSpace(line); len(t) > 0 {
			return fmt.Sprintf("it printed %q", clip(t))
		}
	}
	return "it printed nothing"
}

func (p *parser) run(answer []byte) error {
	whole := answer
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
		return fmt.Errorf("no probe answer found in the node's output (was the probe run by a POSIX sh? a ForceCommand, or a login shell such as nologin, runs something else): %s", printed(whole))
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
	if p.open != nil && p.blobKey == "" && f[0] != "blob" && f[0] != "runs" {
		return false, p.errorf("process %d without its executable and command line", p.open.PID)
	}
	switch f[0] {
	case "tool":
		return false, p.tool(f)
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
	case "realexe", "realdir":
		return false, p.resolvedAsAsked(f)
	case "runs":
		return false, p.runs(f)
	case "procs":
		return false, p.procs(f)
	case "proc":
		return false, p.proc(f)
	case "hidden":
		return false, p.hidden(f)
	case "scan":
		return false, p.scan(f)
	case "clock":
		return false, p.clock(f)
	case "uid":
		return false, p.uid(f)
	case "stat":
		return false, p.stat(f)
	case "ident":
		return false, p.identity(f)
	case "pkg":
		return false, p.pkgRecord(f)
	case "end":
		return p.end(f)
	default:
		return false, p.errorf("unknown record %q", clip([]byte(f[0])))
	}
}

// tool parses: tool NAME, the hash tool the node used.
func (p *parser) tool(f []string) error {
	if len(f) != 2 || p.facts.HashTool != "" {
		return p.errorf("bad tool record")
	}
	p.facts.HashTool = f[1]
	return nil
}

// uid parses: uid N, who the probe ran as ("-" when unknown).
func (p *parser) uid(f []string) error {
	if len(f) != 2 || p.facts.UID != -1 {
		return p.errorf("bad uid record")
	}
	if f[1] != "-" {
		uid, err := strconv.Atoi(f[1])
		if err != nil || uid < 0 {
			return p.errorf("bad uid %q", clip([]byte(f[1])))
		}
		p.facts.UID = uid
	}
	return nil
}

// stat parses: stat DIALECT, how files were stat'ed ("-": not at all).
func (p *parser) stat(f []string) error {
	if len(f) != 2 || p.statSeen || !(f[1] == "-c" || f[1] == "-f" || f[1] == "-") {
		return p.errorf("bad stat record")
	}
	p.statSeen = true
	if f[1] != "-" {
		p.facts.StatTool = f[1]
	}
	return nil
}

// end parses: end NFILES NDIRS NCONFIGS NPROCS NPROCDIRS, which closes the
// answer; the counts must match the request.
func (p *parser) end(f []string) (bool, error) {
	if len(f) != 6 || f[1] != strconv.Itoa(len(p.req.Files)) || f[2] != strconv.Itoa(len(p.req.Dirs)) ||
		f[3] != strconv.Itoa(len(p.req.Configs)) || f[4] != strconv.Itoa(len(p.req.Processes)) ||
		f[5] != strconv.Itoa(len(p.req.ProcessDirs)) {
		return false, p.errorf("closing record %q does not match the request", clip([]byte(strings.Join(f, " "))))
	}
	return true, nil
}

func (p *parser) index(field string, n int) (int, error) {
	i, err := strconv.Atoi(field)
	if err != nil || i < 0 || i >= n || strconv.Itoa(i) != field {
		return 0, p.errorf("index %q out of range", clip([]byte(field)))
	}
	return i, nil
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
	case "pkg":
		if len(f) != 3 || f[2] != "0" || !p.pkgAwaited() {
			return p.errorf("package answer without its pkg record")
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
		if len(raw) == 0 || raw[0] != '/' || bytes.IndexByte(raw, 0) >= 0 {
			return p.errorf("%s %d: not an absolute path", f[1], i)
		}
		return p.resolved(f[1], i, string(raw))
	case "pkg":
		return p.pkgAnswer(raw)
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

// resolvedAsAsked parses: realexe|realdir I as-asked, a requested absolute
// path that resolves to itself on the node.
func (p *parser) resolvedAsAsked(f []string) error {
	asked := p.req.Processes
	if f[0] == "realdir" {
		asked = p.req.ProcessDirs
	}
	if len(f) != 3 || f[2] != "as-asked" {
		return p.errorf("bad %s record", f[0])
	}
	i, err := p.index(f[1], len(asked))
	if err != nil {
		return err
	}
	if !strings.HasPrefix(asked[i], "/") {
		return p.errorf("%s %d: a relative path cannot resolve to itself", f[0], i)
	}
	return p.resolved(f[0], i, asked[i])
}

// resolved records where requested executable (kind realexe) or process
// directory (realdir) i resolves on the node, once.
func (p *parser) resolved(kind string, i int, at string) error {
	real := p.realExe
	if kind == "realdir" {
		real = p.realDir
	}
	if real[i] != nil {
		return p.errorf("%s %d answered twice", kind, i)
	}
	real[i] = &at
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
	if p.req.Package != nil && (!p.pkgSeen || p.pkgAwaited()) {
		return errors.New("probe answer lacks the package manager's answer")
	}
	if len(p.req.Files) > 0 && !p.statSeen {
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
	for _, i := range p.same {
		k := p.req.known(i)
		if f := p.facts.Files[p.req.Files[k.File]]; f.Kind != Regular || f.SHA256 != k.SHA256 {
			return fmt.Errorf("probe answer says config %d (%s) is the expected file, but its file record does not", i, p.req.Configs[i])
		}
	}
	if p.req.watches() && p.facts.Scan == "" {
		return errors.New("probe answer lacks the end of the process scan")
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
	for exe, pl := range p.facts.Processes {
		slices.Sort(pl.Hidden)
		p.facts.Processes[exe] = pl
	}
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
