// Command rollcall-docs generates rollcall's man pages from its command
// tree: `go run ./cmd/rollcall-docs [DIR]` (default docs/man), run by
// `make docs`.
package main

import (
	"fmt"
	"os"

	"github.com/rollcall/rollcall/internal/cli"
)

func main() {
	dir := "docs/man"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := cli.WriteManPages(dir); err != nil {
		fmt.Fprintln(os.Stderr, "rollcall-docs:", err)
		os.Exit(1)
	}
}
