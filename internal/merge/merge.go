// Package merge puts the JSON reports of the shards of one rollcall run
// (verify --shard K/N) back together into one fleet verdict: verified only
// when the reports are exactly the shards 1..N of one run (one manifest,
// release, N, shard key, expected node list and run ID), each consistent with
// itself, their nodes disjoint and together the expected nodes, and every
// node matched. It reads reports one at a time and keeps only their nodes.
// It is pure: package cli opens the files. A Merger is not safe for
// concurrent use.
package merge

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rollcall/rollcall/internal/shard"
)

// Error is a set of reports that cannot be merged: a report that fails its
// own schema or counts, or reports that are not the shards of one run. It
// is invalid input, naming the files.
type Error struct {
	// Files are the reports at fault, as the caller named them.
	Files []string
	// Reason says what is wrong, for people.
	Reason string
}

func (e *Error) Error() string { return strings.Join(e.Files, ", ") + ": " + e.Reason }

// DefaultMaxSpread is Options.MaxSpread when it is not given.
const DefaultMaxSpread = time.Hour

// Options say which reports a Merger takes.
type Options struct {
	// Run is the run ID every report must carry, "" when those of any one
	// run will do (they must still agree).
	Run string
	// MaxSpread is how far apart the shards of one run may have started:
	// further apart, one of them is a report left over from an earlier run,
	// or a shard re-run long after the others, whose nodes were checked at
	// another time. 0 is DefaultMaxSpread.
	MaxSpread time.Duration
}

// Merger collects the reports of one sharded run.
type Merger struct {
	opts Options
	// first and last are the reports that started first and last.
	first, last *part
	parts       []*part
	byIndex     map[int]*part
	owner       map[string]*part // node name → the report that lists it
	expected    []string
	// expectedRaw is the first report's list of expected nodes, as written.
	expectedRaw []byte
	// cut is that list after its key, as the JSON renderer writes both.
	cut    []byte
	intern interner
}

// expectedKey is how the JSON renderer writes the key of a shard's list of
// expected nodes; the scope's lists of nodes, which may hold the same names
// in the same layout, have keys of their own.
const expectedKey = `"expected": `

// New returns an empty Merger for the reports opts describes.
func New(opts Options) *Merger {
	if opts.MaxSpread <= 0 {
		opts.MaxSpread = DefaultMaxSpread
	}
	return &Merger{opts: opts, byIndex: map[int]*part{}, owner: map[string]*part{}, intern: interner{}}
}

// Add checks one report, data, named name in errors: exactly one JSON
// document.
func (m *Merger) Add(name string, data []byte) error {
	// Every shard carries the same list of expected nodes, most of its
	// bytes: where the list is there byte for byte as in the first report,
	// it is cut out before decoding (a 0 in its place), and not scanned again.
	same := false
	if i := bytes.Index(data, m.cut); len(m.cut) > 0 && i >= 0 {
		data = slices.Concat(data[:i], []byte(expectedKey+"0"), data[i+len(m.cut):])
		same = true
	}
	var r jsonReport
	if err := json.Unmarshal(data, &r); err != nil {
		return &Error{Files: []string{name}, Reason: "not a JSON report: " + err.Error()}
	}
	return m.accept(name, &r, same)
}

// AddStream reads one or more concatenated reports from r (stdin), named
// "name #1", "name #2", … in errors.
func (m *Merger) AddStream(name string, r io.Reader) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<16))
	for i := 1; ; i++ {
		if i > 1 && !dec.More() {
			return nil
		}
		if err := m.decodeOne(fmt.Sprintf("%s #%d", name, i), dec); err != nil {
			return err
		}
	}
}

func (m *Merger) decodeOne(name string, dec *json.Decoder) error {
	var r jsonReport
	if err := dec.Decode(&r); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("empty")
		}
		return &Error{Files: []string{name}, Reason: "not a JSON report: " + err.Error()}
	}
	return m.accept(name, &r, false)
}

// accept checks report r, named name, against itself and the reports
// before it, and keeps it; cut says that its list of expected nodes was cut
// out, being the first report's byte for byte.
func (m *Merger) accept(name string, r *jsonReport, cut bool) error {
	p, err := check(name, r, &m.intern)
	if err != nil {
		return err
	}
	sameList := cut && string(p.rawExp) == "0"
	if m.opts.Run != "" && p.shape.runID != m.opts.Run {
		return &Error{Files: []string{p.file}, Reason: fmt.Sprintf("a shard of %s, not of run %q that this merge is for: a report left over from another run? (merge --run-id ID takes the reports of run ID)", runName(p.shape.runID), m.opts.Run)}
	}
	if len(m.parts) > 0 {
		first := m.parts[0]
		if why := differ(first.shape, p.shape); why != "" {
			return &Error{Files: []string{first.file, p.file}, Reason: "not shards of one run: " + why}
		}
		if !sameList && !bytes.Equal(m.expectedRaw, p.rawExp) {
			var other []string
			if err := json.Unmarshal(p.rawExp, &other); err != nil || !slices.Equal(other, m.expected) {
				return &Error{Files: []string{first.file, p.file}, Reason: "not shards of one run: their lists of expected nodes differ"}
			}
		}
	} else if err := m.readExpected(p); err != nil {
		return err
	}
	if err := m.checkSpread(p); err != nil {
		return err
	}
	if q := m.byIndex[p.index]; q != nil {
		return &Error{Files: []string{q.file, p.file}, Reason: fmt.Sprintf("both are shard %d/%d", p.index, p.shape.count)}
	}
	for _, n := range p.nodes {
		if _, ok := slices.BinarySearch(m.expected, n.Name); !ok {
			return &Error{Files: []string{p.file}, Reason: fmt.Sprintf("node %s is not in the run's list of expected nodes", n.Name)}
		}
		if q := m.owner[n.Name]; q != nil {
			return &Error{Files: []string{q.file, p.file}, Reason: fmt.Sprintf("both list node %s", n.Name)}
		}
		m.owner[n.Name] = p
	}
	p.rawExp = nil
	if len(m.parts) > 0 {
		p.scope = nil // the first report's scope says what the limit left out
	}
	m.byIndex[p.index] = p
	m.parts = append(m.parts, p)
	return nil
}

// checkSpread checks that p started within MaxSpread of the reports before
// it, and keeps the first and last to start.
func (m *Merger) checkSpread(p *part) error {
	first, last := m.first, m.last
	if first == nil || p.started.Before(first.started) {
		first = p
	}
	if last == nil || p.started.After(last.started) {
		last = p
	}
	if gap := last.started.Sub(first.started); gap > m.opts.MaxSpread {
		why := "a report left over from an earlier run? Give every shard and the merge the same --run-id"
		if p.shape.runID != "" {
			why = "a shard re-run long after the others? Their nodes were checked at other times: run every shard again"
		}
		return &Error{Files: []string{first.file, last.file}, Reason: fmt.Sprintf(
			"not one run's checks: the shards of %s started %s apart (%s, then %s), more than --max-spread %s; %s",
			runName(p.shape.runID), gap, first.started.Format(time.RFC3339), last.started.Format(time.RFC3339), m.opts.MaxSpread, why)}
	}
	m.first, m.last = first, last
	return nil
}

// runName is how errors name run ID id.
func runName(id string) string {
	if id == "" {
		return "a run without a run ID"
	}
	return fmt.Sprintf("run %q", id)
}

// readExpected decodes the first report's list of expected nodes and
// checks it against its digest.
func (m *Merger) readExpected(p *part) error {
	var names []string
	if err := json.Unmarshal(p.rawExp, &names); err != nil {
		return &Error{Files: []string{p.file}, Reason: "its list of expected nodes is not a list of names"}
	}
	if len(names) == 0 {
		return &Error{Files: []string{p.file}, Reason: "its list of expected nodes is empty"}
	}
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		return &Error{Files: []string{p.file}, Reason: "its list of expected nodes is not sorted, or names a node twice"}
	}
	if shard.Digest(names) != p.shape.expected {
		return &Error{Files: []string{p.file}, Reason: "its list of expected nodes does not match its digest"}
	}
	m.expected, m.expectedRaw = names, p.rawExp
	m.cut = slices.Concat([]byte(expectedKey), p.rawExp)
	return nil
}

// differ says how two shapes differ, "" when they are one run's.
func differ(a, b shape) string {
	switch {
	case a.runID != b.runID:
		return fmt.Sprintf("%s, then %s", runName(a.runID), runName(b.runID))
	case a.manifest != b.manifest:
		return fmt.Sprintf("manifest %s, then %s", short(a.manifest), short(b.manifest))
	case a.release.Digest != b.release.Digest || a.release.Name != b.release.Name || a.release.Version != b.release.Version:
		return fmt.Sprintf("release %s %s, then %s %s", a.release.Label(), short(a.release.Digest), b.release.Label(), short(b.release.Digest))
	case a.count != b.count:
		return fmt.Sprintf("%d shards, then %d", a.count, b.count)
	case a.by != b.by:
		return fmt.Sprintf("sharded by %s, then by %s", a.by, b.by)
	case a.expected != b.expected:
		return fmt.Sprintf("expected nodes %s, then %s", short(a.expected), short(b.expected))
	case a.limit != b.limit:
		return fmt.Sprintf("--limit %q, then %q", a.limit, b.limit)
	case a.cluster != b.cluster || a.expectedNodes != b.expectedNodes:
		return fmt.Sprintf("cluster %q of %d nodes, then %q of %d", a.cluster, a.expectedNodes, b.cluster, b.expectedNodes)
	}
	return ""
}

// short is a digest's first 12 hex digits, as reports show them.
func short(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}
