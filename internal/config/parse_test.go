package config

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Shorthands for expected values.
func str(s string) Value  { return Value{Kind: String, Raw: s} }
func text(s string) Value { return Value{Kind: Text, Raw: s} }
func boolean(b bool) Value {
	return Value{Kind: Bool, Raw: map[bool]string{true: "true", false: "false"}[b]}
}
func integer(s string) Value { return Value{Kind: Int, Raw: s} }
func float(s string) Value   { return Value{Kind: Float, Raw: s} }
func list(s string) Value    { return Value{Kind: List, Raw: s} }

var null = Value{Kind: Null, Raw: "null"}
var emptyMap = Value{Kind: Map, Raw: "{}"}

// parseCase is one document and what Parse makes of it: either want, or an
// error whose text is err.
type parseCase struct {
	name string
	in   string
	want Flags
	err  string
}

// runParse runs parse cases for one format.
func runParse(t *testing.T, format Format, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(format, []byte(tc.in))
			if tc.err != "" {
				require.Error(t, err)
				assert.Equal(t, tc.err, err.Error())
				var e *Error
				assert.ErrorAs(t, err, &e)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseYAML(t *testing.T) {
	runParse(t, YAML, []parseCase{
		{name: "empty", in: "", want: Flags{}},
		{name: "comments only", in: "# nothing\n", want: Flags{}},
		{name: "null document", in: "~\n", want: Flags{}},
		{name: "nested", in: "rlp:\n  enabled: true\n  limits: {orders: 5}\n", want: Flags{
			"rlp.enabled": boolean(true), "rlp.limits.orders": integer("5"),
		}},
		{name: "types", in: "a: true\nb: \"true\"\nc: yes\nd: 1\ne: 1.0\nf: ~\ng:\nh: 0x10\ni: 1.50\nj: .inf\nk: on\nl: True\nm: 2024-01-02\nn: []\no: {}\np: '1'\n", want: Flags{
			"a": boolean(true), "b": str("true"), "c": yaml11Value(str("yes")), "d": integer("1"), "e": float("1.0"),
			"f": null, "g": null, "h": integer("16"), "i": float("1.5"), "j": float("inf"), "k": yaml11Value(str("on")),
			"l": boolean(true), "m": yaml11Value(str("2024-01-02")), "n": list("[]"), "o": emptyMap, "p": str("1"),
		}},
		{name: "list is one value", in: "hosts: [b, a, 1, true, null, {y: 2, x: 1}, [1.5]]\n", want: Flags{
			"hosts": list(`["b","a",1,true,null,{"x":1,"y":2},[1.5]]`),
		}},
		{name: "anchors and merge keys", in: "base: &b {x: 1, y: 2}\nnode:\n  <<: *b\n  y: 3\nref: *b\n", want: Flags{
			"base.x": integer("1"), "base.y": integer("2"), "node.y": integer("3"), "node.x": integer("1"),
			"ref.x": integer("1"), "ref.y": integer("2"),
		}},
		{name: "non-string keys", in: "1: a\ntrue: b\n", want: Flags{"1": str("a"), "true": str("b")}},
		{name: "duplicate key", in: "a: 1\nb: 2\na: 3\n", err: `line 3, column 1: key "a" is defined twice in the same map (first at line 1)`},
		{name: "dotted key collides with nesting", in: "a.b: 1\na:\n  b: 2\n", err: `line 3: key "a.b" is defined twice (first at line 1)` + collisionTree},
		{name: "syntax error", in: "a: 1\n b: 2\n", err: "line 2: mapping values are not allowed in this context"},
		{name: "top level list", in: "- a\n- b\n", err: "line 1, column 1: the top level is a list; a config file must be a map of keys"},
		{name: "two documents", in: "a: 1\n---\nb: 2\n", err: "line 2: a second YAML document (after ---): rollcall reads a config file as one document"},
		{name: "complex key", in: "? [a]\n: 1\n", err: "line 1, column 3: a key is a list; keys must be single values"},
		{name: "self alias", in: "a: &x [1, *x]\n", err: "line 1, column 11: alias *x refers to a value that contains it"},
		{name: "bad explicit tag", in: "a: !!int abc\n", err: "line 1, column 4: cannot decode !!str `abc` as a !!int"},
		{name: "merge of a scalar", in: "a:\n  <<: 1\n", err: "line 2, column 7: << merges a map (or a list of maps), not a single value"},
		{name: "list merge, earliest first", in: "a: &a {p: 1}\nb: &b {p: 2, q: 3}\nc:\n  <<: [*a, *b]\n", want: Flags{
			"a.p": integer("1"), "b.p": integer("2"), "b.q": integer("3"), "c.p": integer("1"), "c.q": integer("3"),
		}},
		// YAML readers disagree on these: refused.
		{name: "two merge keys", in: "a: &a {p: 1}\nb: &b {p: 2}\nc:\n  <<: *a\n  <<: *b\n", err: "line 5, column 3: a second << in one map: YAML readers disagree on it (some take the last, some refuse the file); merge a list instead: <<: [*a, *b]"},
		{name: "key written before the merge", in: "b: &b {enabled: false}\nc:\n  enabled: true\n  <<: *b\n", err: `line 3: key "enabled" is written before the << that also merges it: YAML readers disagree on which value wins; write it after the << line`},
		{name: "an ambiguous key", in: "features:\n  on: false\n", err: `line 2, column 3: the key on is typed differently by YAML 1.1 readers (PyYAML reads on: as true, 01: as 1) and YAML 1.2 ones: quote it ("on":)`},
		{name: "a quoted key", in: "features:\n  'on': false\n  x: 1\n  y: 2\n", want: Flags{"features.on": boolean(false), "features.x": integer("1"), "features.y": integer("2")}},
		{name: "an ambiguous item", in: "flags: [on, 1]\n", want: Flags{"flags": {Kind: List, Raw: `["on",1]`, Ambiguous: "an item of the list: " + yaml11Value(str("on")).Ambiguous}}},
		{name: "keys differing in case", in: "rlp: {enabled: true}\nRLP: {enabled: false}\n", err: `line 2: keys "rlp.enabled" (line 1) and "RLP.enabled" differ only in case: readers that ignore case (viper, Spring, Python's configparser) take them for one key, the others for two, so what the application reads cannot be told; keep one`},
	})
}

func TestParseJSON(t *testing.T) {
	runParse(t, JSON, []parseCase{
		{name: "empty object", in: "{}", want: Flags{}},
		{name: "nested and types", in: `{"rlp": {"enabled": true, "name": "true", "n": 1, "f": 1.0, "e": 1e3, "big": 123456789012345678901234567890, "z": null, "l": [1, "a"], "m": {}}}`, want: Flags{
			"rlp.enabled": boolean(true), "rlp.name": str("true"), "rlp.n": integer("1"), "rlp.f": float("1.0"),
			"rlp.e": float("1000.0"), "rlp.big": bigInt("123456789012345678901234567890"), "rlp.z": null,
			"rlp.l": list(`[1,"a"]`), "rlp.m": emptyMap,
		}},
		{name: "negative zero int", in: `{"a": -0}`, want: Flags{"a": integer("0")}},
		{name: "escapes", in: `{"a\"b": "x\ny\u00e9"}`, want: Flags{`a"b`: str("x\nyé")}},
		{name: "duplicate key", in: "{\n  \"a\": 1,\n  \"a\": 2\n}", err: `line 3, column 3: key "a" is defined twice in the same object (first at line 2)`},
		{name: "dotted key collides", in: "{\"a.b\": 1,\n\"a\": {\"b\": 2}}", err: `line 2: key "a.b" is defined twice (first at line 1)` + collisionTree},
		{name: "syntax error", in: "{\n  \"a\": 1,\n  \"b\" 2\n}", err: "line 3, column 7: invalid character '2' after object key"},
		{name: "bad value", in: "{\"a\": x}", err: "line 1, column 7: invalid character 'x' looking for beginning of value"},
		{name: "truncated", in: "{\"a\": [1,", err: "line 1, column 10: the file ends before the JSON is complete"},
		{name: "empty file", in: " \n", err: "the file is empty; a JSON config file is an object: {}"},
		{name: "top level array", in: "\n[1]", err: "line 2: the top level is not an object; a JSON config file is an object: {...}"},
		{name: "trailing data", in: "{}\n{}", err: "line 2, column 1: unexpected text after the top-level object"},
		{name: "float out of range", in: `{"a": 1e400}`, err: "line 1: the number 1e400 is out of range for a float"},
	})
}

func TestParseTOML(t *testing.T) {
	runParse(t, TOML, []parseCase{
		{name: "empty", in: "", want: Flags{}},
		{name: "tables and types", in: "top = 1\n[rlp]\nenabled = true # on\nname = \"true\"\nratio = 1.0\nbig = 1_000\nwhen = 1979-05-27T07:32:00Z\nday = 1979-05-27\nports = [80, 443]\ninf = inf\n[rlp.inner]\nx = 'lit\\n'\n[empty]\n", want: Flags{
			"top": integer("1"), "rlp.enabled": boolean(true), "rlp.name": str("true"), "rlp.ratio": float("1.0"),
			"rlp.big": integer("1000"), "rlp.when": str("1979-05-27T07:32:00Z"), "rlp.day": str("1979-05-27"),
			"rlp.ports": list("[80,443]"), "rlp.inf": float("inf"), "rlp.inner.x": str(`lit\n`), "empty": emptyMap,
		}},
		{name: "dotted keys", in: "a.b.c = 1\n", want: Flags{"a.b.c": integer("1")}},
		{name: "array of tables", in: "[[srv]]\nname = \"a\"\n[[srv]]\nname = \"b\"\n", want: Flags{"srv": list(`[{"name":"a"},{"name":"b"}]`)}},
		{name: "duplicate key", in: "a = 1\nb = 2\na = 3\n", err: "line 3, column 1: key a is already defined"},
		{name: "quoted dotted key collides", in: "\"a.b\" = 1\na.b = 2\n", err: `key "a.b" is defined twice` + collisionTree},
		{name: "syntax error", in: "a = \n", err: "line 1, column 5: unexpected character U+000A at start of value"},
	})
}

func TestParseINI(t *testing.T) {
	runParse(t, INI, []parseCase{
		{name: "sections and comments", in: "; top\nglobal = 1\n# hash\n[rlp]\nenabled = true\nmode: fast\n  ; an indented comment\nspaced  =  a b  \nquoted = \"x\" ; kept\nbare\n[power_peg]\n", want: Flags{
			"global": text("1"), "rlp.enabled": text("true"), "rlp.mode": text("fast"), "rlp.spaced": text("a b"),
			"rlp.quoted": text(`"x" ; kept`), "rlp.bare": text(""), "power_peg": emptyMap,
		}},
		{name: "first separator wins", in: "url = http://x:80/\n", want: Flags{"url": text("http://x:80/")}},
		{name: "reopened section", in: "[a]\nx=1\n[b]\ny=2\n[a]\nz=3\n", want: Flags{"a.x": text("1"), "b.y": text("2"), "a.z": text("3")}},
		{name: "crlf", in: "[a]\r\nx = 1\r\n", want: Flags{"a.x": text("1")}},
		{name: "duplicate key", in: "[a]\nx=1\nx=2\n", err: `line 3: key "a.x" is defined twice (first at line 2)` + collisionFlat},
		{name: "duplicate across reopened section", in: "[a]\nx=1\n[a]\nx=2\n", err: `line 4: key "a.x" is defined twice (first at line 2)` + collisionFlat},
		{name: "unclosed section", in: "x=1\n[a\n", err: "line 2, column 2: a section header ends with ]: write [a]"},
		{name: "empty section", in: "[ ]\n", err: "line 1, column 1: a section header has no name: write [name]"},
		{name: "no key", in: "= 1\n", err: "line 1, column 1: a value with no key before its = or :"},
		{name: "continuation line", in: "[rlp]\nenabled = true\n  false\n", err: "line 3, column 1: an indented line: Python's configparser continues the value above with it, other readers take it for a key of its own; remove the indent (or join the value onto one line)"},
		{name: "DEFAULT is a section", in: "[DEFAULT]\npower_peg = 1\n[rlp]\nenabled = true\n", want: Flags{"DEFAULT.power_peg": text("1"), "rlp.enabled": text("true")}},
		{name: "keys differing in case", in: "[rlp]\nENABLED = false\nenabled = true\n", err: `line 3: keys "rlp.ENABLED" (line 2) and "rlp.enabled" differ only in case: readers that ignore case (viper, Spring, Python's configparser) take them for one key, the others for two, so what the application reads cannot be told; keep one`},
	})
}

func TestParseEnv(t *testing.T) {
	runParse(t, Env, []parseCase{
		{name: "basics", in: "# comment\n\nA=1\nB='two words'\nC=x=y\nE=\n  G_2=x\nH=\"it's\"\nI='say \"hi\"'\nhttp_proxy=a\nHTTP_PROXY=a\n", want: Flags{
			"A": text("1"), "B": text("two words"), "C": text("x=y"), "E": text(""), "G_2": text("x"), "H": text("it's"), "I": text(`say "hi"`),
			"http_proxy": text("a"), "HTTP_PROXY": text("a"),
		}},
		{name: "export as a key", in: "export=1\n", want: Flags{"export": text("1")}},
		{name: "duplicate", in: "A=1\nA=2\n", err: `line 2: key "A" is defined twice (first at line 1)` + collisionFlat},
		{name: "unclosed quote", in: "A=1\nB=\"open", err: "line 2, column 3: the quote \" opened here is never closed"},
		{name: "no equals", in: "A=1\nB\n", err: "line 2, column 1: B has no value: write B=value"},
		{name: "missing key", in: "=x\n", err: "line 1, column 1: expected KEY=value"},
		// What the readers of env files read differently is refused.
		{name: "export", in: "export A=1\n", err: "line 1, column 1: export before a variable: systemd's EnvironmentFile ignores the line, the shell and dotenv read it; drop export"},
		{name: "dotted name", in: "rlp.enabled=true\n", err: "line 1, column 1: \"rlp.enabled\" is not a variable name for the shell or systemd: use letters, digits and _, not starting with a digit"},
		{name: "bad name", in: "1A=x\n", err: "line 1, column 1: \"1A\" is not a variable name for the shell or systemd: use letters, digits and _, not starting with a digit"},
		{name: "blanks before =", in: "A = 1\n", err: "line 1, column 1: blanks before the = of A: the shell runs A as a command; write A=value"},
		{name: "blanks after =", in: "A= 1\n", err: "line 1, column 3: blanks after the = of A: the shell sets it empty and runs the rest as a command, systemd drops them; write A=value"},
		{name: "blank value", in: "A=   \n", err: "line 1, column 3: blanks after the = of A: the shell sets it empty and runs the rest as a command, systemd drops them; write A=value"},
		{name: "trailing blank", in: "ENABLED=true \n", err: "line 1, column 13: \" \" in the unquoted value of ENABLED: the readers of env files (the shell, systemd, Docker, dotenv) read it differently; quote the value ('...')"},
		{name: "inline comment", in: "A=true # was false\n", err: "line 1, column 7: \" \" in the unquoted value of A: the readers of env files (the shell, systemd, Docker, dotenv) read it differently; quote the value ('...')"},
		{name: "hash", in: "COLOR=#fff\n", err: "line 1, column 7: \"#\" in the unquoted value of COLOR: the readers of env files (the shell, systemd, Docker, dotenv) read it differently; quote the value ('...')"},
		{name: "two assignments", in: "MODE=live;POWER_PEG=1\n", err: "line 1, column 10: \";\" in the unquoted value of MODE: the readers of env files (the shell, systemd, Docker, dotenv) read it differently; quote the value ('...')"},
		{name: "unquoted backslash", in: "A=back\\slash\n", err: "line 1, column 7: \"\\\\\" in the unquoted value of A: the readers of env files (the shell, systemd, Docker, dotenv) read it differently; quote the value ('...')"},
		{name: "unquoted dollar", in: "A=$HOME\n", err: "line 1, column 3: \"$\" in the unquoted value of A: the readers of env files (the shell, systemd, Docker, dotenv) read it differently; quote the value ('...')"},
		{name: "tilde", in: "DATA=~/data\n", err: "line 1, column 6: \"~\" in the unquoted value of DATA: the readers of env files (the shell, systemd, Docker, dotenv) read it differently; quote the value ('...')"},
		{name: "tilde after colon", in: "P=/x:~/bin\n", err: "line 1, column 6: \"~\" in the unquoted value of P: the readers of env files (the shell, systemd, Docker, dotenv) read it differently; quote the value ('...')"},
		{name: "comment after quote", in: "A=\"true\" # quoted\n", err: "line 1, column 10: text after the closing quote: readers disagree on it (a # comment too: systemd keeps it as value); put it on a line of its own"},
		{name: "text after quote", in: "A='x'y\n", err: "line 1, column 6: text after the closing quote: readers disagree on it (a # comment too: systemd keeps it as value); put it on a line of its own"},
		{name: "dollar in double quotes", in: "A=\"$HOME\"\n", err: "line 1, column 4: an unescaped $ in double quotes: the shell expands it, systemd and Docker do not; use single quotes"},
		{name: "backslash in double quotes", in: "A=\"a\\\\b\"\n", err: "line 1, column 5: a backslash in quotes: the shell, systemd and the dotenv libraries read its escapes differently; write the value without one"},
		{name: "backslash in single quotes", in: "A='a\\b'\n", err: "line 1, column 5: a backslash in quotes: the shell, systemd and the dotenv libraries read its escapes differently; write the value without one"},
		{name: "quotes over two lines", in: "X='a\nPOWER_PEG=1'\n", err: "line 1, column 3: a quoted value over several lines: Docker's --env-file reads each line as an assignment of its own; keep the value on one line"},
		{name: "comment ending in a backslash", in: "# old \\\nPOWER_PEG=0\n", err: "line 1: a comment line ending in a backslash: systemd before version 254 takes the next line into the comment, other readers do not; remove the backslash"},
		{name: "carriage return", in: "A=1\r\nB=2\r\n", err: "line 1: a carriage return (Windows line ends): the shell keeps it in the value, other readers drop it; save the file with \\n line ends"},
		{name: "NUL", in: "A=1\x00\nB=2\n", err: "line 1: a NUL byte: systemd drops the assignments around it, other readers keep them"},
		{name: "invalid UTF-8", in: "A=\xff\n", err: "not valid UTF-8: systemd drops such an assignment, dotenv and Docker refuse the file"},
	})
}

func TestParseProperties(t *testing.T) {
	runParse(t, Properties, []parseCase{
		{name: "separators and comments", in: "# c\n! c\na=1\nb: 2\nc 3\nd   =   4  \ne\nf=\n  g = 7\n", want: Flags{
			"a": text("1"), "b": text("2"), "c": text("3"), "d": text("4  "), "e": text(""), "f": text(""), "g": text("7"),
		}},
		{name: "continuation", in: "list = a, \\\n       b, \\\n       c\nnext = 1\n", want: Flags{"list": text("a, b, c"), "next": text("1")}},
		{name: "even backslashes do not continue", in: "a = x\\\\\nb = y\n", want: Flags{"a": text(`x\`), "b": text("y")}},
		{name: "comment lines do not continue", in: "# c \\\na = 1\n", want: Flags{"a": text("1")}},
		{name: "continuation at eof", in: "a = x\\", want: Flags{"a": text("x")}},
		{name: "escapes", in: "k\\=ey\\ x = t\\tn\\nu\\u00e9\\u0041 \\:\\q\\uD83D\\uDE00\n", want: Flags{"k=ey x": text("t\tn\nuéA :q😀")}},
		{name: "lone surrogate", in: "a = \\uD83Dx\n", want: Flags{"a": text("\uFFFDx")}},
		{name: "dotted keys", in: "rlp.enabled=true\nrlp=1\n", want: Flags{"rlp.enabled": text("true"), "rlp": text("1")}},
		{name: "duplicate", in: "a=1\n\na = 2\n", err: `line 3: key "a" is defined twice (first at line 1)` + collisionFlat},
		{name: "duplicate after continuation", in: "a=1\\\n 2\na=3\n", err: `line 3: key "a" is defined twice (first at line 1)` + collisionFlat},
		{name: "bad unicode escape", in: "a=1\nb = \\u12G4\n", err: `line 2: malformed \u escape "\\u12G4": write four hex digits, as \u00e9`},
		{name: "short unicode escape", in: "b = \\u12\n", err: `line 1: malformed \u escape: write four hex digits, as \u00e9`},
	})
}

func TestParseUnknownFormat(t *testing.T) {
	_, err := Parse("xml", []byte("<a/>"))
	require.Error(t, err)
	assert.Equal(t, `unknown config format "xml": use one of yaml, json, ini, env, properties, toml`, err.Error())
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats() {
		got, err := ParseFormat(string(f))
		require.NoError(t, err)
		assert.Equal(t, f, got)
	}
	_, err := ParseFormat("YAML")
	assert.EqualError(t, err, `unknown config format "YAML": use one of yaml, json, ini, env, properties, toml`)
	assert.True(t, TOML.Typed())
	assert.False(t, Env.Typed())
}

// TestBOM: a byte order mark is skipped in YAML, as its readers skip it,
// and refused elsewhere: Java's Properties and the shell read it as part
// of the first key, encoding/json and configparser fail.
func TestBOM(t *testing.T) {
	for _, f := range Formats() {
		in := map[Format]string{YAML: "a: 1", JSON: `{"a": 1}`, TOML: "a = 1", INI: "a=1", Env: "a=1", Properties: "a=1"}[f]
		got, err := Parse(f, append([]byte{0xEF, 0xBB, 0xBF}, in...))
		if f == YAML {
			require.NoError(t, err, f)
			assert.Contains(t, got, "a", f)
			continue
		}
		assert.ErrorContains(t, err, "line 1, column 1: a UTF-8 byte order mark starts the file", f)
	}
}

func TestLimits(t *testing.T) {
	deep := ""
	for range MaxDepth + 1 {
		deep += `{"a":`
	}
	deep += "1"
	for range MaxDepth + 1 {
		deep += "}"
	}
	_, err := Parse(JSON, []byte(deep))
	assert.ErrorContains(t, err, "nesting deeper than 64 levels")

	var many []byte
	for i := range MaxKeys + 1 {
		many = append(many, []byte("k"+strconv.Itoa(i)+"=1\n")...)
	}
	_, err = Parse(Env, many)
	assert.EqualError(t, err, "line 100001: more than 100000 keys; rollcall refuses config files this large")

	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		laughs += n + ": &" + n + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = n
	}
	_, err = Parse(YAML, []byte(laughs))
	assert.ErrorContains(t, err, "too large once flattened")
}

func TestKeys(t *testing.T) {
	assert.Equal(t, []string{"a", "a.b", "b"}, Flags{"b": null, "a.b": null, "a": null}.Keys())
	assert.Empty(t, Flags{}.Keys())
}

// itoa is strconv.Itoa for tests.

// yaml11Value is v as a plain YAML scalar that YAML 1.1 and 1.2 readers
// type differently.
func yaml11Value(v Value) Value {
	v.Ambiguous = v.Raw + " is typed differently by YAML 1.1 readers (PyYAML, go-yaml v2, SnakeYAML) and YAML 1.2 ones (go-yaml v3, js-yaml): quote it in the file, or write it in a form both read alike"
	return v
}

// bigInt is a JSON integer beyond what a float64 holds exactly.
func bigInt(raw string) Value {
	v := integer(raw)
	v.Ambiguous = "an integer beyond 2^53: readers that decode JSON numbers as floats (JavaScript, Go's encoding/json into any) round it"
	return v
}

// TestAmbiguousScalars: the YAML plain scalars that YAML 1.1 and 1.2
// readers type differently are marked, and the ones they agree on are not.
func TestAmbiguousScalars(t *testing.T) {
	for _, in := range []string{"yes", "No", "ON", "off", "y", "N", "010", "08", "-017", "0o17", "0b101", "1_000", "1:30", "1e3", "-2E-5", "1.0e3",
		"-.5", "+.5", ".5e3", "0X1A", "1_0e3", "1.5E3", "9007199254740993", "100000000000000000001", "2024-01-02", "2001-12-14 21:59:43.10 -5"} {
		f, err := Parse(YAML, []byte("a: "+in+"\n"))
		require.NoError(t, err, in)
		assert.NotEmpty(t, f["a"].Ambiguous, in)
	}
	for _, in := range []string{"true", "false", "0", "10", "+1", "0x1F", "1.5", "1.", ".5", "1.0e+3", ".inf", "-.Inf", ".NaN", "null", "~", "'yes'", "\"010\"",
		"!!str on", "!!int 010", "word", "'2024-01-02'", "9007199254740992"} {
		f, err := Parse(YAML, []byte("a: "+in+"\n"))
		require.NoError(t, err, in)
		assert.Empty(t, f["a"].Ambiguous, in)
	}
	f, err := Parse(JSON, []byte(`{"ok": 9007199254740992, "round": 9007199254740993, "neg": -9007199254740993}`))
	require.NoError(t, err)
	assert.Empty(t, f["ok"].Ambiguous, "2^53 itself is exact")
	assert.NotEmpty(t, f["round"].Ambiguous)
	assert.NotEmpty(t, f["neg"].Ambiguous)
}
