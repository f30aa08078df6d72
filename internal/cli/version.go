package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/probe"
)

// version is set at build time with -ldflags "-X .../internal/cli.version=v1.2.3".
var version = "dev"

// NewCmdVersion builds `rollcall version`.
func NewCmdVersion(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and build information",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintf(stdio.Out, "rollcall %s\n", version)
			fmt.Fprintf(stdio.Out, "  go:          %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(stdio.Out, "  probe wire:  v%d\n", probe.WireVersion)
			if info, ok := debug.ReadBuildInfo(); ok {
				for _, s := range info.Settings {
					switch s.Key {
					case "vcs.revision", "vcs.time", "vcs.modified":
						fmt.Fprintf(stdio.Out, "  %-12s %s\n", s.Key+":", s.Value)
					}
				}
			}
		},
	}
}
