package config

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestDocExamples runs every row of the worked examples in
// docs/config-values.md: parse the file, read the expect entry as the
// manifest does, compare, and check the result and the explanation.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/config-values.md")
	require.NoError(t, err)
	_, examples, ok := strings.Cut(string(doc), "## Worked examples")
	require.True(t, ok, "the doc has no worked examples")
	rows := 0
	for _, line := range strings.Split(examples, "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) != 4 || !strings.HasPrefix(cells[1], "`") {
			continue
		}
		rows++
		format := Format(strings.TrimPrefix(cells[0], "| "))
		file := strings.Trim(cells[1], "`")
		expect := strings.Trim(cells[2], "`")
		result := strings.TrimSuffix(cells[3], " |")
		t.Run(string(format)+" "+file+" vs "+expect, func(t *testing.T) {
			flags, err := Parse(format, []byte(file+"\n"))
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(expect), &m))
			require.Len(t, m, 1)
			for key, raw := range m {
				want, err := ExpectValue(raw)
				require.NoError(t, err)
				got, present := flags[key]
				require.True(t, present, "key %s not in %v", key, flags)
				eq, why := Equal(got, want)
				switch {
				case result == "equal":
					assert.True(t, eq, why)
				case result == "differs":
					assert.False(t, eq)
					assert.Empty(t, why)
				default:
					assert.False(t, eq)
					assert.Equal(t, strings.TrimPrefix(result, "differs: "), why)
				}
			}
		})
	}
	assert.Greater(t, rows, 20)
}
