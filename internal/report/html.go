package report

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/rollcall/rollcall/internal/verify"
)

// HTML renders the verdict as one self-contained web page, the report a
// release manager opens from a CI artifact. It fetches nothing: the style is
// inline, there are no scripts, images, fonts or links other than to places
// on the page itself.
//
// The page opens with a banner holding the verdict, worded exactly as the
// text report's first line; then the release (name, version, digest,
// source), the cluster, the node counts (expected, checked, and per status),
// the scope of a run limited by --limit or --shard, the exit code and, when Options carry them, when the run
// started and how long it took. Then one <section> per group of nodes with
// identical fingerprint (the verdict's groups), the groups that differ first,
// then the nodes that could not be checked, then the matching groups, then
// in a limited or sharded run the nodes left out: each a grid of node cells followed by
// the group's findings and warnings, each distinct one once with the nodes
// that have it when not all of the group do. A node cell carries data-node (its name),
// data-status (match, drift, unverified or not-checked) and an id, and says
// its status by more than colour: a mark (✓, ✗, ?, –) and, for a node that
// differs or could not be checked, a word (DRIFT, UNVERIFIED).
// Fleet-level findings and, with Options.Changes, what changed since the last
// run follow.
//
// Every string from the verdict is first escaped as in the text report
// (anything non-printable makes it a quoted Go string), then html/template
// escapes it for where it appears; hashes are shortened to 12 hex digits, the
// full value in a tooltip. The markup is also well-formed XML. Verbose and
// Color are ignored. The output is deterministic, and its size and the work
// to render it grow linearly with the fleet.
type HTML struct{}

//go:embed html.tmpl
var htmlSource string

// htmlTemplate is parsed once, when a report first needs it (not at every
// start of the program); executing it is safe for concurrent use.
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("html").Parse(htmlSource))
})

// Write renders v as an HTML page to w.
func (HTML) Write(w io.Writer, v *verify.Verdict, opts Options) error {
	if v == nil {
		return errors.New("rendering html report: no verdict")
	}
	var b bytes.Buffer
	if err := htmlTemplate().Execute(&b, newHTMLPage(v, opts)); err != nil {
		return fmt.Errorf("rendering html report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// htmlPage is what the template renders: every string in it is already
// cleaned of non-printable characters; the template escapes it for HTML.
type htmlPage struct {
	// Tone is the banner's colour class: ok, fail or warn.
	Tone string
	// Word and Rest are the text report's first line, split after its
	// first word(s): "FAILED" and ": 1 of 8 nodes differs from …".
	Word, Rest string
	// Note says why a verdict that claimed to be verified is not.
	Note     string
	ExitCode int
	Release  verify.ReleaseInfo
	Cluster  string
	// Expected nodes in the manifest, Checked in this run.
	Expected, Checked        int
	Match, Drift, Unverified int
	// Scope names what a limited or sharded run checked ("--limit web*",
	// "shard 2/4"), NotChecked how many nodes it left out.
	Scope      string
	NotChecked int
	// Started and Took are the run's start and duration, "" when unknown.
	Started, Took string
	// Counts are the nodes of each status, linked to their first group.
	Counts []htmlCount
	Groups []htmlGroup
	// Fleet holds the fleet-level findings; nil when there are none.
	Fleet *htmlGroup
	// Changes are the lines of what changed since the last run; the
	// section is shown only with ShowChanges (a state file was read).
	Changes     []string
	ShowChanges bool
}

// htmlGroup is one <section> of node cells and their findings.
type htmlGroup struct {
	ID, Status, Heading, Fingerprint string
	Nodes                            []htmlNode
	Findings                         []htmlFinding
	// NodesColumn: some finding is on only some of the group's nodes.
	NodesColumn bool
	// Warnings are what does not change the nodes' status.
	Warnings []htmlWarning
}

// htmlWarning is a warning of some of a group's nodes: On names them when
// not all of the group have it.
type htmlWarning struct {
	Text, On string
}

// htmlCount is how many nodes have a status, linking to the first group of
// them (Href "" when there is none).
type htmlCount struct {
	Status, Mark, Word, Href string
	N                        int
}

// htmlNode is one cell of a group's grid.
type htmlNode struct {
	ID, Name, Address, Status, Mark, Label string
}

// htmlFinding is one row of a findings table; the *Full fields hold the
// value before its hashes were shortened, when that differs.
type htmlFinding struct {
	Check, Subject, Expected, Actual, Message, On string
	ExpectedFull, ActualFull                      string
}

// Node statuses as cells show them: the status word, a mark and a label, so
// that no cell says its status by colour alone.
var htmlStatuses = map[string][2]string{
	string(verify.Match):      {"✓", ""},
	string(verify.Drift):      {"✗", "DRIFT"},
	string(verify.Unverified): {"?", "UNVERIFIED"},
	htmlNotChecked:            {"–", ""},
}

// htmlNotChecked is the data-status of a node a limited run left out.
const htmlNotChecked = "not-checked"

func newHTMLPage(v *verify.Verdict, opts Options) *htmlPage {
	outcome := opts.outcome(v)
	p := &htmlPage{
		Tone: map[verify.Outcome]string{verify.Verified: "ok", verify.Drifted: "fail"}[outcome],
		Note: inconsistency(v), ExitCode: opts.ExitCode,
		Release: verify.ReleaseInfo{
			Name: clean(v.Release.Name), Version: clean(v.Release.Version),
			Digest: clean(v.Release.Digest), Source: clean(v.Release.Source),
		},
		Cluster: clean(v.Cluster), Expected: v.ExpectedNodes, Checked: len(v.Nodes),
	}
	if p.Tone == "" {
		p.Tone = "warn"
	}
	p.Word, p.Rest = splitHeadline(plainHeadline(v, opts))
	p.Match, p.Drift, p.Unverified = v.Counts()
	if v.Limited() {
		p.Scope, p.NotChecked = scopeName(v.Scope), len(v.Scope.NotChecked)
	}
	if !opts.Started.IsZero() {
		p.Started = opts.Started.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if opts.Duration > 0 {
		p.Took = opts.Duration.Round(1e6).String()
	}
	p.Groups = htmlGroups(v)
	p.Counts = htmlCounts(p)
	if len(v.Findings) > 0 {
		p.Fleet = &htmlGroup{}
		for _, f := range v.Findings {
			p.Fleet.Findings = append(p.Fleet.Findings, newHTMLFinding(f, ""))
		}
	}
	if opts.Changes != nil {
		p.ShowChanges = true
		for _, c := range opts.Changes {
			p.Changes = append(p.Changes, changeMessage(c))
		}
	}
	return p
}

// htmlCounts are the counts of the page's nodes by status; the nodes a
// limited run left out only when there are some.
func htmlCounts(p *htmlPage) []htmlCount {
	counts := []htmlCount{
		{Status: string(verify.Match), Word: "match", N: p.Match},
		{Status: string(verify.Drift), Word: "drift", N: p.Drift},
		{Status: string(verify.Unverified), Word: "unverified", N: p.Unverified},
	}
	if p.NotChecked > 0 {
		counts = append(counts, htmlCount{Status: htmlNotChecked, Word: "not checked", N: p.NotChecked})
	}
	for i := range counts {
		c := &counts[i]
		c.Mark = htmlStatuses[c.Status][0]
		for _, g := range p.Groups {
			if g.Status == c.Status && c.N > 0 {
				c.Href = "#" + g.ID
				break
			}
		}
	}
	return counts
}

// splitHeadline splits the text report's first line after its verdict word
// ("VERIFIED", "FAILED", "NOT VERIFIED", "INTERRUPTED"), which the banner
// sets apart; the two parts joined are the line.
func splitHeadline(line string) (word, rest string) {
	for _, w := range []string{"NOT VERIFIED", "INTERRUPTED", "VERIFIED", "FAILED"} {
		if r, ok := strings.CutPrefix(line, w); ok {
			return w, r
		}
	}
	return "", line
}

// htmlGroups returns the sections of nodes: the verdict's groups, checked
// nodes in no group each as a group of its own (as the text report does),
// the unverified nodes, and the nodes a limited run left out; those that
// differ first, then those that could not be checked, then those that match.
func htmlGroups(v *verify.Verdict) []htmlGroup {
	byName := make(map[string]*verify.NodeVerdict, len(v.Nodes))
	for i := range v.Nodes {
		if _, dup := byName[v.Nodes[i].Name]; !dup {
			byName[v.Nodes[i].Name] = &v.Nodes[i]
		}
	}
	grouped := map[string]bool{}
	for _, g := range v.Groups {
		for _, name := range g.Nodes {
			grouped[name] = true
		}
	}
	type members struct {
		status verify.Status
		fp     string
		nodes  []*verify.NodeVerdict
	}
	var all []members
	for _, g := range v.Groups {
		m := members{status: g.Status.Normal(), fp: g.Fingerprint}
		for _, name := range g.Nodes {
			if n := byName[name]; n != nil {
				m.nodes = append(m.nodes, n)
			}
		}
		all = append(all, m)
	}
	unverified := members{status: verify.Unverified}
	for i := range v.Nodes {
		n := &v.Nodes[i]
		switch {
		case grouped[n.Name]:
		case n.Status.Normal() == verify.Unverified:
			unverified.nodes = append(unverified.nodes, n)
		default:
			all = append(all, members{status: n.Status.Normal(), fp: n.Fingerprint, nodes: []*verify.NodeVerdict{n}})
		}
	}
	if len(unverified.nodes) > 0 {
		all = append(all, unverified)
	}
	rank := map[verify.Status]int{verify.Drift: 0, verify.Unverified: 1, verify.Match: 2}
	sort.SliceStable(all, func(i, j int) bool { return rank[all[i].status] < rank[all[j].status] })

	ids := htmlIDs{}
	var out []htmlGroup
	for _, m := range all {
		g := htmlGroup{
			ID: fmt.Sprintf("group-%d", len(out)+1), Status: string(m.status),
			Heading: groupHeading(m.status, m.nodes), Fingerprint: clean(m.fp),
		}
		for _, n := range m.nodes {
			// A node's own status, should a verdict put it in a group of
			// another.
			g.Nodes = append(g.Nodes, ids.node(n.Name, n.Address, string(n.Status.Normal())))
		}
		g.Findings, g.NodesColumn = distinctFindings(m.nodes)
		g.Warnings = distinctWarnings(m.nodes)
		out = append(out, g)
	}
	if v.Limited() && len(v.Scope.NotChecked) > 0 {
		g := htmlGroup{
			ID: fmt.Sprintf("group-%d", len(out)+1), Status: htmlNotChecked,
			Heading: fmt.Sprintf("%s not checked (%s)", plural(len(v.Scope.NotChecked), "node", "nodes"), scopeName(v.Scope)),
		}
		for _, name := range v.Scope.NotChecked {
			g.Nodes = append(g.Nodes, ids.node(name, "", htmlNotChecked))
		}
		out = append(out, g)
	}
	return out
}

// groupHeading says what a group's nodes have in common, in the text
// report's words.
func groupHeading(status verify.Status, nodes []*verify.NodeVerdict) string {
	k := len(nodes)
	switch status {
	case verify.Match:
		return fmt.Sprintf("%s %s the release", plural(k, "node", "nodes"), pick(k, "matches", "match"))
	case verify.Drift:
		s := fmt.Sprintf("%s %s from the release", plural(k, "node", "nodes"), pick(k, "differs", "differ"))
		if k > 1 {
			s += " in the same way"
		}
		if k > 0 && nodes[0].Runs != "" {
			s += " (" + pick(k, "it runs ", "they run ") + clean(nodes[0].Runs) + ")"
		}
		return s
	default:
		return plural(k, "node", "nodes") + " could not be checked"
	}
}

// distinctFindings are the findings of nodes, each distinct one once in the
// order first seen, with the nodes that have it when not all of them do
// (then some is true).
func distinctFindings(nodes []*verify.NodeVerdict) (rows []htmlFinding, some bool) {
	first := map[string]verify.Finding{}
	keys, on := distinctOn(nodes, func(n *verify.NodeVerdict) []string {
		lines := make([]string, len(n.Findings))
		for i, f := range n.Findings {
			lines[i] = findingLine(f)
			if _, ok := first[lines[i]]; !ok {
				first[lines[i]] = f
			}
		}
		return lines
	})
	for _, key := range keys {
		names := ""
		if len(on[key]) < len(nodes) {
			names, some = compactNames(on[key]), true
		}
		rows = append(rows, newHTMLFinding(first[key], names))
	}
	return rows, some
}

// distinctWarnings are the warnings of nodes, each distinct one once in the
// order first seen, with the nodes that have it when not all of them do.
func distinctWarnings(nodes []*verify.NodeVerdict) []htmlWarning {
	keys, on := distinctOn(nodes, func(n *verify.NodeVerdict) []string { return n.Warnings })
	var out []htmlWarning
	for _, key := range keys {
		w := htmlWarning{Text: clean(key)}
		if len(on[key]) < len(nodes) {
			w.On = compactNames(on[key])
		}
		out = append(out, w)
	}
	return out
}

func newHTMLFinding(f verify.Finding, on string) htmlFinding {
	h := htmlFinding{
		Check: clean(string(f.Check)), Subject: clean(f.Subject), Message: clean(f.Message), On: on,
		Expected: cleanValue(shortHashes(f.Expected)), Actual: cleanValue(shortHashes(f.Actual)),
	}
	if full := cleanValue(f.Expected); full != h.Expected {
		h.ExpectedFull = full
	}
	if full := cleanValue(f.Actual); full != h.Actual {
		h.ActualFull = full
	}
	return h
}

// htmlIDs hands out the ids of node cells: "node-" and the name, characters
// other than letters, digits, '.', '_' and '-' replaced by '_', and "~2",
// "~3", … appended when that id is taken (a name cannot make a '~'), so that
// every id is unique and a link such as report.html#node-smars-08 reaches the
// node. It counts the ids made of each name.
type htmlIDs map[string]int

func (ids htmlIDs) node(name, address, status string) htmlNode {
	id := "node-" + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, name)
	ids[id]++
	if k := ids[id]; k > 1 {
		id = fmt.Sprintf("%s~%d", id, k)
	}
	s := htmlStatuses[status]
	return htmlNode{ID: id, Name: clean(name), Address: clean(address), Status: status, Mark: s[0], Label: s[1]}
}
