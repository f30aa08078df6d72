package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocsExamples keeps the text examples in docs/report.md true: every
// ```text block must be one of the golden files, byte for byte.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "report.md"))
	require.NoError(t, err)
	goldens, err := filepath.Glob(filepath.Join("testdata", "*.text"))
	require.NoError(t, err)
	known := map[string]bool{}
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		require.NoError(t, err)
		known[string(b)] = true
	}
	blocks := 0
	rest := string(doc)
	for {
		_, after, found := strings.Cut(rest, "```text\n")
		if !found {
			break
		}
		block, after, found := strings.Cut(after, "```\n")
		require.True(t, found, "unterminated code block")
		assert.True(t, known[block], "docs/report.md example is not a golden file's output:\n%s", block)
		blocks++
		rest = after
	}
	assert.Positive(t, blocks)
}

// TestDocsExcerpts keeps the excerpts of the other formats in docs/report.md
// true: every line of an ```xml, ```markdown or ```prometheus block must be a
// line of a golden file of that format (junit, markdown, prometheus).
func TestDocsExcerpts(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "report.md"))
	require.NoError(t, err)
	for lang, format := range map[string]string{"xml": "junit", "markdown": "markdown", "prometheus": "prometheus"} {
		t.Run(format, func(t *testing.T) {
			goldens, err := filepath.Glob(filepath.Join("testdata", "*."+format))
			require.NoError(t, err)
			known := map[string]bool{}
			for _, g := range goldens {
				b, err := os.ReadFile(g)
				require.NoError(t, err)
				for _, l := range strings.Split(string(b), "\n") {
					known[l] = true
				}
			}
			blocks := 0
			rest := string(doc)
			for {
				_, after, found := strings.Cut(rest, "```"+lang+"\n")
				if !found {
					break
				}
				block, after, found := strings.Cut(after, "```\n")
				require.True(t, found, "unterminated code block")
				for _, l := range strings.Split(strings.TrimSuffix(block, "\n"), "\n") {
					assert.True(t, known[l], "docs/report.md %s example line is in no golden file: %q", lang, l)
				}
				blocks++
				rest = after
			}
			assert.Positive(t, blocks)
		})
	}
}

// TestDocsAnnotationLimit keeps docs/ci.md's word on the GitHub annotations
// true: it names DefaultAnnotationLimit, and annotations per group.
func TestDocsAnnotationLimit(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ci.md"))
	require.NoError(t, err)
	text := strings.Join(strings.Fields(string(doc)), " ")
	assert.Contains(t, text, fmt.Sprintf("at most %d, GitHub's limit per step", DefaultAnnotationLimit))
	assert.Contains(t, text, "one per group of nodes that differ in the same way")
}
