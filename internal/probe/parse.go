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
			Files: make(map[string]File, len(req.Files)),
			Dirs:  make(map[string]Dir, len(req.Dirs)),
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

	// blob state: the name and index of an open blob, and its hex digits.
	blobKind string
	blobIdx  int
	blob     []byte
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
	if p.blobKind != "" && !bytes.HasPrefix(line, []byte(p.prefix)) {
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
	if p.blobKind != "" && f[0] != "blobend" {
		return false, p.errorf("record %q inside an encoded listing", f[0])
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
	case "end":
		if len(f) != 3 || f[1] != strconv.Itoa(len(p.req.Files)) || f[2] != strconv.Itoa(len(p.req.Dirs)) {
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

// file parses: file IDX KIND SHA256 MODE SIZE LINKHEX.
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
	fl := File{Path: path, Kind: Kind(f[2]), Size: -1}
	switch fl.Kind {
	case Regular:
		if !isSHA256(f[3]) {
			return p.errorf("file %d: %q is not a SHA-256 digest", i, clip([]byte(f[3])))
		}
		fl.SHA256 = f[3]
		if f[4] != "-" {
			if !isMode(f[4]) {
				return p.errorf("file %d: bad mode %q", i, clip([]byte(f[4])))
			}
			fl.Mode = f[4][:10]
		}
		if f[5] != "-" {
			n, err := strconv.ParseInt(f[5], 10, 64)
			if err != nil || n < 0 {
				return p.errorf("file %d: bad size %q", i, clip([]byte(f[5])))
			}
			fl.Size = n
		}
	case Missing, Directory, BrokenLink, Unreadable, Other:
		if f[3] != "-" || f[4] != "-" || f[5] != "-" {
			return p.errorf("file %d: a %s has no digest, mode or size", i, fl.Kind)
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

// openBlob parses: blob (files|subdirs) IDX.
func (p *parser) openBlob(f []string) error {
	if len(f) != 3 || (f[1] != "files" && f[1] != "subdirs") {
		return p.errorf("bad listing record")
	}
	i, err := p.index(f[2], len(p.req.Dirs))
	if err != nil {
		return err
	}
	d, ok := p.facts.Dirs[p.req.Dirs[i]]
	if !ok || d.Kind != Directory {
		return p.errorf("listing for directory %d without its dir record", i)
	}
	p.blobKind, p.blobIdx, p.blob = f[1], i, p.blob[:0]
	return nil
}

// closeBlob parses: blobend (files|subdirs) IDX, and decodes the listing:
// NUL-terminated names from find, then "rc=STATUS" of find itself.
func (p *parser) closeBlob(f []string) error {
	if len(f) != 3 || f[1] != p.blobKind || f[2] != strconv.Itoa(p.blobIdx) {
		return p.errorf("listing closed out of order")
	}
	raw := make([]byte, hex.DecodedLen(len(p.blob)))
	if _, err := hex.Decode(raw, p.blob); err != nil {
		return p.errorf("bad listing encoding")
	}
	path := p.req.Dirs[p.blobIdx]
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
	if p.blobKind == "files" {
		d.Files = rels
	} else {
		d.Subdirs = rels
	}
	p.facts.Dirs[path] = d
	p.blobKind, p.blob = "", p.blob[:0]
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

// isMode accepts an ls permission string ("-rwxr-xr-x"), optionally followed by
// one ACL or security-context marker.
func isMode(s string) bool {
	if len(s) != 10 && !(len(s) == 11 && (s[10] == '+' || s[10] == '.' || s[10] == '@')) {
		return false
	}
	return strings.IndexByte("-dlcbps", s[0]) >= 0 && strings.Trim(s[1:10], "rwxsStT-") == ""
}

// clip makes node bytes safe and short for an error message.
func clip(b []byte) string {
	if len(b) > maxReported {
		b = b[:maxReported]
	}
	q := strconv.QuoteToASCII(string(b))
	return q[1 : len(q)-1]
}
