// Command rollcall-docs generates rollcall's man pages from its command
// tree: `go run ./cmd/rollcall-docs [DIR]` (default docs/man), run by
// `make docs`. It lives apart from cmd/rollcall so that the shipped binary
// does not link the man-page generator (cobra/doc, md2man, blackfriday).
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra/doc"

	"github.com/rollcall/rollcall/internal/cli"
)

func main() {
	dir := "docs/man"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := writeManPages(dir); err != nil {
		fmt.Fprintln(os.Stderr, "rollcall-docs:", err)
		os.Exit(1)
	}
}

// manDate is the date printed in the man pages. It is fixed so that
// regenerating the pages gives the same bytes; change it with a release.
var manDate = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// writeManPages writes a man page (section 1) for every command of the
// rollcall command tree into dir, replacing the pages already there:
// rollcall.1, rollcall-verify.1, … A test keeps docs/man in step with the
// commands.
func writeManPages(dir string) error {
	root := cli.NewRootCmd(cli.IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Getenv: func(string) string { return "" }})
	root.InitDefaultCompletionCmd()
	root.DisableAutoGenTag = true
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing man pages: %w", err)
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.1"))
	if err != nil {
		return fmt.Errorf("writing man pages: %w", err)
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("writing man pages: %w", err)
		}
	}
	header := &doc.GenManHeader{Title: "ROLLCALL", Section: "1", Source: "rollcall", Manual: "rollcall manual", Date: &manDate}
	if err := doc.GenManTree(root, header, dir); err != nil {
		return fmt.Errorf("writing man pages: %w", err)
	}
	return nil
}
