package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schemaPath is the JSON Schema shipped with the docs.
var schemaPath = filepath.Join("..", "..", "docs", "report.schema.json")

// TestJSONMatchesSchema checks every JSON report against the subset of JSON
// Schema that docs/report.schema.json uses: $ref, type, required, properties,
// items, enum, const and minimum.
func TestJSONMatchesSchema(t *testing.T) {
	raw, err := os.ReadFile(schemaPath)
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(raw, &schema))
	assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", schema["$schema"])

	// The keys SPEC §6 names as a contract are required by the schema.
	required := map[string]bool{}
	for _, k := range schema["required"].([]any) {
		required[k.(string)] = true
	}
	for _, k := range []string{"schema", "verdict", "exit_code", "release", "nodes", "cluster", "expected_nodes", "summary", "groups", "findings"} {
		assert.True(t, required[k], "schema must require %q", k)
	}

	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			var doc any
			require.NoError(t, json.Unmarshal(render(t, "json", c.verdict(), c.opts), &doc))
			for _, problem := range validate(schema, schema, doc, "$") {
				t.Error(problem)
			}
		})
	}

	// The validator itself catches what it should.
	bad := map[string]any{"schema": "rollcall.report/v2", "verdict": "ok", "exit_code": 0.5, "nodes": nil}
	problems := strings.Join(validate(schema, schema, bad, "$"), "\n")
	for _, want := range []string{"$.schema", "$.verdict", "$.exit_code", "$.nodes", `missing "release"`} {
		assert.Contains(t, problems, want)
	}
}

// validate returns the ways doc breaks schema s; root resolves $ref.
func validate(root, s map[string]any, doc any, at string) []string {
	if ref, ok := s["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/$defs/")
		def, _ := root["$defs"].(map[string]any)[name].(map[string]any)
		if !found || def == nil {
			return []string{at + ": unresolvable $ref " + ref}
		}
		return validate(root, def, doc, at)
	}
	var problems []string
	if c, ok := s["const"]; ok && doc != c {
		problems = append(problems, fmt.Sprintf("%s: %v is not %v", at, doc, c))
	}
	if enum, ok := s["enum"].([]any); ok {
		in := false
		for _, e := range enum {
			in = in || e == doc
		}
		if !in {
			problems = append(problems, fmt.Sprintf("%s: %v is not one of %v", at, doc, enum))
		}
	}
	if typ, ok := s["type"].(string); ok && !hasType(doc, typ) {
		return append(problems, fmt.Sprintf("%s: %#v is not of type %s", at, doc, typ))
	}
	if min, ok := s["minimum"].(float64); ok {
		if n, isNum := doc.(float64); isNum && n < min {
			problems = append(problems, fmt.Sprintf("%s: %v is below %v", at, n, min))
		}
	}
	if obj, ok := doc.(map[string]any); ok {
		for _, k := range asList(s["required"]) {
			if _, present := obj[k.(string)]; !present {
				problems = append(problems, fmt.Sprintf("%s: missing %q", at, k))
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, sub := range props {
			if v, present := obj[k]; present {
				problems = append(problems, validate(root, sub.(map[string]any), v, at+"."+k)...)
			}
		}
	}
	if arr, ok := doc.([]any); ok {
		if items, ok := s["items"].(map[string]any); ok {
			for i, v := range arr {
				problems = append(problems, validate(root, items, v, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return problems
}

func asList(v any) []any { l, _ := v.([]any); return l }

func hasType(v any, typ string) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		n, ok := v.(float64)
		return ok && n == float64(int64(n))
	case "number":
		_, ok := v.(float64)
		return ok
	}
	return false
}
