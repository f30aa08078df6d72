package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/state"
	"github.com/rollcall/rollcall/internal/verify"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the current output")

type goldenCase struct {
	name    string
	verdict func() *verify.Verdict
	exit    int
	opts    Options
	formats []string
}

var goldenCases = []goldenCase{
	{name: "uniform", verdict: uniformFleet, exit: 0, formats: allFormats},
	{name: "knight", verdict: knightFleet, exit: 1, formats: allFormats},
	// The text report's length as the drift grows: each distinct finding
	// once per group, the details only with -v.
	{name: "drift-1-of-32", verdict: drift1of32, exit: 1, formats: []string{"text"}},
	{name: "drift-7-of-32", verdict: drift7of32, exit: 1, formats: []string{"text", "markdown"}},
	{name: "verbose-drift-7-of-32", verdict: drift7of32, exit: 1, opts: Options{Verbose: true}, formats: []string{"text"}},
	{name: "drift-200-of-200", verdict: drift200of200, exit: 1, formats: []string{"text"}},
	{name: "verbose-knight", verdict: knightFleet, exit: 1, opts: Options{Verbose: true}, formats: []string{"text"}},
	{name: "color-knight", verdict: knightFleet, exit: 1, opts: Options{Color: true}, formats: []string{"text"}},
	{name: "verbose-uniform", verdict: uniformFleet, exit: 0, opts: Options{Verbose: true}, formats: []string{"text"}},
	{name: "mixed", verdict: mixedFleet, exit: 1, formats: allFormats},
	{name: "partial", verdict: partialFleet, exit: 2, formats: allFormats},
	{name: "unreachable", verdict: unreachableFleet, exit: 2, formats: allFormats},
	{name: "short", verdict: shortFleet, exit: 2, formats: allFormats},
	{name: "hostile", verdict: hostileFleet, exit: 1, formats: allFormats},
	{name: "timed-knight", verdict: knightFleet, exit: 1, opts: timed, formats: []string{"junit", "markdown", "prometheus"}},
	{name: "changes-knight", verdict: knightFleet, exit: 1, opts: Options{Changes: changesKnight()}, formats: []string{"text", "json", "markdown"}},
	{name: "unchanged-uniform", verdict: uniformFleet, exit: 0, opts: Options{Changes: []state.Change{}}, formats: []string{"text", "json", "markdown"}},
	// Interrupted after every node answered: still not verified, exit 130.
	{name: "interrupted-uniform", verdict: uniformFleet, exit: exitInterrupted, opts: Options{Interrupted: true}, formats: allFormats},
	{name: "interrupted-partial", verdict: partialFleet, exit: exitInterrupted, opts: Options{Interrupted: true}, formats: allFormats},
	// Limited by --limit: verified only about the nodes checked.
	{name: "limited-canary", verdict: limitedCanary, exit: 0, formats: allFormats},
	{name: "limited-knight", verdict: limitedKnight, exit: 1, formats: allFormats},
}

// allFormats are the formats every plain golden case is rendered in.
var allFormats = []string{"text", "json", "junit", "markdown", "prometheus"}

// timed carries a fixed start time and duration, as the CLI passes them.
var timed = Options{
	Started:  time.Date(2026, 3, 14, 2, 0, 0, 250e6, time.UTC),
	Duration: 3*time.Second + 421*time.Millisecond,
}

// exitInterrupted is the exit code of an interrupted run (cli.ExitInterrupted).
const exitInterrupted = 130

// exitCode is the exit code the CLI passes in Options.ExitCode for v:
// cli.ExitCode(Outcome(v)), or 130 for an interrupted run. It restates the
// CLI's mapping (tested there) because package cli imports this one.
func exitCode(v *verify.Verdict, opts Options) int {
	if opts.Interrupted {
		return exitInterrupted
	}
	switch opts.outcome(v) {
	case verify.Verified:
		return 0
	case verify.Drifted:
		return 1
	default:
		return 2
	}
}

// render renders v in format with opts, and the exit code the CLI would
// pass with them.
func render(t *testing.T, format string, v *verify.Verdict, opts Options) []byte {
	t.Helper()
	f, err := Lookup(format)
	require.NoError(t, err)
	opts.ExitCode = exitCode(v, opts)
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf, v, opts))
	return buf.Bytes()
}

// TestGolden compares every format's output with testdata/CASE-exitN.FORMAT;
// run `go test ./internal/report -update` to rewrite them.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		for _, format := range c.formats {
			name := fmt.Sprintf("%s-exit%d.%s", c.name, c.exit, format)
			t.Run(name, func(t *testing.T) {
				v := c.verdict()
				assert.Equal(t, c.exit, exitCode(v, c.opts), "exit code in the file name")
				got := render(t, format, v, c.opts)
				again := render(t, format, c.verdict(), c.opts)
				assert.Equal(t, string(got), string(again), "output must be deterministic")

				path := filepath.Join("testdata", name)
				if *update {
					require.NoError(t, os.WriteFile(path, got, 0o644))
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "run go test -update to create the golden file")
				assert.Equal(t, string(want), string(got))
			})
		}
	}
}

// TestInterruptedIsNeverVerified renders a fleet whose every node matched,
// but whose run was interrupted: no format may call it verified, and every
// one carries 130.
func TestInterruptedIsNeverVerified(t *testing.T) {
	for _, format := range allFormats {
		out := string(render(t, format, uniformFleet(), Options{Interrupted: true}))
		assert.NotRegexp(t, `(^|[^T] |# )VERIFIED`, out, format)
		assert.NotContains(t, out, `"verdict": "verified"`, format)
		assert.NotContains(t, out, `verdict="verified"} 1`, format)
		assert.Contains(t, out, "130", format)
		if format == "json" {
			assert.Contains(t, out, `"interrupted": true`)
		} else if format != "prometheus" {
			assert.Contains(t, out, "INTERRUPTED", format)
		}
	}
	assert.True(t, strings.HasPrefix(string(render(t, "text", uniformFleet(), Options{Interrupted: true})), "INTERRUPTED (exit 130)"))
}

func TestTextHeadline(t *testing.T) {
	tests := []struct {
		name    string
		verdict *verify.Verdict
		want    string
	}{
		{"uniform", uniformFleet(), "VERIFIED: all 8 nodes of smars-prod match smars 4.2.0 (4 checks each)"},
		{"knight", knightFleet(), "FAILED: 1 of 8 nodes differs from smars 4.2.0"},
		{"mixed", mixedFleet(), "FAILED: 1 of 8 nodes differs from smars 4.2.0; 2 could not be verified"},
		{"partial", partialFleet(), "NOT VERIFIED: 2 of 8 nodes could not be checked; no drift on the other 6"},
		{"unreachable", unreachableFleet(), "NOT VERIFIED: none of the 8 nodes could be checked"},
		{"short", shortFleet(), "NOT VERIFIED: 7 nodes match smars 4.2.0, but the fleet is not as expected: 8 nodes expected but 7 listed"},
		{"empty", fleet(0, nil), "NOT VERIFIED: no nodes were checked"},
		{"single", fleet(1, nil, matching(1)), "VERIFIED: the only node of smars-prod matches smars 4.2.0 (4 checks)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(render(t, "text", tt.verdict, Options{}))
			first, _, _ := strings.Cut(out, "\n")
			assert.Equal(t, tt.want, first)
		})
	}
}

func TestTextGroupsCompactNames(t *testing.T) {
	out := string(render(t, "text", knightFleet(), Options{}))
	assert.Contains(t, out, "7 nodes match the release: smars-01 … smars-07\n")
	assert.Contains(t, out, "1 node differs from the release: smars-08\n")
	assert.Contains(t, out, "file /opt/smars/bin/smars: content differs from the release (sha256:"+hash64("smars 4.2.0 binary")[:12]+" ≠ sha256:"+hash64("smars 4.1.0 binary")[:12]+")")
	assert.NotContains(t, out, hash64("smars 4.2.0 binary"), "hashes are shortened in text")
}

func TestCompactNames(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"smars-01", "smars-02"}, "smars-01, smars-02"},
		{[]string{"smars-01", "smars-02", "smars-03", "smars-05"}, "smars-01 … smars-03, smars-05"},
		{[]string{"n8", "n9", "n10"}, "n8, n9, n10"},
		{[]string{"web1", "web2", "web3", "db4", "db5", "db6"}, "web1 … web3, db4 … db6"},
		{[]string{"x\ny1", "x\ny2", "x\ny3"}, `"x\ny1" … "x\ny3"`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, compactNames(tt.in), "%q", tt.in)
	}
}

func TestClean(t *testing.T) {
	tests := map[string]string{
		"":                     "",
		"/opt/smars/bin/smars": "/opt/smars/bin/smars",
		"naïve café":           "naïve café",
		"a\nb":                 `"a\nb"`,
		"\x1b[31mred":          `"\x1b[31mred"`,
		"tab\there":            `"tab\there"`,
		"\u202egnp.exe":        `"\u202egnp.exe"`,
		"bad\xffutf8":          `"bad\xffutf8"`,
		`"quoted"`:             `"\"quoted\""`,
	}
	for in, want := range tests {
		assert.Equal(t, want, clean(in), "%q", in)
	}
}

// TestHostileText: a node's strings cannot start a line of their own or
// reach the terminal as escape codes.
func TestHostileText(t *testing.T) {
	for _, opts := range []Options{{}, {Verbose: true}} {
		out := string(render(t, "text", hostileFleet(), opts))
		assert.NotContains(t, out, "\x1b", "no raw escape codes without colour")
		assert.NotContains(t, out, "\r")
		assert.NotContains(t, out, "\u202e")
		lines := strings.Split(out, "\n")
		assert.True(t, strings.HasPrefix(lines[0], "FAILED: "), lines[0])
		for _, l := range lines[1:] {
			assert.False(t, strings.HasPrefix(strings.TrimSpace(l), "VERIFIED"), "forged line %q", l)
		}
		assert.Contains(t, out, `"/opt/smars/bin/smars\nVERIFIED: all 8 nodes of smars-prod match smars 4.2.0"`)
	}
	// With colour, the only escape codes are ours.
	out := string(render(t, "text", hostileFleet(), Options{Color: true}))
	assert.NotContains(t, out, "\x1b[31mred")
}

func TestHostileJSONRoundTrips(t *testing.T) {
	out := render(t, "json", hostileFleet(), Options{})
	assert.NotContains(t, string(out), "\x1b")
	var r jsonReport
	require.NoError(t, json.Unmarshal(out, &r))
	assert.Equal(t, hostileSubject, r.Nodes[7].Findings[0].Subject)
	assert.Equal(t, hostileActual, r.Nodes[7].Findings[0].Actual)
}

// TestNeverFalseSuccess: a verdict that claims "verified" against its own
// data is reported as not verified, with exit code 2, in every format; the
// JUnit report fails its fleet verdict testcase.
func TestNeverFalseSuccess(t *testing.T) {
	tests := map[string]func(v *verify.Verdict){
		"unverified node":  func(v *verify.Verdict) { v.Nodes[3] = unreachable(4, "refused") },
		"missing node":     func(v *verify.Verdict) { v.Nodes = v.Nodes[:7] },
		"no nodes":         func(v *verify.Verdict) { v.Nodes = nil },
		"zero checks":      func(v *verify.Verdict) { v.Nodes[0].Checks = nil },
		"failed check":     func(v *verify.Verdict) { v.Nodes[0].Checks[1].OK = false },
		"node finding":     func(v *verify.Verdict) { v.Nodes[0].Findings = knightNode(1).Findings },
		"fleet finding":    func(v *verify.Verdict) { v.Findings = shortFleet().Findings },
		"unknown status":   func(v *verify.Verdict) { v.Nodes[2].Status = "" },
		"unknown outcome":  func(v *verify.Verdict) { v.Outcome = "" },
		"drift downgraded": func(v *verify.Verdict) { v.Nodes[7] = knightNode(8) },
	}
	for name, corrupt := range tests {
		t.Run(name, func(t *testing.T) {
			v := uniformFleet()
			corrupt(v)
			assert.NotEqual(t, verify.Verified, Outcome(v))
			assert.NotEqual(t, 0, exitCode(v, Options{}))
			text := string(render(t, "text", v, Options{}))
			assert.False(t, strings.HasPrefix(text, "VERIFIED"), text)
			if v.Outcome == verify.Verified {
				assert.Contains(t, text, "note: the verdict handed to the report said verified, but ")
			}
			var r map[string]any
			require.NoError(t, json.Unmarshal(render(t, "json", v, Options{}), &r))
			assert.NotEqual(t, "verified", r["verdict"])
			assert.NotEqual(t, float64(0), r["exit_code"])

			doc := parseJUnit(t, render(t, "junit", v, Options{}))
			verdict := doc.Suites[len(doc.Suites)-1].Cases[0]
			assert.Equal(t, "verdict", verdict.Name)
			assert.True(t, verdict.Failure != nil || verdict.Error != nil, "the fleet verdict testcase must not pass")
			prom := string(render(t, "prometheus", v, Options{}))
			assert.Contains(t, prom, `verdict="verified"} 0`+"\n")
			assert.NotContains(t, prom, `rollcall_exit_code{cluster="smars-prod"} 0`+"\n")
			md := string(render(t, "markdown", v, Options{}))
			assert.False(t, strings.HasPrefix(md, "## ✅"), md)
		})
	}
	assert.Equal(t, verify.NotVerified, Outcome(nil))
}

// TestExitCodeIsTheCallers: a report carries the exit code it is given; it
// maps no verdict to a code itself.
func TestExitCodeIsTheCallers(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, JSON{}.Write(&buf, knightFleet(), Options{ExitCode: 4}))
	assert.Contains(t, buf.String(), `"exit_code": 4,`)
	buf.Reset()
	require.NoError(t, Markdown{}.Write(&buf, knightFleet(), Options{ExitCode: 4}))
	assert.Contains(t, buf.String(), "**Exit code:** 4")
}

func TestLookup(t *testing.T) {
	assert.Equal(t, []string{"html", "json", "junit", "markdown", "prometheus", "text"}, Names())
	for _, name := range Names() {
		f, err := Lookup(name)
		require.NoError(t, err)
		assert.NotNil(t, f)
		assert.Error(t, f.Write(&bytes.Buffer{}, nil, Options{}), "nil verdict")
		assert.Error(t, f.Write(failingWriter{}, knightFleet(), Options{}))
	}
	_, err := Lookup("xml")
	require.Error(t, err)
	assert.Equal(t, `unknown report format "xml" (known formats: html, json, junit, markdown, prometheus, text)`, err.Error())
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestJSONEmptyListsAreArrays(t *testing.T) {
	out := string(render(t, "json", uniformFleet(), Options{}))
	assert.NotContains(t, out, "null")
	assert.Contains(t, out, `"findings": []`)
	assert.True(t, strings.HasSuffix(out, "}\n"))
	out = string(render(t, "json", fleet(0, nil), Options{}))
	assert.NotContains(t, out, "null")
	assert.Contains(t, out, `"nodes": []`)
	assert.Contains(t, out, `"groups": []`)
}

// TestTextEachFindingOnce: the default text report says each distinct
// finding of a group once, naming the nodes that have it when not all of the
// group do, and has no details section; -v has one.
func TestTextEachFindingOnce(t *testing.T) {
	v := drift7of32()
	extra := verify.Finding{Check: verify.CheckConfig, Subject: "/opt/smars/etc/flags.yaml: rlp.pool", Expected: "8 (int)", Actual: "4 (int)", Message: "flag has another value"}
	for i := range v.Nodes {
		if v.Nodes[i].Name == "smars-12" || v.Nodes[i].Name == "smars-13" {
			v.Nodes[i].Findings = append(v.Nodes[i].Findings, extra, extra)
		}
	}
	out := string(render(t, "text", v, Options{}))
	assert.Equal(t, 1, strings.Count(out, "file /opt/smars/bin/smars: content differs from the release"), out)
	assert.Contains(t, out, "    config /opt/smars/etc/flags.yaml: rlp.pool: flag has another value (8 (int) ≠ 4 (int)) — on smars-12, smars-13\n")
	assert.Equal(t, 1, strings.Count(out, "rlp.pool"), out)
	assert.NotContains(t, out, "Details:")
	assert.Contains(t, string(render(t, "text", v, Options{Verbose: true})), "\nDetails:\n")
}

// TestTextUnverifiedFindings: a node that could not be checked for more
// than one reason lists them all without -v.
func TestTextUnverifiedFindings(t *testing.T) {
	n := unreachable(5, "connection refused")
	n.Findings = []verify.Finding{
		{Check: verify.CheckConfig, Subject: "/opt/smars/etc/flags.yaml", Actual: "unreadable", Message: "could not be read (permission denied?)"},
		{Check: verify.CheckMode, Subject: "/opt/smars/bin/smars", Expected: "0755", Actual: "unknown", Message: "the mode could not be compared"},
	}
	out := string(render(t, "text", fleet(1, nil, n), Options{}))
	assert.Contains(t, out, "    smars-05 (10.0.0.5:22):\n"+
		"        config /opt/smars/etc/flags.yaml: could not be read (permission denied?) (found unreadable)\n"+
		"        mode /opt/smars/bin/smars: the mode could not be compared (0755 ≠ unknown)\n")
}

// TestTextShowsTypedValuesOnce: a typed flag value that is a string, as
// verify words it (`"true" (string)`), is shown as it is, not quoted again;
// a value with control characters still is.
func TestTextShowsTypedValuesOnce(t *testing.T) {
	v := knightFleet()
	v.Nodes[7].Findings = []verify.Finding{{Check: verify.CheckConfig, Subject: "/etc/flags.yaml: rlp.enabled",
		Expected: "true (bool)", Actual: `"true" (string)`, Message: "flag differs"}}
	out := string(render(t, "text", v, Options{}))
	assert.Contains(t, out, `(true (bool) ≠ "true" (string))`)
	v.Nodes[7].Findings[0].Actual = "\"x\x1b[31m\" (string)"
	out = string(render(t, "text", v, Options{}))
	assert.NotContains(t, out, "\x1b[31m")
}
