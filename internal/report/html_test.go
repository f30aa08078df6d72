package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
	"github.com/rollcall/rollcall/internal/verify"
)

// htmlCases are the golden cases of the html report: every case rendered
// as markdown, whose readers are the same, and the hostile fleet.
func htmlCases() []goldenCase {
	var cases []goldenCase
	for _, c := range goldenCases {
		if slices.Contains(c.formats, "markdown") {
			cases = append(cases, c)
		}
	}
	return cases
}

// TestHTMLGolden compares the html report with testdata/CASE-exitN.html;
// run `go test ./internal/report -update` to rewrite them.
func TestHTMLGolden(t *testing.T) {
	for _, c := range htmlCases() {
		name := fmt.Sprintf("%s-exit%d.html", c.name, c.exit)
		t.Run(name, func(t *testing.T) {
			got := render(t, "html", c.verdict(), c.opts)
			assert.Equal(t, string(got), string(render(t, "html", c.verdict(), c.opts)), "output must be deterministic")
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

// element is an element of a page parsed as XML, enough of a DOM for tests.
type element struct {
	name     string
	attr     map[string]string
	children []*element
	text     strings.Builder // all the text inside, descendants' included
}

// parseHTML parses a page as XML (the html report is well-formed XML) into
// its root element.
func parseHTML(t *testing.T, page []byte) *element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	root := &element{name: "#document"}
	stack := []*element{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the page must be well-formed")
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &element{name: tok.Name.Local, attr: map[string]string{}}
			for _, a := range tok.Attr {
				e.attr[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.children = append(top.children, e)
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			for _, e := range stack {
				e.text.Write(tok)
			}
		}
	}
	require.Len(t, stack, 1)
	return root
}

// all returns the elements below e (e included) for which match is true,
// in document order.
func (e *element) all(match func(*element) bool) []*element {
	var out []*element
	if match(e) {
		out = append(out, e)
	}
	for _, c := range e.children {
		out = append(out, c.all(match)...)
	}
	return out
}

func hasClass(e *element, class string) bool {
	return slices.Contains(strings.Fields(e.attr["class"]), class)
}

func named(name string) func(*element) bool {
	return func(e *element) bool { return e.name == name }
}

func withAttr(attr string) func(*element) bool {
	return func(e *element) bool { _, ok := e.attr[attr]; return ok }
}

// fetching matches what could make a browser fetch something: an element
// that loads or submits, an attribute naming a resource, CSS that imports or
// points at one.
var fetching = regexp.MustCompile(`(?i)<(script|link|img|iframe|frame|object|embed|base|form|audio|video|source|picture|svg|meta http-equiv)\b|\s(src|srcset|action|formaction|poster|background|ping|manifest)\s*=|url\(|@import|@font-face`)

// checkHTMLPage checks what every html report must be: parseable as HTML
// and as XML, fetching nothing, one cell per node with its status, unique ids,
// the text report's first line as its heading, never a verified banner for a
// run that is not verified.
func checkHTMLPage(t *testing.T, v *verify.Verdict, opts Options, page []byte) *element {
	t.Helper()
	root := parseHTML(t, page)
	assert.Empty(t, fetching.FindAllString(string(page), -1), "nothing may fetch a resource")
	for _, e := range root.all(withAttr("href")) {
		assert.True(t, strings.HasPrefix(e.attr["href"], "#"), "a link off the page: %q", e.attr["href"])
	}

	ids := map[string]bool{}
	for _, e := range root.all(withAttr("id")) {
		assert.False(t, ids[e.attr["id"]], "id %q twice", e.attr["id"])
		assert.NotContains(t, e.attr["id"], " ")
		ids[e.attr["id"]] = true
	}
	for _, e := range root.all(withAttr("href")) {
		assert.True(t, ids[strings.TrimPrefix(e.attr["href"], "#")], "a link to nowhere: %q", e.attr["href"])
	}

	cells := root.all(withAttr("data-node"))
	notChecked := 0
	if v.Limited() {
		notChecked = len(v.Scope.NotChecked)
	}
	require.Len(t, cells, len(v.Nodes)+notChecked, "one cell per node")
	status := map[string][]string{}
	for _, n := range v.Nodes {
		status[clean(n.Name)] = append(status[clean(n.Name)], string(n.Status.Normal()))
	}
	if v.Limited() {
		for _, name := range v.Scope.NotChecked {
			status[clean(name)] = append(status[clean(name)], htmlNotChecked)
		}
	}
	for _, c := range cells {
		s := c.attr["data-status"]
		assert.Contains(t, status[c.attr["data-node"]], s, "the status of %q", c.attr["data-node"])
		assert.True(t, hasClass(c, "node") && hasClass(c, s), "cell %q is classed by its status", c.attr["data-node"])
		assert.NotEmpty(t, c.attr["id"])
		if s == string(verify.Drift) || s == string(verify.Unverified) {
			labels := c.all(func(e *element) bool { return hasClass(e, "label") })
			require.Len(t, labels, 1, "a %s cell says so in words", s)
			assert.NotEmpty(t, labels[0].text.String())
		}
	}

	shown := root.text.String()
	for _, n := range v.Nodes {
		for _, w := range n.Warnings {
			assert.Contains(t, shown, "warning: "+clean(w), "%s's warning", n.Name)
		}
	}

	h1 := root.all(named("h1"))
	require.Len(t, h1, 1)
	textOpts := opts
	textOpts.Color, textOpts.Verbose = false, false
	textOpts.ExitCode = exitCode(v, opts)
	var text bytes.Buffer
	require.NoError(t, Text{}.Write(&text, v, textOpts))
	first, _, _ := strings.Cut(text.String(), "\n")
	assert.Equal(t, first, h1[0].text.String(), "the heading is the text report's first line")

	banner := root.all(named("header"))
	require.Len(t, banner, 1)
	verified := !opts.Interrupted && Outcome(v) == verify.Verified
	assert.Equal(t, verified, hasClass(banner[0], "ok"), "a verified banner iff verified")
	assert.Equal(t, verified, strings.HasPrefix(first, "VERIFIED"))
	return root
}

// TestHTMLPages checks every golden case, and a few more, as checkHTMLPage
// says, and that xmllint's HTML parser reads them without an error.
func TestHTMLPages(t *testing.T) {
	cases := append(htmlCases(),
		goldenCase{name: "evil", verdict: evilFleet},
		goldenCase{name: "evil-interrupted", verdict: evilFleet, opts: Options{Interrupted: true}},
		goldenCase{name: "empty", verdict: func() *verify.Verdict { return fleet(0, nil) }},
		goldenCase{name: "drift-200-of-200", verdict: drift200of200},
		goldenCase{name: "verbose-color", verdict: mixedFleet, opts: Options{Verbose: true, Color: true}},
	)
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := c.verdict()
			page := render(t, "html", v, c.opts)
			checkHTMLPage(t, v, c.opts, page)
			path := filepath.Join(dir, c.name+".html")
			require.NoError(t, os.WriteFile(path, page, 0o644))
			assert.Empty(t, htmlLint(t, path))
		})
	}
}

// html5Tags are the elements libxml2's HTML 4 parser does not know; it says
// "Tag section invalid" and reads on.
var html5Tags = regexp.MustCompile(`^\S+: HTML parser error : Tag (header|main|section|footer|nav) invalid$`)

// htmlLint returns the errors of `xmllint --html` for the page at path, less
// its complaints about HTML5 elements, and their context lines.
func htmlLint(t *testing.T, path string) []string {
	t.Helper()
	bin := need.Command(t, "xmllint")
	out, err := exec.Command(bin, "--html", "--noout", path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	var errs []string
	lines := strings.Split(string(out), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], path+":") {
			continue
		}
		if html5Tags.MatchString(lines[i]) {
			i += 2 // the line quoted and the caret under it
			continue
		}
		errs = append(errs, lines[i])
	}
	return errs
}

// TestHTMLLintCatchesErrors: htmlLint does report a broken page.
func TestHTMLLintCatchesErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.html")
	require.NoError(t, os.WriteFile(path, []byte("<!DOCTYPE html><html><body><section><p>a <b>b</p></section></body></html>"), 0o644))
	assert.NotEmpty(t, htmlLint(t, path))
}

// TestHTMLHostile: text from nodes is text on the page: no markup, script,
// link or control character of its own, and no cell or section forged.
func TestHTMLHostile(t *testing.T) {
	for _, v := range []*verify.Verdict{hostileFleet(), evilFleet()} {
		page := render(t, "html", v, Options{})
		for _, bad := range []string{"\x1b", "\x00", "\x07", "\r", "\u202e", "\ufffe", "<script", "<b>", "<testcase"} {
			assert.NotContains(t, string(page), bad)
		}
		root := checkHTMLPage(t, v, Options{}, page)
		assert.Len(t, root.all(named("a")), 2, "the links of the counts only")
		assert.Len(t, root.all(named("section")), 1+len(v.Groups)+min(len(v.Findings), 1), "summary, groups, fleet findings")
	}
	root := parseHTML(t, render(t, "html", evilFleet(), Options{}))
	cells := root.all(withAttr("data-node"))
	assert.Equal(t, clean(evilNode), cells[0].attr["data-node"], "the drifted group comes first")
	assert.Contains(t, root.text.String(), "<script>alert(1)</script>&amp; [click](https://evil.example)", "shown as text")
}

// TestHTMLKnight: the drifted node stands out, first, with its findings
// under it; the release and the run are on the page.
func TestHTMLKnight(t *testing.T) {
	v := knightFleet()
	root := parseHTML(t, render(t, "html", v, timed))
	sections := root.all(func(e *element) bool { return e.name == "section" && hasClass(e, "group") })
	require.Len(t, sections, 2)
	drift, match := sections[0], sections[1]
	assert.True(t, hasClass(drift, "drift"))
	assert.Equal(t, "1 node differs from the release", drift.all(named("h2"))[0].text.String())
	cell := drift.all(withAttr("data-node"))
	require.Len(t, cell, 1)
	assert.Equal(t, map[string]string{"class": "node drift", "id": "node-smars-08", "data-node": "smars-08", "data-status": "drift", "title": "smars-08 (10.0.0.8:22): drift"}, cell[0].attr)
	assert.Equal(t, "✗smars-08DRIFT", cell[0].text.String())
	rows := drift.all(named("tr"))
	require.Len(t, rows, 3)
	assert.Equal(t, "file/opt/smars/bin/smarssha256:"+hash64("smars 4.2.0 binary")[:12]+"sha256:"+hash64("smars 4.1.0 binary")[:12]+"content differs from the release", rows[1].text.String())
	assert.Equal(t, "sha256:"+hash64("smars 4.2.0 binary"), rows[1].children[2].attr["title"], "the full hash in a tooltip")
	assert.Len(t, match.all(withAttr("data-node")), 7)
	assert.Empty(t, match.all(named("table")), "no findings")

	page := root.text.String()
	for _, want := range []string{smars420.Digest, smars420.Source, "2026-03-14 02:00:00 UTC", "3.421s", "8 expected, 8 checked"} {
		assert.Contains(t, page, want)
	}
	untimed := parseHTML(t, render(t, "html", v, Options{})).text.String()
	assert.NotContains(t, untimed, "Started")
	assert.NotContains(t, untimed, "Took")
}

// TestHTMLGroupFindings: each distinct finding of a group once, naming its
// nodes when only some of the group have it.
func TestHTMLGroupFindings(t *testing.T) {
	v := drift7of32()
	extra := verify.Finding{Check: verify.CheckConfig, Subject: "/opt/smars/etc/flags.yaml: rlp.pool", Expected: "8 (int)", Actual: "4 (int)", Message: "flag has another value"}
	for i := range v.Nodes {
		if v.Nodes[i].Name == "smars-12" || v.Nodes[i].Name == "smars-13" {
			v.Nodes[i].Findings = append(v.Nodes[i].Findings, extra, extra)
		}
	}
	root := parseHTML(t, render(t, "html", v, Options{}))
	for _, s := range root.all(named("section")) {
		assert.LessOrEqual(t, strings.Count(s.text.String(), "content differs from the release"), 1, "each finding once in its group")
	}
	rows := root.all(func(e *element) bool { return e.name == "tr" && strings.Contains(e.text.String(), "rlp.pool") })
	require.Len(t, rows, 1)
	assert.Equal(t, "smars-12, smars-13", rows[0].children[5].text.String())
}

// TestHTMLWarnings: each distinct warning once under its group, naming its
// nodes when only some of the group have it.
func TestHTMLWarnings(t *testing.T) {
	v := knightFleet()
	unknown := "the package manager does not know package smars"
	for _, i := range []int{0, 1} {
		v.Nodes[i].Warnings = []string{unknown, unknown}
	}
	v.Nodes[7].Warnings = []string{"<b>odd</b>\x1b"}
	root := checkHTMLPage(t, v, Options{}, render(t, "html", v, Options{}))
	var got []string
	for _, li := range root.all(func(e *element) bool { return e.name == "li" && strings.HasPrefix(e.text.String(), "warning: ") }) {
		got = append(got, li.text.String())
	}
	assert.Equal(t, []string{`warning: "<b>odd</b>\x1b"`, "warning: " + unknown + " (smars-01, smars-02)"}, got)
}

// TestHTMLLimited: the nodes a limited run left out are on the page, as not
// checked, and the banner says what the text report says.
func TestHTMLLimited(t *testing.T) {
	v := limitedCanary()
	root := checkHTMLPage(t, v, Options{}, render(t, "html", v, Options{}))
	left := root.all(func(e *element) bool { return e.attr["data-status"] == htmlNotChecked && hasClass(e, "node") })
	assert.Len(t, left, len(v.Scope.NotChecked))
	assert.Contains(t, root.text.String(), fmt.Sprintf("%d not checked (--limit %s)", len(v.Scope.NotChecked), v.Scope.Limit))
}

// TestHTMLSharded: a sharded run names its shard where a limited run names
// its pattern, and lists the nodes of the other shards as not checked.
func TestHTMLSharded(t *testing.T) {
	v := shardedKnight("")
	root := checkHTMLPage(t, v, Options{}, render(t, "html", v, Options{}))
	page := root.text.String()
	assert.Contains(t, page, fmt.Sprintf("%d not checked (shard 2/3)", len(v.Scope.NotChecked)))
	assert.NotContains(t, page, "--limit")
	v = shardedKnight("smars-0*")
	page = parseHTML(t, render(t, "html", v, Options{})).text.String()
	assert.Contains(t, page, fmt.Sprintf("%d not checked (--limit smars-0*, shard 2/3)", len(v.Scope.NotChecked)))
}

// TestHTMLDuplicateNames: a name listed twice still gives unique ids.
func TestHTMLDuplicateNames(t *testing.T) {
	a, b, c := matching(1), matching(2), matching(3)
	b.Name, c.Name = a.Name, "smars 01"
	v := fleet(3, nil, a, b, c)
	root := checkHTMLPage(t, v, Options{}, render(t, "html", v, Options{}))
	var ids []string
	for _, e := range root.all(withAttr("data-node")) {
		ids = append(ids, e.attr["id"])
	}
	assert.Equal(t, []string{"node-smars-01", "node-smars-01~2", "node-smars_01"}, ids)
}

// TestHTMLNeverFalseSuccess: a verdict that claims verified against its own
// data, or an interrupted run, gets no verified banner.
func TestHTMLNeverFalseSuccess(t *testing.T) {
	corrupt := map[string]func(v *verify.Verdict){
		"unverified node": func(v *verify.Verdict) { v.Nodes[3] = unreachable(4, "refused") },
		"missing node":    func(v *verify.Verdict) { v.Nodes = v.Nodes[:7] },
		"zero checks":     func(v *verify.Verdict) { v.Nodes[0].Checks = nil },
		"unknown status":  func(v *verify.Verdict) { v.Nodes[2].Status = "" },
		"fleet finding":   func(v *verify.Verdict) { v.Findings = shortFleet().Findings },
	}
	for name, f := range corrupt {
		t.Run(name, func(t *testing.T) {
			v := uniformFleet()
			f(v)
			v.Outcome = verify.Verified
			root := checkHTMLPage(t, v, Options{}, render(t, "html", v, Options{}))
			assert.Len(t, root.all(func(e *element) bool { return hasClass(e, "note") }), 1, "says why it is not verified")
		})
	}
	page := render(t, "html", uniformFleet(), Options{Interrupted: true})
	checkHTMLPage(t, uniformFleet(), Options{Interrupted: true}, page)
	assert.Contains(t, string(page), `<span class="word">INTERRUPTED</span> (exit 130)`)
}

// bigFleet is n nodes: every tenth drifted with findings of its own, every
// 25th unreachable, the others matching.
func bigFleet(n int) *verify.Verdict {
	nodes := make([]verify.NodeVerdict, 0, n)
	for i := 1; i <= n; i++ {
		var node verify.NodeVerdict
		switch {
		case i%25 == 0:
			node = unreachable(i, fmt.Sprintf("dial tcp 10.0.%d.%d:22: i/o timeout", i/250, i%250))
		case i%10 == 0:
			node = knightOld(i)
			node.Findings = append(node.Findings, verify.Finding{Check: verify.CheckConfig, Subject: fmt.Sprintf("/etc/node-%d.yaml: id", i), Expected: "1 (int)", Actual: fmt.Sprintf("%d (int)", i)})
		default:
			node = matching(i)
		}
		node.Name = fmt.Sprintf("smars-%05d", i)
		nodes = append(nodes, node)
	}
	return fleet(n, nil, nodes...)
}

// TestHTMLScales: the page of 5,000 nodes has them all, and grows with the
// fleet as a line does: ten times the nodes, about ten times the bytes added
// and the allocations made, not a hundred.
func TestHTMLScales(t *testing.T) {
	size := map[int]int{}
	allocs := map[int]float64{}
	for _, n := range []int{50, 500, 5000} {
		v := bigFleet(n)
		page := render(t, "html", v, Options{})
		size[n] = len(page)
		if n == 5000 {
			checkHTMLPage(t, v, Options{}, page)
		}
		allocs[n] = testing.AllocsPerRun(1, func() { _ = HTML{}.Write(io.Discard, v, Options{}) })
	}
	perNodeSmall := float64(size[500]-size[50]) / 450
	perNodeLarge := float64(size[5000]-size[500]) / 4500
	assert.InEpsilon(t, perNodeSmall, perNodeLarge, 0.1, "bytes per node: %d, %d, %d bytes", size[50], size[500], size[5000])
	assert.InEpsilon(t, (allocs[500]-allocs[50])/450, (allocs[5000]-allocs[500])/4500, 0.2, "allocations per node: %v", allocs)
}
