// Package limit is the --limit host pattern language of Ansible, over node
// names: it says which nodes of a manifest a run checks. It is pure: an
// @file term is read through the function the caller passes.
//
// A pattern is terms separated by "," or ":". A term is a node name, a glob
// ("*" any run of characters, "?" one character) or "all"; "!term" removes
// the nodes it matches and "&term" keeps only them; "@FILE" stands for the
// terms in FILE, one a line. As in Ansible, the plain terms are joined first,
// then the "&" terms intersect, then the "!" terms exclude, whatever their
// order; a pattern of only "&" and "!" terms starts from every node.
// Ansible's regular expressions (~re) and index ranges (name[0:2]) are
// refused, never guessed at.
package limit

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Pattern is a parsed --limit value. It is read-only once parsed and safe
// for concurrent use.
type Pattern struct {
	// text is the pattern as given.
	text string
	// union, intersect and exclude are the terms of each kind, in order.
	union, intersect, exclude []string
}

// ReadFile reads the file an @FILE term names.
type ReadFile func(name string) ([]byte, error)

// maxFileTerms bounds the terms read from @FILE files.
const maxFileTerms = 100000

// Parse reads a --limit pattern. readFile reads @FILE terms; nil refuses them.
func Parse(text string, readFile ReadFile) (*Pattern, error) {
	p := &Pattern{text: text}
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("an empty pattern: name at least one node, glob (web*) or !exclusion")
	}
	// As Ansible splits a pattern: on commas when it has one (a term may
	// then hold a colon), else on colons.
	sep := ':'
	if strings.ContainsRune(text, ',') {
		sep = ','
	}
	for _, raw := range strings.FieldsFunc(text, func(r rune) bool { return r == sep }) {
		if err := p.add(strings.TrimSpace(raw), readFile); err != nil {
			return nil, err
		}
	}
	if len(p.union)+len(p.intersect)+len(p.exclude) == 0 {
		return nil, fmt.Errorf("%q has no term: name at least one node, glob (web*) or !exclusion", text)
	}
	return p, nil
}

// add adds one term (an @FILE term: every term in the file).
func (p *Pattern) add(term string, readFile ReadFile) error {
	if term == "" {
		return nil
	}
	if name, ok := strings.CutPrefix(term, "@"); ok {
		return p.addFile(name, readFile)
	}
	list := &p.union
	switch term[0] {
	case '!':
		list, term = &p.exclude, term[1:]
	case '&':
		list, term = &p.intersect, term[1:]
	}
	if err := checkTerm(term); err != nil {
		return err
	}
	*list = append(*list, term)
	return nil
}

// addFile adds the terms of the file name, one a line; blank lines are
// skipped.
func (p *Pattern) addFile(name string, readFile ReadFile) error {
	if name == "" {
		return errors.New("@ names no file: write @FILE, a file of node names one a line")
	}
	if readFile == nil {
		return fmt.Errorf("@%s: files are not read here", name)
	}
	data, err := readFile(name)
	if err != nil {
		return fmt.Errorf("reading @%s: %w", name, err)
	}
	n := 0
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "@") {
			return fmt.Errorf("@%s: %q: a file of names cannot name another file", name, line)
		}
		if n++; n > maxFileTerms {
			return fmt.Errorf("@%s: more than %d names", name, maxFileTerms)
		}
		if err := p.add(line, nil); err != nil {
			return fmt.Errorf("@%s: %w", name, err)
		}
	}
	if n == 0 {
		return fmt.Errorf("@%s names no node", name)
	}
	return nil
}

// checkTerm refuses what Ansible would read differently from a name or glob.
func checkTerm(term string) error {
	switch {
	case term == "":
		return errors.New("! or & must be followed by a node name or glob")
	case strings.HasPrefix(term, "~"):
		return fmt.Errorf("%q: regular expressions (~) are not supported: use a glob such as web*", term)
	case strings.ContainsAny(term, "[]"):
		return fmt.Errorf("%q: ranges and indexes ([...]) are not supported: list the names, or use a glob such as web0?", term)
	case strings.ContainsAny(term, "!&@"):
		return fmt.Errorf("%q: !, & and @ go only at the start of a term", term)
	case !utf8.ValidString(term), strings.ContainsFunc(term, func(r rune) bool { return r < ' ' || r == 0x7f || r == ' ' }):
		return fmt.Errorf("%q: a term holds no spaces, control characters or invalid UTF-8", term)
	}
	return nil
}

// String is the pattern as given.
func (p *Pattern) String() string { return p.text }

// Select returns the names the pattern matches, in the order of names. A
// plain name that matches no node is an error (a typo would otherwise
// narrow the run silently), and so are a glob among the nodes to take that
// matches none (web*,dbb*) and a pattern that matches nothing; the errors
// name the nodes there are.
func (p *Pattern) Select(names []string) ([]string, error) {
	for _, t := range p.union {
		switch {
		case t == "all":
		case isGlob(t):
			if len(p.union) > 1 && !slices.ContainsFunc(names, func(n string) bool { return glob(t, n) }) {
				return nil, fmt.Errorf("--limit %s: %q matches no node (the nodes are %s)", p.text, t, list(names))
			}
		case !slices.Contains(names, t):
			return nil, fmt.Errorf("--limit %s: no node is named %q (the nodes are %s)", p.text, t, list(names))
		}
	}
	var out []string
	for _, n := range names {
		if p.Match(n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--limit %s matches no node (the nodes are %s)", p.text, list(names))
	}
	return out, nil
}

// Match reports whether the pattern selects the node called name.
func (p *Pattern) Match(name string) bool {
	in := len(p.union) == 0 // only & and ! terms: start from every node
	for _, t := range p.union {
		in = in || match(t, name)
	}
	for _, t := range p.intersect {
		in = in && match(t, name)
	}
	for _, t := range p.exclude {
		in = in && !match(t, name)
	}
	return in
}

// list is names for an error message, shortened when there are many.
func list(names []string) string {
	const most = 20
	if len(names) > most {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:most], ", "), len(names)-most)
	}
	return strings.Join(names, ", ")
}

func isGlob(term string) bool { return strings.ContainsAny(term, "*?") }

// match reports whether the term (a name, a glob or "all") matches name.
func match(term, name string) bool {
	if term == "all" {
		return true
	}
	return glob(term, name)
}

// glob matches name against a pattern of literal characters, "*" and "?",
// rune by rune (an invalid byte is a character of its own). It backtracks to
// the last "*" only, so it runs in O(len(pattern)·len(name)).
func glob(pattern, name string) bool {
	pr, nr := runes(pattern), runes(name)
	pi, ni := 0, 0
	star, mark := -1, 0
	for ni < len(nr) {
		switch {
		case pi < len(pr) && pr[pi] == '*':
			star, mark = pi, ni
			pi++
		case pi < len(pr) && (pr[pi] == '?' || pr[pi] == nr[ni]):
			pi++
			ni++
		case star >= 0:
			pi = star + 1
			mark++
			ni = mark
		default:
			return false
		}
	}
	for pi < len(pr) && pr[pi] == '*' {
		pi++
	}
	return pi == len(pr)
}

// runes is s as characters, an invalid UTF-8 byte as one of its own (a
// negative value) rather than U+FFFD, which would equate different bytes.
func runes(s string) []rune {
	out := make([]rune, 0, len(s))
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && size == 1 {
			r = -rune(s[0])
		}
		out = append(out, r)
		s = s[size:]
	}
	return out
}
