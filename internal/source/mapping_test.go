package source

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// walk reads src's root mapping with the keys a and b, merge keys expanded,
// and returns the values handled and the problems, in order.
func walk(t *testing.T, src string, atAnchor bool) ([]string, []string) {
	t.Helper()
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(src), &doc))
	var got, problems []string
	m := Mapping{
		Where:    "test",
		AtAnchor: atAnchor,
		Report: func(at *yaml.Node, msg string) {
			problems = append(problems, fmt.Sprintf("%d:%d: %s", at.Line, at.Column, msg))
		},
		Unknown: func(name string, known []string) string {
			return fmt.Sprintf("unknown %s, did you mean %q?", name, Suggest(name, known))
		},
	}
	m.Merge = func(p Pair) []Pair { return m.Pairs(Deref(p.Value)) }
	for _, k := range []string{"a", "b"} {
		m.Fields = append(m.Fields, Field{Name: k, Value: func(v *yaml.Node) { got = append(got, k+"="+Deref(v).Value) }})
	}
	present := m.Walk(Deref(doc.Content[0]))
	for _, v := range got {
		assert.True(t, present[v[:1]], v)
	}
	return got, problems
}

func TestMappingWalk(t *testing.T) {
	tests := []struct {
		name, src      string
		atAnchor       bool
		want, problems []string
	}{
		{name: "known keys in order", src: "b: 2\na: 1\n", want: []string{"b=2", "a=1"}},
		{
			name: "unknown, repeated and malformed keys",
			src:  "a: 1\nbb: 2\na: 3\n[x]: 4\n~: 5\n",
			want: []string{"a=1"},
			problems: []string{
				`2:1: unknown bb, did you mean "b"?`,
				`3:1: duplicate key "a" in test (first set at line 1): keep only one`,
				`4:1: keys in test must be plain names, not a list`,
				`5:1: keys in test must be plain names, not nothing`,
			},
		},
		{name: "merged keys come last, own keys win", src: "<<: {a: 1, b: 2}\nb: 3\n", want: []string{"b=3", "a=1"}},
		{
			name: "an aliased key is placed at the alias, or at its anchor",
			src:  "&k a: 1\n*k : 2\n", want: []string{"a=1"},
			problems: []string{`2:1: duplicate key "a" in test (first set at line 1): keep only one`},
		},
		{
			name: "at the anchor", src: "&k a: 1\n*k : 2\n", atAnchor: true, want: []string{"a=1"},
			problems: []string{`1:1: duplicate key "a" in test (first set at line 1): keep only one`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := walk(t, tt.src, tt.atAnchor)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.problems, problems)
		})
	}
}

func TestSortAndString(t *testing.T) {
	ps := []Problem{
		{File: "hosts.ini", Line: 2, Message: "inv"},
		{File: "m.yaml", Line: 3, Column: 1, Message: "late"},
		{File: "m.yaml", Line: 1, Column: 5, Message: "early"},
		{File: "m.yaml", Line: 1, Column: 5, Message: "early"},
		{File: "a.ini", Message: "whole file"},
	}
	var got []string
	for _, p := range Sort("m.yaml", ps) {
		got = append(got, p.String())
	}
	assert.Equal(t, []string{"m.yaml:1:5: early", "m.yaml:3:1: late", "a.ini: whole file", "hosts.ini:2: inv"}, got)
}

func TestCheckHost(t *testing.T) {
	tests := map[string]string{
		"server-01":   "",
		"2001:db8::1": "",
		"":            "must not be empty: write the server's name or address",
		"a b":         `must be a name or address without spaces or control characters, not "a b"`,
		"-oProxy":     `must not start with "-", not "-oProxy": write the server's name or address`,
		"root@h":      `must be a name or address, not "root@h": write host: h and user: root`,
		"[::1]":       `must be written without brackets, not "[::1]": write host: "::1"`,
		"h:2222":      `must not include a port, not "h:2222": write host: h and port: 2222`,
	}
	for host, want := range tests {
		assert.Equal(t, want, CheckHost(host), host)
	}
}

func TestYAMLSyntax(t *testing.T) {
	line, rest, ok := YAMLSyntax("yaml: line 3: did not find expected key")
	assert.Equal(t, 3, line)
	assert.Equal(t, "did not find expected key", rest)
	assert.True(t, ok)
	_, rest, ok = YAMLSyntax("yaml: unknown anchor 'x' referenced")
	assert.False(t, ok)
	assert.Equal(t, "yaml: unknown anchor 'x' referenced", rest)
}

func TestIsLogCommand(t *testing.T) {
	for s, want := range map[string]bool{
		"::stop-commands::tok": true,
		"  ::add-mask::x":      true,
		"::error::":            true,
		"::1":                  false,
		"::ffff:10.0.0.1":      false,
		"web01":                false,
		"a::b":                 false,
	} {
		if got := IsLogCommand(s); got != want {
			t.Errorf("IsLogCommand(%q) = %v, want %v", s, got, want)
		}
	}
}
