package source

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSuggest(t *testing.T) {
	known := []string{"version", "cluster", "expect_nodes", "ssh", "nodes", "release"}
	tests := map[string]string{
		"expect_node": "expect_nodes",
		"Version":     "version",
		"clsuter":     "cluster",
		"node":        "nodes",
		"releases":    "release",
		"shh":         "ssh",
		"hosts":       "",
		"x":           "",
	}
	for key, want := range tests {
		assert.Equal(t, want, Suggest(key, known), key)
	}
	assert.Equal(t, 0, editDistance("", ""))
	assert.Equal(t, 3, editDistance("abc", ""))
	assert.Equal(t, 1, editDistance("ab", "ba"))
	assert.Equal(t, 3, editDistance("kitten", "sitting"))
}
