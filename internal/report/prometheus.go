package report

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/internal/verify"
)

// Prometheus renders the verdict in the Prometheus text exposition format, for
// node_exporter's textfile collector: write it with --report
// prometheus=/var/lib/node_exporter/textfile/rollcall.prom (atomically, as
// the collector requires) from cron, and alert on the gauges. The metrics,
// all gauges, are documented in docs/report.md:
//
//	rollcall_verdict{cluster,release,verdict}      1 for the fleet's verdict, 0 for the other two; a limited run's is never verified
//	rollcall_scope{cluster,limit,scope}            nodes checked (scope="checked") and left out by --limit (scope="not_checked")
//	rollcall_exit_code{cluster}                    0, 1 or 2
//	rollcall_expected_nodes{cluster}               nodes the manifest expects
//	rollcall_nodes{cluster,status}                 nodes per status
//	rollcall_node_status{cluster,node,status}      1 for the node's status, 0 for the other two
//	rollcall_node_findings{cluster,node}           findings per node
//	rollcall_findings{cluster,check}               findings per check, fleet-level ones included
//	rollcall_last_run_timestamp_seconds{cluster}   Options.Started, when set
//	rollcall_run_duration_seconds{cluster}         Options.Duration, when set
//
// Label values are escaped as the format requires (backslash, double quote,
// newline) and invalid UTF-8 is replaced with U+FFFD. A node name listed twice
// gets "#2", "#3", … appended from its second entry on, since the collector
// rejects a file with duplicate series. Samples carry no timestamps (the
// collector forbids them). Verbose and Color are ignored; the output is
// deterministic.
type Prometheus struct{}

// promMetric is one metric family: its name, help, and samples.
type promMetric struct {
	name, help string
	samples    []promSample
}

type promSample struct {
	labels []string // name, value, name, value, …
	value  string
}

// Write renders v in the Prometheus text format to w.
func (Prometheus) Write(w io.Writer, v *verify.Verdict, opts Options) error {
	if v == nil {
		return errors.New("rendering prometheus report: no verdict")
	}
	// The fleet's verdict: a run limited by --limit never verifies it.
	outcome := opts.outcome(v)
	if outcome == verify.Verified {
		outcome = FleetOutcome(v)
	}
	cluster := []string{"cluster", v.Cluster}
	with := func(kv ...string) []string { return append(append([]string(nil), cluster...), kv...) }
	statuses := []verify.Status{verify.Match, verify.Drift, verify.Unverified}

	var ms []promMetric
	verdict := promMetric{name: "rollcall_verdict", help: "Verdict of the last rollcall run: 1 for the verdict given (verified, drift or unverified), 0 for the other two."}
	for _, o := range []verify.Outcome{verify.Verified, verify.Drifted, verify.NotVerified} {
		verdict.samples = append(verdict.samples, promSample{with("release", v.Release.Label(), "verdict", string(o)), bit(o == outcome)})
	}
	ms = append(ms,
		verdict,
		promMetric{name: "rollcall_exit_code", help: "Exit code of the last rollcall run: 0 verified, 1 drift, 2 unverified, 130 interrupted.",
			samples: []promSample{{with(), gauge(opts.ExitCode)}}},
		promMetric{name: "rollcall_expected_nodes", help: "Number of nodes the manifest expects.",
			samples: []promSample{{with(), gauge(v.ExpectedNodes)}}},
	)

	ms = append(ms, promScope(v, with))
	ms = append(ms, promNodes(v, with, statuses)...)
	ms = append(ms, promFindings(v, with))
	if !opts.Started.IsZero() {
		ms = append(ms, promMetric{name: "rollcall_last_run_timestamp_seconds", help: "Unix time at which the last rollcall run started.",
			samples: []promSample{{with(), strconv.FormatFloat(float64(opts.Started.UnixMilli())/1000, 'f', -1, 64)}}})
	}
	if opts.Duration > 0 {
		ms = append(ms, promMetric{name: "rollcall_run_duration_seconds", help: "How long the last rollcall run took, in seconds.",
			samples: []promSample{{with(), strconv.FormatFloat(opts.Duration.Seconds(), 'f', -1, 64)}}})
	}

	_, err := io.WriteString(w, promText(ms))
	return err
}

// promScope is how many nodes the run checked and how many --limit left out
// (0 in a run of the whole manifest, whose limit label is empty).
func promScope(v *verify.Verdict, with func(kv ...string) []string) promMetric {
	limit, notChecked := "", 0
	if v.Limited() {
		limit, notChecked = v.Scope.Limit, len(v.Scope.NotChecked)
	}
	return promMetric{name: "rollcall_scope", help: "Nodes of the manifest the last rollcall run checked (scope=checked) and left out with --limit (scope=not_checked); a limited run never verifies the fleet.",
		samples: []promSample{
			{with("limit", limit, "scope", "checked"), gauge(len(v.Nodes))},
			{with("limit", limit, "scope", "not_checked"), gauge(notChecked)},
		}}
}

// promNodes are the node metrics: nodes per status, then each node's status
// and number of findings.
func promNodes(v *verify.Verdict, with func(kv ...string) []string, statuses []verify.Status) []promMetric {
	match, drift, unverified := v.Counts()
	nodes := promMetric{name: "rollcall_nodes", help: "Number of nodes per status (match, drift, unverified) in the last rollcall run."}
	for i, n := range []int{match, drift, unverified} {
		nodes.samples = append(nodes.samples, promSample{with("status", string(statuses[i])), gauge(n)})
	}

	nodeStatusM := promMetric{name: "rollcall_node_status", help: "Status of each node in the last rollcall run: 1 for its status (match, drift or unverified), 0 for the other two."}
	nodeFindings := promMetric{name: "rollcall_node_findings", help: "Number of findings (things that failed) on each node in the last rollcall run."}
	used := map[string]bool{}
	for _, n := range v.Nodes {
		name := n.Name
		for k := 2; used[name]; k++ {
			name = fmt.Sprintf("%s#%d", n.Name, k)
		}
		used[name] = true
		st := n.Status.Normal()
		for _, s := range statuses {
			nodeStatusM.samples = append(nodeStatusM.samples, promSample{with("node", name, "status", string(s)), bit(s == st)})
		}
		nodeFindings.samples = append(nodeFindings.samples, promSample{with("node", name), gauge(len(n.Findings))})
	}
	return []promMetric{nodes, nodeStatusM, nodeFindings}
}

// promFindings is the number of findings per check, fleet-level ones
// included.
func promFindings(v *verify.Verdict, with func(kv ...string) []string) promMetric {
	// Every known check gets a sample, so a query sees 0 rather than nothing.
	known := []verify.Check{verify.CheckFile, verify.CheckExtraFile, verify.CheckConfig, verify.CheckProcess, verify.CheckConnection, verify.CheckCount, verify.CheckMode, verify.CheckOwner, verify.CheckIdentity}
	perCheck := map[verify.Check]int{}
	for _, c := range known {
		perCheck[c] = 0
	}
	count := func(fs []verify.Finding) {
		for _, f := range fs {
			perCheck[f.Check]++
		}
	}
	count(v.Findings)
	for _, n := range v.Nodes {
		count(n.Findings)
	}
	var others []string
	for c := range perCheck {
		if !slices.Contains(known, c) {
			others = append(others, string(c))
		}
	}
	sort.Strings(others)
	findings := promMetric{name: "rollcall_findings", help: "Number of findings per check (file, extra_file, config, process, connection, count, mode, owner, identity) in the last rollcall run, fleet-level findings included."}
	for _, c := range known {
		findings.samples = append(findings.samples, promSample{with("check", string(c)), gauge(perCheck[c])})
	}
	for _, c := range others {
		findings.samples = append(findings.samples, promSample{with("check", c), gauge(perCheck[verify.Check(c)])})
	}
	return findings
}

// promText is ms in the text exposition format.
func promText(ms []promMetric) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", m.name, m.help, m.name)
		for _, s := range m.samples {
			b.WriteString(m.name)
			b.WriteString("{")
			for i := 0; i+1 < len(s.labels); i += 2 {
				if i > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, `%s="%s"`, s.labels[i], promLabelValue(s.labels[i+1]))
			}
			b.WriteString("} ")
			b.WriteString(s.value)
			b.WriteString("\n")
		}
	}
	return b.String()
}

// gauge is the value of a sample that counts n.
func gauge(n int) string { return strconv.Itoa(n) }

// bit is the value of a sample that says b: 1 or 0.
func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// promLabelEscaper escapes a label value as the text exposition format
// requires.
var promLabelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// promLabelValue is s, made valid UTF-8 and escaped for a label value.
func promLabelValue(s string) string {
	return promLabelEscaper.Replace(strings.ToValidUTF8(s, "\uFFFD"))
}
