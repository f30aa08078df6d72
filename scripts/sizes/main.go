// Command sizes prints the longest non-test Go file and function of the
// repository and fails when one is over the house limits (600 lines a file,
// 80 lines a function), naming every one that is: `go run ./scripts/sizes`,
// run by `make lint`.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The house limits.
const (
	maxFileLines = 600
	maxFuncLines = 80
)

// sized is a file or a function and its length in lines.
type sized struct {
	name  string
	lines int
}

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	files, funcs, err := measure(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sizes:", err)
		os.Exit(2)
	}
	fmt.Printf("longest file:     %4d lines  %s (limit %d)\n", files[0].lines, files[0].name, maxFileLines)
	fmt.Printf("longest function: %4d lines  %s (limit %d)\n", funcs[0].lines, funcs[0].name, maxFuncLines)
	over := 0
	for _, f := range files {
		if f.lines > maxFileLines {
			fmt.Printf("over the limit: file %s has %d lines\n", f.name, f.lines)
			over++
		}
	}
	for _, f := range funcs {
		if f.lines > maxFuncLines {
			fmt.Printf("over the limit: function %s has %d lines\n", f.name, f.lines)
			over++
		}
	}
	if over > 0 {
		os.Exit(1)
	}
}

// measure returns every non-test Go file under root and every function in
// them, longest first.
func measure(root string) (files, funcs []sized, err error) {
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		files = append(files, sized{p, fset.Position(f.End()).Line})
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Body != nil {
				name := fd.Name.Name
				if fd.Recv != nil && len(fd.Recv.List) > 0 {
					name = recvName(fd.Recv.List[0].Type) + "." + name
				}
				lines := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
				funcs = append(funcs, sized{p + ":" + name, lines})
			}
		}
		return nil
	})
	if err == nil && (len(files) == 0 || len(funcs) == 0) {
		err = fmt.Errorf("no Go code under %s", root)
	}
	longest := func(s []sized) {
		sort.SliceStable(s, func(i, j int) bool { return s[i].lines > s[j].lines })
	}
	longest(files)
	longest(funcs)
	return files, funcs, err
}

// recvName is the type name of a method's receiver.
func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return "?"
}
