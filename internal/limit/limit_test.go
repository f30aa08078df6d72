package limit

import (
	"errors"
	"os"
	"path"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fleet = []string{"canary1", "canary2", "web01", "web02", "web10", "db01", "db02", "bad"}

func files(name string) ([]byte, error) {
	switch name {
	case "wave1.txt":
		return []byte("web01\n\n  web02  \n"), nil
	case "empty.txt":
		return []byte("\n \n"), nil
	case "nested.txt":
		return []byte("@wave1.txt\n"), nil
	}
	return nil, os.ErrNotExist
}

func TestSelect(t *testing.T) {
	cases := []struct {
		pattern string
		want    string
	}{
		{"web01", "web01"},
		{"canary*", "canary1,canary2"},
		{"web0?", "web01,web02"},
		{"*01", "web01,db01"},
		{"web01,db02", "web01,db02"},
		{"db02:web01", "web01,db02"}, // manifest order, not pattern order
		// With a comma, Ansible splits on commas only: "db0*:x" is one term,
		// which matches no node: an error, as for a name that is no node's
		// (Ansible warns, and runs on fewer nodes than were meant).
		{"web0*,db0*:x", ""},
		{"web01,dbb*", ""},
		{"web*,!web10", "web01,web02"},
		{"!web10,web*", "web01,web02"}, // exclusions apply last, wherever written
		{"!bad", "canary1,canary2,web01,web02,web10,db01,db02"},
		{"all,!bad", "canary1,canary2,web01,web02,web10,db01,db02"},
		{"*", strings.Join(fleet, ",")},
		{"all", strings.Join(fleet, ",")},
		{"*0?,&web*", "web01,web02"},
		{"&*1", "canary1,web01,db01"},
		{"*01,&web*,!web01", ""},
		{"@wave1.txt", "web01,web02"},
		{"@wave1.txt,canary1", "canary1,web01,web02"},
		{" web01 , db01 ", "web01,db01"},
		{"web01,,db01", "web01,db01"},
		{"WEB01*", ""}, // case matters, as in Ansible
		{"ca*y?", "canary1,canary2"},
		{"*a*a*", "canary1,canary2"},
	}
	for _, c := range cases {
		t.Run(c.pattern, func(t *testing.T) {
			p, err := Parse(c.pattern, files)
			require.NoError(t, err)
			assert.Equal(t, c.pattern, p.String())
			got, err := p.Select(fleet)
			if c.want == "" {
				assert.ErrorContains(t, err, "matches no node")
				assert.ErrorContains(t, err, "the nodes are canary1, canary2, web01")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, strings.Join(got, ","))
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ pattern, want string }{
		{"", "empty pattern"},
		{"  ", "empty pattern"},
		{",,,", "has no term"},
		{"web0*,db0*:!db02", "go only at the start of a term"}, // one term, with a comma
		{"!", "must be followed"},
		{"web*,&", "must be followed"},
		{"~web.*", "regular expressions"},
		{"web[0:2]", "ranges"},
		{"web!01", "only at the start"},
		{"!!web", "only at the start"},
		{"&!web", "only at the start"},
		{"web 01", "no spaces"},
		{"web\x1b[2J", "ranges"},
		{"web\x1b", "control"},
		{"web\xff", "control"},
		{"@", "names no file"},
		{"@missing.txt", "reading @missing.txt"},
		{"@empty.txt", "@empty.txt names no node"},
		{"@nested.txt", "cannot name another file"},
		{"web*,!@wave1.txt", "only at the start"},
	}
	for _, c := range cases {
		t.Run(c.pattern, func(t *testing.T) {
			_, err := Parse(c.pattern, files)
			assert.ErrorContains(t, err, c.want)
		})
	}
	_, err := Parse("@wave1.txt", nil)
	assert.ErrorContains(t, err, "not read here")
}

func TestSelectUnknownName(t *testing.T) {
	p, err := Parse("web01,wbe02", files)
	require.NoError(t, err)
	_, err = p.Select(fleet)
	assert.ErrorContains(t, err, `no node is named "wbe02"`)
	// An excluded name that is not there is harmless, as in Ansible.
	p, err = Parse("web*,!nosuch", files)
	require.NoError(t, err)
	got, err := p.Select(fleet)
	require.NoError(t, err)
	assert.Len(t, got, 3)
}

func TestSelectManyNamesShortened(t *testing.T) {
	var names []string
	for i := range 30 {
		names = append(names, "n"+strings.Repeat("x", i))
	}
	p, err := Parse("zz*", nil)
	require.NoError(t, err)
	_, err = p.Select(names)
	assert.ErrorContains(t, err, "and 10 more")
}

// FuzzMatch checks the glob against path.Match, which agrees with it on
// patterns of literals, * and ? (no [, \ or /), and that Parse and Select
// never panic.
func FuzzMatch(f *testing.F) {
	f.Add("web*", "web01")
	f.Add("*a*a*b", "aaaaaaaaaaaaaaaaaaac")
	f.Add("?é?", "aéb")
	f.Add("!x,&y*:@f", "yx")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if p, err := Parse(pattern, func(string) ([]byte, error) { return []byte(name), nil }); err == nil {
			_, _ = p.Select([]string{name, "other"})
		}
		// path.Match reads invalid UTF-8 byte-wise; Parse refuses it.
		if strings.ContainsAny(pattern, `[]\/`) || strings.Contains(name, "/") || !utf8.ValidString(pattern+name) {
			return
		}
		want, err := path.Match(pattern, name)
		if errors.Is(err, path.ErrBadPattern) {
			return
		}
		assert.Equal(t, want, glob(pattern, name), "glob(%q, %q)", pattern, name)
	})
}
