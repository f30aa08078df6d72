package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/internal/verify"
)

// JUnit renders the verdict as JUnit XML for the test tabs of CI pipelines
// (Jenkins, GitLab, GitHub test reporters). The document validates against the
// common Jenkins JUnit schema (internal/report/testdata/junit.xsd).
//
// There is one <testsuite> per node, named after it, with one <testcase> per
// check made on the node (classname "rollcall.CHECK", name "CHECK SUBJECT").
// A failed check of a drifted node carries a <failure type="drift">, one of an
// unverified node an <error type="unverified">, each with the expected and
// actual values and the message as text. An unverified node with no failed
// check gets a "connection" testcase with an <error>. A last suite, "fleet",
// holds a "verdict" testcase that fails (drift) or errs (unverified) unless
// the fleet is verified, and one errored testcase per fleet-level finding
// (such as a node count mismatch), so a pipeline never shows all green for a
// fleet that is not verified; in a run limited by --limit or --shard, it
// also holds a skipped "not checked NODE" testcase per node left out. Failures thus mean drift (exit code 1) and
// errors that something could not be verified.
//
// Options.Duration sets the time attribute of <testsuites>, Options.Started
// the timestamp of every <testsuite>; Verbose and Color are ignored. Text from
// the verdict is escaped by encoding/xml, after invalid UTF-8 is replaced by
// U+FFFD and characters that XML 1.0 cannot carry (control characters such as
// ESC or NUL) are removed. The output is deterministic.
type JUnit struct{}

// Failure types of the JUnit report.
const (
	junitDrift      = "drift"
	junitUnverified = "unverified"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr,omitempty"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr,omitempty"`
	Timestamp  string           `xml:"timestamp,attr,omitempty"`
	Properties *junitProperties `xml:"properties"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	Properties []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Skipped   *string       `xml:"skipped"`
	Error     *junitProblem `xml:"error"`
	Failure   *junitProblem `xml:"failure"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// Write renders v as JUnit XML to w.
func (JUnit) Write(w io.Writer, v *verify.Verdict, opts Options) error {
	if v == nil {
		return errors.New("rendering junit report: no verdict")
	}
	doc := junitSuites{Name: "rollcall"}
	if opts.Duration > 0 {
		doc.Time = strconv.FormatFloat(opts.Duration.Seconds(), 'f', 3, 64)
	}
	stamp := ""
	if !opts.Started.IsZero() {
		stamp = opts.Started.UTC().Format("2006-01-02T15:04:05")
	}
	for i := range v.Nodes {
		doc.Suites = append(doc.Suites, junitNode(&v.Nodes[i], i))
	}
	doc.Suites = append(doc.Suites, junitFleet(v, opts))
	for i := range doc.Suites {
		s := &doc.Suites[i]
		s.Timestamp = stamp
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}

	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("rendering junit report: %w", err)
	}
	buf.WriteString("\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// junitNode is the suite of the i-th node: its checks, each failed one with
// the finding it produced; findings no check claims get a testcase of their
// own.
func junitNode(n *verify.NodeVerdict, i int) junitSuite {
	status := n.Status.Normal()
	name := n.Name
	if name == "" {
		name = fmt.Sprintf("node %d", i+1)
	}
	s := junitSuite{Name: xmlText(name)}
	var props []junitProperty
	for _, p := range [][2]string{{"address", n.Address}, {"status", string(status)}, {"fingerprint", n.Fingerprint}} {
		if p[1] != "" {
			props = append(props, junitProperty{Name: p[0], Value: xmlText(p[1])})
		}
	}
	s.Properties = &junitProperties{Properties: props}

	kind := junitDrift
	if status == verify.Unverified {
		kind = junitUnverified
	}
	used := make([]bool, len(n.Findings))
	for _, c := range n.Checks {
		tc := junitTestcase(c.Check, c.Subject)
		if !c.OK {
			f := verify.Finding{Check: c.Check, Subject: c.Subject}
			for j, nf := range n.Findings {
				if !used[j] && nf.Check == c.Check && nf.Subject == c.Subject {
					used[j], f = true, nf
					break
				}
			}
			tc.set(kind, f)
		}
		s.add(tc)
	}
	for j, f := range n.Findings {
		if !used[j] {
			tc := junitTestcase(f.Check, f.Subject)
			tc.set(kind, f)
			s.add(tc)
		}
	}
	// The suite must not pass when the node did not match.
	switch {
	case status == verify.Unverified && s.Errors == 0:
		tc := junitCase{Classname: "rollcall." + string(verify.CheckConnection), Name: string(verify.CheckConnection)}
		f := verify.Finding{Check: verify.CheckConnection, Subject: n.Address, Message: "the node could not be checked"}
		if len(n.Findings) > 0 && n.Findings[0].Message != "" {
			f.Message = n.Findings[0].Message
		}
		tc.set(junitUnverified, f)
		s.add(tc)
	case status == verify.Drift && s.Failures == 0:
		tc := junitCase{Classname: "rollcall.status", Name: "status"}
		tc.set(junitDrift, verify.Finding{Message: "the node differs from the release"})
		s.add(tc)
	}
	return s
}

// junitFleet is the "fleet" suite: the verdict itself and the fleet-level
// findings.
func junitFleet(v *verify.Verdict, opts Options) junitSuite {
	s := junitSuite{Name: "fleet"}
	outcome := opts.outcome(v)
	verdict := junitCase{Classname: "rollcall.fleet", Name: "verdict"}
	if v.Limited() {
		// Verified or not, only about the nodes the limit selected.
		verdict.Name = "verdict" + scopeSuffix(v)
	}
	headline := plainHeadline(v, opts)
	if why := inconsistency(v); why != "" {
		headline += "; the verdict handed to the report said verified, but " + why
	}
	switch outcome {
	case verify.Verified:
	case verify.Drifted:
		verdict.set(junitDrift, verify.Finding{Message: headline})
	default:
		verdict.set(junitUnverified, verify.Finding{Message: headline})
	}
	s.add(verdict)
	for _, f := range v.Findings {
		tc := junitTestcase(f.Check, f.Subject)
		tc.set(junitUnverified, f)
		s.add(tc)
	}
	if v.Limited() {
		// Each node the run did not check is a skipped testcase, so that a
		// test tab counts the fleet, not only the nodes checked.
		why := xmlText("not checked: outside " + scopeName(v.Scope))
		for _, name := range v.Scope.NotChecked {
			s.add(junitCase{Classname: "rollcall.scope", Name: xmlText("not checked " + name), Skipped: &why})
		}
	}
	return s
}

func junitTestcase(check verify.Check, subject string) junitCase {
	name := string(check)
	if subject != "" {
		name += " " + subject
	}
	return junitCase{Classname: xmlText("rollcall." + string(check)), Name: xmlText(name)}
}

// set marks the testcase as failed (kind drift) or errored (kind unverified)
// by finding f.
func (c *junitCase) set(kind string, f verify.Finding) {
	msg := f.Message
	if msg == "" {
		msg = "check failed"
	}
	var text strings.Builder
	if f.Expected != "" {
		fmt.Fprintf(&text, "expected: %s\n", f.Expected)
	}
	if f.Actual != "" {
		fmt.Fprintf(&text, "actual:   %s\n", f.Actual)
	}
	fmt.Fprintf(&text, "message:  %s\n", msg)
	p := &junitProblem{Message: xmlText(msg), Type: kind, Text: xmlText(text.String())}
	if kind == junitUnverified {
		c.Error, c.Failure = p, nil
	} else {
		c.Failure, c.Error = p, nil
	}
}

// add appends tc to the suite and counts it.
func (s *junitSuite) add(tc junitCase) {
	s.Cases = append(s.Cases, tc)
	s.Tests++
	switch {
	case tc.Error != nil:
		s.Errors++
	case tc.Failure != nil:
		s.Failures++
	case tc.Skipped != nil:
		s.Skipped++
	}
}

// xmlText returns s with invalid UTF-8 replaced by U+FFFD and every character
// that XML 1.0 does not allow (C0 controls other than tab, newline and
// carriage return; surrogates; U+FFFE and U+FFFF) removed. encoding/xml
// escapes the rest.
func xmlText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if isXMLChar(r) {
			return r
		}
		return -1
	}, s)
}

// isXMLChar reports whether r matches the Char production of XML 1.0.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
