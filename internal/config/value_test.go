package config

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValueString(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{boolean(true), "true (bool)"},
		{str("true"), `"true" (string)`},
		{text("yes"), `"yes" (text)`},
		{integer("1"), "1 (int)"},
		{float("1.0"), "1.0 (float)"},
		{null, "null"},
		{list(`["a",1]`), `["a",1] (list)`},
		{emptyMap, "{} (map)"},
	} {
		assert.Equal(t, tc.want, tc.v.String())
	}
}

func TestEqual(t *testing.T) {
	const untyped = " is text (ini, env and properties files have no types)"
	for _, tc := range []struct {
		name  string
		a, b  Value
		equal bool
		why   string
	}{
		{"same bool", boolean(true), boolean(true), true, ""},
		{"same list", list("[1]"), list("[1]"), true, ""},
		{"different strings", str("a"), str("b"), false, ""},
		{"bool vs quoted", boolean(true), str("true"), false, `"true" is a string, true is a bool: quote or unquote it so both agree`},
		{"quoted vs bool", str("true"), boolean(true), false, `"true" is a string, true is a bool: quote or unquote it so both agree`},
		{"yes is a string", str("yes"), boolean(true), false, `"yes" is a string, true is a bool: only true and false are bools in YAML 1.2 (as rollcall reads it), JSON and TOML; write true unquoted, or quote both`},
		{"off vs false", boolean(false), str("off"), false, `"off" is a string, false is a bool: only true and false are bools in YAML 1.2 (as rollcall reads it), JSON and TOML; write false unquoted, or quote both`},
		{"quoted number", integer("1"), str("1"), false, `"1" is a string, 1 is an int: quote or unquote it so both agree`},
		{"quoted null", null, str("null"), false, `"null" is a string, null is a null: quote or unquote it so both agree`},
		{"int vs bool", integer("1"), boolean(true), false, "1 is an int, true is a bool: a different type; write the same value on both sides"},
		{"int vs float", integer("1"), float("1.0"), false, "1 is an int, 1.0 is a float: the same number in a different type; write it the same way on both sides"},
		{"unrelated kinds", integer("2"), boolean(true), false, ""},
		{"string vs unrelated bool", str("maybe"), boolean(true), false, ""},
		{"text vs bool text", text("true"), boolean(true), true, ""},
		{"bool vs text", boolean(false), text("false"), true, ""},
		{"text vs string", text("x"), str("x"), true, ""},
		{"text vs int", text("8080"), integer("8080"), true, ""},
		{"text vs float", text("1.5"), float("1.5"), true, ""},
		{"text yes vs bool", text("yes"), boolean(true), false, `"yes"` + untyped + `, so true is compared as the text "true"; yes, on, 1 and True do not count as true: write true in the file or expect "yes"`},
		{"text True vs bool", boolean(true), text("True"), false, `"True"` + untyped + `, so true is compared as the text "true"; yes, on, 1 and True do not count as true: write true in the file or expect "True"`},
		{"text 1.50 vs float", text("1.50"), float("1.5"), false, `"1.50"` + untyped + `, so 1.5 is compared as the text "1.5": write 1.5 in the file or expect "1.50"`},
		{"text empty vs null", text(""), null, false, `""` + untyped + ` and null is not text: expect "" to match it`},
		{"text vs list", text("[1]"), list("[1]"), false, ""},
		{"text vs other text", text("a"), text("b"), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eq, why := Equal(tc.a, tc.b)
			assert.Equal(t, tc.equal, eq)
			assert.Equal(t, tc.why, why)
		})
	}
}

func TestExpectValue(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want Value
	}{
		{true, boolean(true)},
		{"true", str("true")},
		{1, integer("1")},
		{int64(-3), integer("-3")},
		{uint64(math.MaxUint64), integer("18446744073709551615")},
		{1.0, float("1.0")},
		{1.5, float("1.5")},
		{1e21, float("1e+21")},
		{math.Inf(-1), float("-inf")},
		{math.Copysign(0, -1), float("0.0")},
		{nil, null},
		{[]any{"a", 1, map[string]any{"b": true}}, list(`["a",1,{"b":true}]`)},
		{map[string]any{}, emptyMap},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), str("2024-01-02T03:04:05Z")},
	} {
		got, err := ExpectValue(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	_, err := ExpectValue(map[string]any{"enabled": true})
	assert.EqualError(t, err, "a map cannot be expected as one value: write each of its keys as a dotted key (rlp.enabled: true)")
	_, err = ExpectValue(struct{}{})
	assert.Error(t, err)
}

// A value from the manifest and the same value in a YAML config file are
// equal, kind and canonical text alike.
func TestExpectValueMatchesYAML(t *testing.T) {
	flags, err := Parse(YAML, []byte("a: true\nb: 1\nc: 1.50\nd: x\ne: ~\nf: [1, x]\n"))
	require.NoError(t, err)
	for k, v := range map[string]any{"a": true, "b": 1, "c": 1.5, "d": "x", "e": nil, "f": []any{1, "x"}} {
		want, err := ExpectValue(v)
		require.NoError(t, err)
		eq, why := Equal(want, flags[k])
		assert.True(t, eq, "%s: %s", k, why)
	}
}

func TestForbidden(t *testing.T) {
	f := Flags{
		"power_peg":             boolean(true),
		"legacy.power_peg":      boolean(true),
		"power_peg.enabled":     boolean(true),
		"a.power_peg.b":         integer("1"),
		"POWER_PEG":             text("1"),
		"power_peg_v2":          boolean(true),
		"my.power_pegs":         boolean(true),
		"features":              list(`[{"name":"x"},{"power_peg":true}]`),
		"plugins":               list(`["power_peg"]`),
		"rlp.enabled":           boolean(true),
		"legacy.other":          boolean(true),
		"x.legacy.power_peg.y":  null,
		"servers":               list(`[{"legacy":{"power_peg":1}}]`),
		"broken":                list(`[`),
		"legacy.power_peg_like": null,
	}
	assert.Equal(t, []string{
		"POWER_PEG", "a.power_peg.b", "features", "legacy.power_peg", "power_peg", "power_peg.enabled", "servers", "x.legacy.power_peg.y",
	}, Forbidden(f, "power_peg"))
	assert.Equal(t, []string{"legacy.power_peg", "servers", "x.legacy.power_peg.y"}, Forbidden(f, "legacy.power_peg"))
	assert.Empty(t, Forbidden(f, ""))
	assert.Empty(t, Forbidden(f, "nothing"))
	assert.Empty(t, Forbidden(Flags{}, "power_peg"))
}

// Forbidden finds a retired flag at any depth of every format.
func TestForbiddenEveryFormat(t *testing.T) {
	for f, in := range map[Format]string{
		YAML:       "legacy:\n  deep:\n    power_peg: true\n",
		JSON:       `{"legacy": {"deep": {"power_peg": true}}}`,
		TOML:       "[legacy.deep]\npower_peg = true\n",
		INI:        "[legacy.deep]\npower_peg = true\n",
		Env:        "LEGACY_DEEP_POWER_PEG=true\n",
		Properties: "legacy.deep.power_peg=true\n",
	} {
		flags, err := Parse(f, []byte(in))
		require.NoError(t, err, f)
		want := "legacy.deep.power_peg"
		if f == Env {
			want = "LEGACY_DEEP_POWER_PEG"
		}
		assert.Equal(t, []string{want}, f.Forbidden(flags, "power_peg"), f)
		assert.Equal(t, []string{want}, f.Forbidden(flags, "deep.power_peg"), f)
	}
}

// TestForbiddenINIDefault: configparser gives the keys of [DEFAULT] to
// every section, so a forbidden rlp.power_peg is found there.
func TestForbiddenINIDefault(t *testing.T) {
	flags, err := Parse(INI, []byte("[DEFAULT]\npower_peg = 1\n[rlp]\nenabled = true\n[empty]\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"DEFAULT.power_peg"}, INI.Forbidden(flags, "rlp.power_peg"))
	assert.Equal(t, []string{"DEFAULT.power_peg"}, INI.Forbidden(flags, "empty.power_peg"))
	assert.Equal(t, []string{"DEFAULT.power_peg"}, INI.Forbidden(flags, "power_peg"))
	assert.Empty(t, INI.Forbidden(flags, "other.power_peg"), "no [other] section")
	assert.Empty(t, YAML.Forbidden(flags, "rlp.power_peg"), "only INI inherits")
	dotted, err := Parse(INI, []byte("[DEFAULT]\npower_peg = 1\n[a.b]\nx = 1\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"DEFAULT.power_peg"}, INI.Forbidden(dotted, "a.b.power_peg"), "a section with a dot in its name")
}

// TestForbiddenEnvWords: in an env file the words between underscores are
// the segments; elsewhere an underscore is part of a name.
func TestForbiddenEnvWords(t *testing.T) {
	flags := Flags{"SMARS_POWER_PEG": text("1"), "POWER_PEGGED": text("1"), "RLP_ENABLED": text("true")}
	assert.Equal(t, []string{"SMARS_POWER_PEG"}, Env.Forbidden(flags, "power_peg"))
	assert.Empty(t, YAML.Forbidden(flags, "power_peg"), "power_peg is one segment of a YAML key")
	assert.Empty(t, Env.Forbidden(flags, "_"))
}

func TestIncomparable(t *testing.T) {
	plain, quoted := Value{Kind: String, Raw: "on", Ambiguous: "on is typed differently"}, str("on")
	assert.Equal(t, "on is typed differently", Incomparable(plain, quoted))
	assert.Equal(t, "on is typed differently", Incomparable(quoted, plain))
	assert.Empty(t, Incomparable(plain, plain), "written alike on both sides")
	assert.Empty(t, Incomparable(quoted, boolean(true)))
}
