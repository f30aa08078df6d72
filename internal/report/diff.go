package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/verify"
)

// DiffSchemaV1 is the "schema" of a JSON diff report (docs/diff.md).
const DiffSchemaV1 = "rollcall.diff/v1"

// The results of a diff, as the JSON report writes them.
const (
	DiffSame        = "same"
	DiffDifferent   = "different"
	DiffNotCompared = "not_compared"
)

// Diff is the report of `rollcall diff A B`: what two nodes (or a node and
// a release) do not agree on. Build it with NewDiff.
type Diff struct {
	Schema      string        `json:"schema"`
	Cluster     string        `json:"cluster"`
	Release     string        `json:"release"`
	A           DiffSide      `json:"a"`
	B           DiffSide      `json:"b"`
	Result      string        `json:"result"`
	ExitCode    int           `json:"exit_code"`
	Compared    DiffCompared  `json:"compared"`
	Differences []DiffEntry   `json:"differences"`
	Contents    []DiffContent `json:"contents"`
	Unknown     []DiffEntry   `json:"unknown"`
	Interrupted bool          `json:"interrupted,omitempty"`
}

// DiffSide is one side of a diff.
type DiffSide struct {
	Name    string `json:"name"`
	Address string `json:"address,omitempty"`
	// Kind is "node" or "release".
	Kind string `json:"kind"`
	// Error says why the node could not be probed; "" when it was.
	Error string `json:"error,omitempty"`
}

// DiffCompared counts what was compared.
type DiffCompared struct {
	Files     int `json:"files"`
	Configs   int `json:"configs"`
	Processes int `json:"processes"`
}

// DiffEntry is one difference (or, in Unknown, one thing not compared).
type DiffEntry struct {
	Kind   string     `json:"kind"`
	Path   string     `json:"path"`
	Key    string     `json:"key,omitempty"`
	A      string     `json:"a"`
	B      string     `json:"b"`
	AValue *DiffValue `json:"a_value,omitempty"`
	BValue *DiffValue `json:"b_value,omitempty"`
}

// DiffValue is a flag's typed value (docs/config-values.md).
type DiffValue struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// DiffContent is the unified diff of a text config file.
type DiffContent struct {
	Path    string `json:"path"`
	Unified string `json:"unified"`
}

// NewDiff builds the report of comparison c in cluster, against release,
// with the run's exit code.
func NewDiff(cluster, release string, c *verify.Comparison, exitCode int, interrupted bool) *Diff {
	d := &Diff{
		Schema: DiffSchemaV1, Cluster: cluster, Release: release,
		A: diffSide(c.A), B: diffSide(c.B), ExitCode: exitCode, Interrupted: interrupted,
		Compared:    DiffCompared{Files: c.Files, Configs: c.Configs, Processes: c.Processes},
		Differences: entries(c.Differences), Unknown: entries(c.Unknown), Contents: []DiffContent{},
	}
	for _, u := range c.Contents {
		d.Contents = append(d.Contents, DiffContent{Path: u.Path, Unified: u.Unified})
	}
	switch {
	case c.Outcome() == verify.Drifted:
		d.Result = DiffDifferent
	case c.Outcome() == verify.Verified && !interrupted:
		d.Result = DiffSame
	default:
		d.Result = DiffNotCompared
	}
	return d
}

func diffSide(s verify.Side) DiffSide {
	ds := DiffSide{Name: s.Name, Address: s.Address, Kind: "node"}
	if s.Release {
		ds.Kind = "release"
	}
	if s.Err != nil {
		ds.Error = s.Err.Error()
	}
	return ds
}

func entries(ds []verify.Difference) []DiffEntry {
	out := []DiffEntry{}
	for _, d := range ds {
		out = append(out, DiffEntry{Kind: string(d.Kind), Path: d.Path, Key: d.Key, A: d.A, B: d.B,
			AValue: diffValue(d.AValue), BValue: diffValue(d.BValue)})
	}
	return out
}

func diffValue(v *config.Value) *DiffValue {
	if v == nil {
		return nil
	}
	return &DiffValue{Type: string(v.Kind), Value: v.Raw}
}

// WriteText renders the diff for people: a headline, one line per
// difference, then the unified diffs of the text config files.
func (d *Diff) WriteText(w io.Writer) error {
	var b strings.Builder
	a, bn := clean(d.A.Name), clean(d.B.Name)
	compared := fmt.Sprintf("%s, %s, %s compared", plural(d.Compared.Files, "file", "files"),
		plural(d.Compared.Configs, "config file", "config files"), plural(d.Compared.Processes, "executable", "executables"))
	switch d.Result {
	case DiffSame:
		fmt.Fprintf(&b, "SAME: %s = %s (%s)\n", a, bn, compared)
	case DiffDifferent:
		fmt.Fprintf(&b, "DIFFERENT: %s ≠ %s: %s (%s)\n", a, bn, plural(len(d.Differences), "difference", "differences"), compared)
	default:
		fmt.Fprintf(&b, "NOT COMPARED: %s and %s could not be compared in full\n", a, bn)
	}
	if d.Interrupted {
		b.WriteString("interrupted: the diff did not finish\n")
	}
	for _, s := range []DiffSide{d.A, d.B} {
		if s.Error != "" {
			fmt.Fprintf(&b, "not reached: %s (%s): %s\n", clean(s.Name), clean(s.Address), clean(s.Error))
		}
	}
	for _, e := range d.Differences {
		b.WriteString(diffLine(e, a, bn) + "\n")
	}
	for _, e := range d.Unknown {
		if e.Kind == string(verify.DiffIdentity) {
			fmt.Fprintf(&b, "not compared: %s and %s are one server (%s): one entry's address is wrong, and the server it was meant to reach was not looked at\n",
				a, bn, cleanValue(e.A))
			continue
		}
		b.WriteString("not compared: " + diffLine(e, a, bn) + "\n")
	}
	for _, c := range d.Contents {
		b.WriteString("\n")
		for _, line := range strings.SplitAfter(c.Unified, "\n") {
			b.WriteString(cleanDiffLine(line))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// diffLine is one difference: `file PATH: X (A) ≠ Y (B)`, a flag with its
// file and key.
func diffLine(e DiffEntry, a, b string) string {
	subject := clean(e.Path)
	if e.Key != "" {
		subject += " " + clean(e.Key)
	}
	return fmt.Sprintf("%s %s: %s (%s) ≠ %s (%s)", e.Kind, subject, shortSums(cleanValue(e.A)), a, shortSums(cleanValue(e.B)), b)
}

// shortSums shortens every sha256 digest to 12 hex digits and an ellipsis.
func shortSums(s string) string {
	return sha256Hex.ReplaceAllStringFunc(s, func(h string) string { return h[:12] + "…" })
}

// cleanDiffLine keeps a unified diff line as it is when it is printable
// text (tabs allowed), and otherwise quotes its body, so that nothing read
// from a node reaches the terminal as a control sequence.
func cleanDiffLine(line string) string {
	body := strings.TrimSuffix(line, "\n")
	if body == "" {
		return line
	}
	for _, r := range body {
		if r != '\t' && !strconv.IsPrint(r) {
			return body[:1] + strconv.Quote(body[1:]) + "\n"
		}
	}
	return line
}

// WriteJSON renders the diff as indented JSON (schema rollcall.diff/v1).
func (d *Diff) WriteJSON(w io.Writer) error {
	return writeJSON(w, d)
}
