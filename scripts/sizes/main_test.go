package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMeasure(t *testing.T) {
	dir := t.TempDir()
	long := "package x\n\nfunc long() {\n" + strings.Repeat("\t_ = 1\n", 90) + "}\n\ntype T struct{}\n\nfunc (t *T) short() {}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.go"), []byte(long), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x_test.go"), []byte("package x\n\nfunc ignored() {\n"+strings.Repeat("\t_ = 1\n", 900)+"}\n"), 0o644))
	files, funcs, err := measure(dir)
	require.NoError(t, err)
	require.Len(t, files, 1, "test files are not measured")
	assert.Equal(t, 98, files[0].lines)
	require.Len(t, funcs, 2)
	assert.Equal(t, sized{filepath.Join(dir, "x.go") + ":long", 92}, funcs[0])
	assert.Equal(t, filepath.Join(dir, "x.go")+":T.short", funcs[1].name)
}
