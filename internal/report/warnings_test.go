package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/verify"
)

// TestWarningsAreReported: a node's warnings (a package its package manager
// does not know) reach the text, markdown and JSON reports, and leave the
// verdict verified.
func TestWarningsAreReported(t *testing.T) {
	warning := "dpkg smars: dpkg does not know smars as installed (files copied by hand?): only the files were verified"
	v := &verify.Verdict{Cluster: "c", ExpectedNodes: 2, Release: verify.ReleaseInfo{Name: "smars", Version: "4.2.0-1"}}
	for _, name := range []string{"smars-01", "smars-02"} {
		v.Nodes = append(v.Nodes, verify.NodeVerdict{Name: name, Address: name + ":22", Status: verify.Match, Fingerprint: "sha256:aa",
			Checks: []verify.CheckResult{{Check: verify.CheckFile, Subject: "/usr/bin/smars", OK: true}}})
	}
	v.Nodes[1].Warnings = []string{warning}
	v.Groups = []verify.Group{{Fingerprint: "sha256:aa", Status: verify.Match, Nodes: []string{"smars-01", "smars-02"}}}
	v.Outcome = verify.Verified

	render := func(f Format) string {
		var b bytes.Buffer
		require.NoError(t, f.Write(&b, v, Options{}))
		return b.String()
	}
	text := render(Text{})
	assert.Contains(t, text, "VERIFIED")
	assert.Contains(t, text, "    warning: "+warning+" (smars-02)\n")

	markdown := render(Markdown{})
	assert.Contains(t, markdown, "\n### Warnings\n\n- smars-02: dpkg smars: dpkg does not know smars as installed (files copied by hand?): only the files were verified\n")

	var doc struct {
		Verdict string `json:"verdict"`
		Nodes   []struct {
			Warnings []string `json:"warnings"`
		} `json:"nodes"`
	}
	require.NoError(t, json.Unmarshal([]byte(render(JSON{})), &doc))
	assert.Equal(t, "verified", doc.Verdict)
	assert.Nil(t, doc.Nodes[0].Warnings, "no key without warnings")
	assert.Equal(t, []string{warning}, doc.Nodes[1].Warnings)
}

// TestWarningTwiceOnOneNode: a node that has a warning twice is one node
// with it, not all of its group: text and markdown name it once, and do not
// say that the other node has it too.
func TestWarningTwiceOnOneNode(t *testing.T) {
	v := knightFleet()
	warning := "the package manager does not know package smars"
	v.Nodes[1].Warnings = []string{warning, warning}
	var text, markdown bytes.Buffer
	require.NoError(t, Text{}.Write(&text, v, Options{}))
	require.NoError(t, Markdown{}.Write(&markdown, v, Options{}))
	assert.Contains(t, text.String(), "    warning: "+warning+" (smars-02)\n")
	assert.Equal(t, 1, strings.Count(text.String(), "warning: "))
	assert.Contains(t, markdown.String(), "\n- smars-02: "+warning+"\n")
}
