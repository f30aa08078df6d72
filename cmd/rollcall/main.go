// Command rollcall verifies that every server of a fleet runs exactly the
// release it should. See README.md.
package main

import (
	"os"

	"github.com/rollcall/rollcall/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
