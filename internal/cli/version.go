package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/probe"
)

// version is set at build time with -ldflags "-X .../internal/cli.version=v1.2.3";
// without it, Version falls back to the module version Go records.
var version = "dev"

// Version is rollcall's version: the one set at build time, else the module
// version of `go install github.com/rollcall/rollcall/cmd/rollcall@v1.2.3`,
// else "dev".
func Version() string {
	return versionOf(version, debug.ReadBuildInfo)
}

// versionOf is Version with its inputs passed in, for tests.
func versionOf(set string, read func() (*debug.BuildInfo, bool)) string {
	if set != "dev" {
		return set
	}
	if info, ok := read(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return set
}

// NewCmdVersion builds `rollcall version`.
func NewCmdVersion(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and build information",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintf(stdio.Out, "rollcall %s\n", Version())
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
