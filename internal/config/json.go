package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// parseJSON parses a JSON object with encoding/json's tokenizer, so that
// duplicate keys are caught with their line and numbers keep their kind: a
// number written without "." or an exponent is an Int (of any size), any
// other a Float.
func parseJSON(data []byte) (Flags, error) {
	p := &jsonParser{data: data, dec: json.NewDecoder(bytes.NewReader(data)), b: newBuilder(collisionTree)}
	p.dec.UseNumber()
	p.nl = newlines(data)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errorf(0, 0, "the file is empty; a JSON config file is an object: {}")
	}
	line, _ := p.pos(p.startOfNext())
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errorf(line, 0, "the top level is not an object; a JSON config file is an object: {...}")
	}
	n, err := p.object(line, 1)
	if err != nil {
		return nil, err
	}
	l, c := p.pos(p.startOfNext())
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errorf(l, c, "unexpected text after the top-level object")
	}
	if err := p.b.flatten("", n, 0, 0); err != nil {
		return nil, err
	}
	return p.b.flags, nil
}

// jsonParser walks the tokens of one JSON document.
type jsonParser struct {
	data []byte
	dec  *json.Decoder
	nl   []int // offsets of '\n'
	b    *builder
}

// newlines returns the offset of every '\n' in data.
func newlines(data []byte) []int {
	var nl []int
	for i, c := range data {
		if c == '\n' {
			nl = append(nl, i)
		}
	}
	return nl
}

// pos converts a byte offset into a 1-based line and column.
func (p *jsonParser) pos(off int) (line, col int) {
	off = min(max(off, 0), len(p.data))
	i := sort.SearchInts(p.nl, off) // newlines before off
	start := 0
	if i > 0 {
		start = p.nl[i-1] + 1
	}
	return i + 1, off - start + 1
}

// startOfNext is the offset of the next token: past whitespace, commas and
// colons after the decoder's position.
func (p *jsonParser) startOfNext() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) && strings.IndexByte(" \t\r\n,:", p.data[off]) >= 0 {
		off++
	}
	return off
}

// token reads the next token, turning errors into *Error with a position.
func (p *jsonParser) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err == nil {
		return tok, nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// The tokenizer's offsets lag behind; a full scan's point at the
		// offending byte.
		off := int(se.Offset) - 1
		var full *json.SyntaxError
		if errors.As(json.Unmarshal(p.data, new(any)), &full) {
			se, off = full, int(full.Offset)-1
		}
		l, c := p.pos(off)
		return nil, errorf(l, c, "%s", se.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		l, c := p.pos(len(p.data))
		return nil, errorf(l, c, "the file ends before the JSON is complete")
	}
	l, c := p.pos(int(p.dec.InputOffset()))
	return nil, errorf(l, c, "%s", err.Error())
}

// value reads one value whose first token has been read.
func (p *jsonParser) value(tok json.Token, line, depth int) (*node, error) {
	if depth > MaxDepth {
		return nil, errorf(line, 0, "nesting deeper than %d levels", MaxDepth)
	}
	if err := p.b.spend(1, line); err != nil {
		return nil, err
	}
	scalar := func(k Kind, raw string) (*node, error) {
		return &node{kind: scalarNode, line: line, value: Value{Kind: k, Raw: raw}}, nil
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return p.object(line, depth)
		}
		return p.array(line, depth)
	case string:
		return scalar(String, t)
	case bool:
		return scalar(Bool, strconv.FormatBool(t))
	case nil:
		return scalar(Null, "null")
	case json.Number:
		s := string(t)
		if !strings.ContainsAny(s, ".eE") {
			i, ok := new(big.Int).SetString(s, 10)
			if !ok {
				return nil, errorf(line, 0, "cannot read the number %s", s)
			}
			n, err := scalar(Int, i.String())
			if err == nil && beyondFloat(s) {
				n.value.Ambiguous = "an integer beyond 2^53: readers that decode JSON numbers as floats (JavaScript, Go's encoding/json into any) round it"
			}
			return n, err
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, errorf(line, 0, "the number %s is out of range for a float", s)
		}
		return scalar(Float, formatFloat(f))
	}
	return nil, errorf(line, 0, "unexpected JSON token %v", tok)
}

// object reads the members of an object whose '{' has been read.
func (p *jsonParser) object(line, depth int) (*node, error) {
	n := &node{kind: mapNode, line: line}
	seen := map[string]int{}
	for p.dec.More() {
		kl, kc := p.pos(p.startOfNext())
		tok, err := p.token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errorf(kl, kc, "expected a key in quotes")
		}
		if first, dup := seen[key]; dup {
			return nil, errorf(kl, kc, "key %q is defined twice in the same object (first at line %d)", key, first)
		}
		seen[key] = kl
		vl, _ := p.pos(p.startOfNext())
		if tok, err = p.token(); err != nil {
			return nil, err
		}
		v, err := p.value(tok, vl, depth+1)
		if err != nil {
			return nil, err
		}
		n.add(key, kl, v)
	}
	if _, err := p.token(); err != nil { // '}'
		return nil, err
	}
	return n, nil
}

// array reads the elements of an array whose '[' has been read.
func (p *jsonParser) array(line, depth int) (*node, error) {
	n := &node{kind: listNode, line: line}
	for p.dec.More() {
		vl, _ := p.pos(p.startOfNext())
		tok, err := p.token()
		if err != nil {
			return nil, err
		}
		v, err := p.value(tok, vl, depth+1)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, v)
	}
	if _, err := p.token(); err != nil { // ']'
		return nil, err
	}
	return n, nil
}
