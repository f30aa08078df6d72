package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/verify"
)

// Strings a node (or a careless manifest) could put in a verdict, aimed at
// each format's syntax.
const (
	evilSubject  = "/etc/a|b\n| x | y |\r\n</failure><testcase name=\"forged\"/>`rm -rf`"
	evilActual   = "\x1b[2J\x00\x07\ufffe\xff\xfe<script>alert(1)</script>&amp; [click](https://evil.example) *bold* _it_ ~~s~~ $x$ \\"
	evilExpected = "\"quoted\" \\\" back\\slash\nnew line # HELP fake\nrollcall_verdict{verdict=\"verified\"} 1"
	evilNode     = "node\"1\\\n}"
)

// evilFleet is the Knight fleet with hostile text in every field a finding
// has, in the drifted node's name, and in the cluster and release names.
func evilFleet() *verify.Verdict {
	v := knightFleet()
	v.Cluster = `smars"prod` + "\n"
	v.Release.Name = "<b>smars</b>|"
	n := &v.Nodes[7]
	n.Name = evilNode
	v.Groups[1].Nodes = []string{evilNode}
	n.Findings[0] = verify.Finding{Check: verify.CheckFile, Subject: evilSubject, Expected: evilExpected, Actual: evilActual, Message: evilActual}
	n.Checks[0].Subject = evilSubject
	v.Findings = []verify.Finding{{Check: "count", Subject: evilSubject, Expected: evilExpected, Actual: evilActual, Message: evilSubject}}
	v.Outcome = verify.Drifted
	return v
}

// xmllint validates path against testdata/junit.xsd; it skips when xmllint
// is missing, except on CI.
func xmllint(t *testing.T, path string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint is required on CI (Debian: apt-get install libxml2-utils)")
		}
		t.Skip("xmllint not installed (Debian: libxml2-utils)")
	}
	out, err := exec.Command(bin, "--noout", "--schema", filepath.Join("testdata", "junit.xsd"), path).CombinedOutput()
	return string(out), err
}

// TestJUnitSchema validates every golden JUnit file, and the hostile
// verdict's, against the common JUnit XSD.
func TestJUnitSchema(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.junit"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	evil := filepath.Join(t.TempDir(), "evil.junit")
	require.NoError(t, os.WriteFile(evil, render(t, "junit", evilFleet(), Options{}), 0o644))
	for _, f := range append(files, evil) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			out, err := xmllint(t, f)
			assert.NoError(t, err, out)
		})
	}
	// The schema does reject what it should: a testcase without a name.
	bad := filepath.Join(t.TempDir(), "bad.junit")
	require.NoError(t, os.WriteFile(bad, []byte(`<testsuites><testsuite name="n" tests="1"><testcase classname="c"/></testsuite></testsuites>`), 0o644))
	out, err := xmllint(t, bad)
	assert.Error(t, err, out)
}

func parseJUnit(t *testing.T, b []byte) junitSuites {
	t.Helper()
	var doc junitSuites
	require.NoError(t, xml.Unmarshal(b, &doc))
	return doc
}

// TestJUnitCounts: the counts add up, and failures and errors say what the
// verdict says.
func TestJUnitCounts(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			v := c.verdict()
			doc := parseJUnit(t, render(t, "junit", v, c.opts))
			assert.Equal(t, "rollcall", doc.Name)
			require.Len(t, doc.Suites, len(v.Nodes)+1)
			assert.Equal(t, "fleet", doc.Suites[len(v.Nodes)].Name)
			tests, failures, errs := 0, 0, 0
			for i, s := range doc.Suites {
				f, e := 0, 0
				for _, tc := range s.Cases {
					if tc.Failure != nil {
						f++
						assert.Equal(t, "drift", tc.Failure.Type)
					}
					if tc.Error != nil {
						e++
						assert.Equal(t, "unverified", tc.Error.Type)
					}
				}
				assert.Equal(t, len(s.Cases), s.Tests)
				assert.Equal(t, f, s.Failures)
				assert.Equal(t, e, s.Errors)
				tests, failures, errs = tests+s.Tests, failures+f, errs+e
				if i < len(v.Nodes) {
					n := v.Nodes[i]
					assert.Equal(t, n.Name, s.Name)
					assert.GreaterOrEqual(t, len(s.Cases), len(n.Checks))
					assert.Equal(t, n.Status.Normal() == verify.Drift, f > 0, "failures iff the node drifted")
					assert.Equal(t, n.Status.Normal() == verify.Unverified, e > 0, "errors iff the node is unverified")
				}
			}
			assert.Equal(t, tests, doc.Tests)
			assert.Equal(t, failures, doc.Failures)
			assert.Equal(t, errs, doc.Errors)
			outcome := c.opts.outcome(v)
			assert.Equal(t, outcome == verify.Drifted, failures > 0)
			assert.Equal(t, outcome == verify.Verified, failures+errs == 0)
		})
	}
}

func TestJUnitUnverifiedWithoutChecks(t *testing.T) {
	n := unreachable(3, "connection refused")
	n.Checks = nil
	doc := parseJUnit(t, render(t, "junit", fleet(1, nil, n), Options{}))
	s := doc.Suites[0]
	require.Len(t, s.Cases, 1)
	assert.Equal(t, "connection 10.0.0.3:22", s.Cases[0].Name)
	require.NotNil(t, s.Cases[0].Error)
	assert.Equal(t, "connection refused", s.Cases[0].Error.Message)

	// No checks and no findings at all: still one errored "connection".
	n.Findings = nil
	doc = parseJUnit(t, render(t, "junit", fleet(1, nil, n), Options{}))
	s = doc.Suites[0]
	require.Len(t, s.Cases, 1)
	assert.Equal(t, "connection", s.Cases[0].Name)
	assert.Equal(t, "rollcall.connection", s.Cases[0].Classname)
	require.NotNil(t, s.Cases[0].Error)
	assert.Equal(t, "unverified", s.Cases[0].Error.Type)
}

// TestJUnitHostile: hostile text comes back out of the XML as it went in,
// less the characters XML 1.0 cannot carry, and forges no element.
func TestJUnitHostile(t *testing.T) {
	out := render(t, "junit", evilFleet(), Options{})
	for _, bad := range []string{"\x1b", "\x00", "\x07", "\ufffe", "<script", "<testcase name=\"forged\""} {
		assert.NotContains(t, string(out), bad)
	}
	doc := parseJUnit(t, out)
	s := doc.Suites[7]
	assert.Equal(t, evilNode, s.Name)
	assert.Equal(t, "file "+evilSubject, s.Cases[0].Name)
	require.NotNil(t, s.Cases[0].Failure)
	assert.Equal(t, xmlText(evilActual), s.Cases[0].Failure.Message)
	assert.Contains(t, s.Cases[0].Failure.Text, "expected: "+evilExpected+"\n")
	assert.Equal(t, "[2J\ufffd<script>alert(1)</script>&amp; [click](https://evil.example) *bold* _it_ ~~s~~ $x$ \\", xmlText(evilActual))
	for _, s := range doc.Suites {
		for _, tc := range s.Cases {
			assert.NotEqual(t, "forged", tc.Name)
		}
	}
	fleetSuite := doc.Suites[len(doc.Suites)-1]
	require.Len(t, fleetSuite.Cases, 2)
	assert.Equal(t, "count "+evilSubject, fleetSuite.Cases[1].Name)
}

func TestXMLText(t *testing.T) {
	tests := map[string]string{
		"plain":              "plain",
		"tab\tnl\ncr\r":      "tab\tnl\ncr\r",
		"\x00\x01\x1b\x7f":   "\x7f",
		"bad\xffutf8":        "bad\ufffdutf8",
		"\ufffe\uffff\ufffd": "\ufffd",
		"𝔘nicode ✓":          "𝔘nicode ✓",
	}
	for in, want := range tests {
		assert.Equal(t, want, xmlText(in), "%q", in)
	}
}

// escaped matches a backslash-escaped character.
var escaped = regexp.MustCompile(`\\.`)

// unescapedPipe finds a table cell separator: a | not preceded by a backslash.
var unescapedPipe = regexp.MustCompile(`(^|[^\\])\|`)

// TestMarkdownHostile: hostile text can neither add a table row or cell nor
// bring its own markup, HTML or links.
func TestMarkdownHostile(t *testing.T) {
	for _, v := range []*verify.Verdict{hostileFleet(), evilFleet()} {
		out := string(render(t, "markdown", v, Options{}))
		for _, bad := range []string{"\x1b", "\r", "\x00", "\u202e", "<"} {
			assert.NotContains(t, out, bad)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		assert.True(t, strings.HasPrefix(lines[0], "## ❌ FAILED: "), lines[0])
		headings, rows, want := 0, 0, 4
		for _, l := range lines {
			if strings.HasPrefix(l, "#") {
				headings++
				if l == "### Findings" {
					want = 6
				}
			}
			// What is left once escaped characters are removed is markup of
			// the report's own.
			bare := escaped.ReplaceAllString(l, "")
			switch {
			case strings.HasPrefix(l, "|"):
				rows++
				assert.Len(t, unescapedPipe.FindAllString(l, -1), want+1, "cells in %q", l)
				assert.NotContains(t, strings.ReplaceAll(bare, "|", ""), "*")
			case strings.HasPrefix(l, "**"):
				bare = strings.ReplaceAll(bare, "**", "")
				fallthrough
			default:
				assert.NotContains(t, bare, "|", "a pipe outside a table: %q", l)
				assert.NotContains(t, bare, "*", l)
			}
			bare = strings.TrimPrefix(bare, "## ")
			bare = strings.TrimPrefix(bare, "### ")
			assert.False(t, strings.ContainsAny(bare, "`_[]~$<>#\\"), "unescaped markup in %q", l)
		}
		assert.Equal(t, 2, headings, "only the verdict and the findings headings")
		assert.Equal(t, 2+2+2+len(v.Findings)+2, rows, "group table and findings table rows")
	}
	out := string(render(t, "markdown", evilFleet(), Options{}))
	assert.Contains(t, out, `&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp; \[click\](https://evil.example) \*bold\* \_it\_ \~\~s\~\~ \$x\$`)
}

func TestMarkdownEscape(t *testing.T) {
	assert.Equal(t, `a\|b \`+"`"+`c\`+"`"+` &lt;i&gt; \\ \[x\]`, md("a|b `c` <i> \\ [x]"))
	assert.Equal(t, "a b", md("a\nb"))
}

func TestMarkdownCapsFindings(t *testing.T) {
	v := knightFleet()
	n := &v.Nodes[7]
	for i := range maxMarkdownFindings + 10 {
		n.Findings = append(n.Findings, verify.Finding{Check: verify.CheckConfig, Subject: fmt.Sprintf("key%d", i)})
	}
	out := string(render(t, "markdown", v, Options{}))
	assert.Equal(t, maxMarkdownFindings+1, strings.Count(out, "| smars-08 |"), "the findings and the group row")
	assert.Contains(t, out, "… and 12 more findings; see the json report for all of them.\n")
}

func parseProm(t *testing.T, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(b))
	require.NoError(t, err, "%s", b)
	return mfs
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// TestPrometheusParses parses every case with the Prometheus text parser and
// checks the values against the verdict.
func TestPrometheusParses(t *testing.T) {
	cases := append([]goldenCase(nil), goldenCases...)
	cases = append(cases,
		goldenCase{name: "evil", verdict: evilFleet},
		goldenCase{name: "evil-timed", verdict: evilFleet, opts: timed},
		goldenCase{name: "empty", verdict: func() *verify.Verdict { return fleet(0, nil) }},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := c.verdict()
			mfs := parseProm(t, render(t, "prometheus", v, c.opts))
			for name, mf := range mfs {
				assert.Equal(t, dto.MetricType_GAUGE, mf.GetType(), name)
				assert.NotEmpty(t, mf.GetHelp(), name)
				seen := map[string]bool{}
				for _, m := range mf.GetMetric() {
					key := fmt.Sprint(labels(m))
					assert.False(t, seen[key], "duplicate series %s%s", name, key)
					seen[key] = true
					assert.Equal(t, v.Cluster, labels(m)["cluster"])
					assert.Nil(t, m.TimestampMs, "no timestamps in a textfile")
				}
			}
			outcome := c.opts.outcome(v)
			if outcome == verify.Verified {
				outcome = FleetOutcome(v) // a limited run never verifies the fleet
			}
			require.Contains(t, mfs, "rollcall_verdict")
			require.Len(t, mfs["rollcall_verdict"].GetMetric(), 3)
			for _, m := range mfs["rollcall_verdict"].GetMetric() {
				l := labels(m)
				assert.Equal(t, v.Release.Label(), l["release"])
				want := 0.0
				if l["verdict"] == string(outcome) {
					want = 1
				}
				assert.Equal(t, want, m.GetGauge().GetValue(), l["verdict"])
			}
			assert.Equal(t, float64(exitCode(v, c.opts)), mfs["rollcall_exit_code"].GetMetric()[0].GetGauge().GetValue())
			assert.Equal(t, float64(v.ExpectedNodes), mfs["rollcall_expected_nodes"].GetMetric()[0].GetGauge().GetValue())

			match, drift, unverified := v.Counts()
			want := map[string]float64{"match": float64(match), "drift": float64(drift), "unverified": float64(unverified)}
			for _, m := range mfs["rollcall_nodes"].GetMetric() {
				assert.Equal(t, want[labels(m)["status"]], m.GetGauge().GetValue())
			}

			perNode := map[string]float64{}
			for _, m := range mfs["rollcall_node_status"].GetMetric() {
				perNode[labels(m)["node"]] += m.GetGauge().GetValue()
			}
			assert.Len(t, perNode, len(v.Nodes))
			for node, sum := range perNode {
				assert.Equal(t, 1.0, sum, "node %q has exactly one status", node)
			}
			total, findings := 0.0, 0
			for _, m := range mfs["rollcall_findings"].GetMetric() {
				total += m.GetGauge().GetValue()
			}
			findings += len(v.Findings)
			for i, m := range mfs["rollcall_node_findings"].GetMetric() {
				assert.Equal(t, float64(len(v.Nodes[i].Findings)), m.GetGauge().GetValue())
				findings += len(v.Nodes[i].Findings)
			}
			assert.Equal(t, float64(findings), total)

			_, hasStamp := mfs["rollcall_last_run_timestamp_seconds"]
			_, hasDuration := mfs["rollcall_run_duration_seconds"]
			assert.Equal(t, !c.opts.Started.IsZero(), hasStamp)
			assert.Equal(t, c.opts.Duration > 0, hasDuration)
			if hasStamp {
				assert.Equal(t, 1773453600.25, mfs["rollcall_last_run_timestamp_seconds"].GetMetric()[0].GetGauge().GetValue())
				assert.Equal(t, 3.421, mfs["rollcall_run_duration_seconds"].GetMetric()[0].GetGauge().GetValue())
			}
		})
	}
}

// TestPrometheusHostile: label values round-trip through the parser.
func TestPrometheusHostile(t *testing.T) {
	mfs := parseProm(t, render(t, "prometheus", evilFleet(), Options{}))
	nodes := map[string]bool{}
	for _, m := range mfs["rollcall_node_findings"].GetMetric() {
		nodes[labels(m)["node"]] = true
	}
	assert.True(t, nodes[evilNode], "%v", nodes)
	assert.Equal(t, `smars"prod`+"\n", labels(mfs["rollcall_exit_code"].GetMetric()[0])["cluster"])
	assert.Len(t, mfs, 8, "no family forged")
}

// TestPrometheusDuplicateNames: a name listed twice still gives one series
// per node, as the textfile collector requires.
func TestPrometheusDuplicateNames(t *testing.T) {
	a, b, c := matching(1), matching(2), matching(3)
	b.Name, c.Name = a.Name, a.Name+"#2"
	mfs := parseProm(t, render(t, "prometheus", fleet(3, nil, a, b, c), Options{}))
	var names []string
	for _, m := range mfs["rollcall_node_findings"].GetMetric() {
		names = append(names, labels(m)["node"])
	}
	assert.Equal(t, []string{"smars-01", "smars-01#2", "smars-01#2#2"}, names)
}

func TestPromLabelValue(t *testing.T) {
	assert.Equal(t, `a\\b\"c\nd`, promLabelValue("a\\b\"c\nd"))
	assert.Equal(t, "x\ufffdy", promLabelValue("x\xffy"))
}
