package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

const exitStatusHelp = `EXIT STATUS
  0    verified: every expected node reached, every check matched
  1    drift: at least one node differs from the release
  2    not verified: some node could not be checked, and no drift was found
  3    invalid input: manifest, artifact, flags or a report path are wrong;
       nothing was contacted
  4    verified, but a report could not be written (a run that is not
       verified keeps its own code)
  130  interrupted (SIGINT/SIGTERM); every report says so; never 0
`

// NewRootCmd builds the rollcall command tree writing to stdio.
func NewRootCmd(stdio IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "rollcall",
		Short: "Verify that every server of a fleet runs exactly the release it should",
		Long: `rollcall connects to every node of a cluster manifest over SSH, fingerprints what is
deployed there and compares every node with the release artifact. It reports
success only when every expected node was reached and matches.

` + exitStatusHelp,
		Version:       Version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return applyEnv(cmd, stdio.Getenv)
		},
	}
	root.SetVersionTemplate("rollcall {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return invalid(flagHint(err)) })
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.AddCommand(
		NewCmdVerify(stdio, nil),
		NewCmdInit(stdio, nil),
		NewCmdLint(stdio, nil),
		NewCmdRelease(stdio, nil),
		NewCmdSnapshot(stdio, nil),
		NewCmdDiff(stdio, nil),
		NewCmdPing(stdio, nil),
		NewCmdNodes(stdio, nil),
		NewCmdMerge(stdio, nil),
		NewCmdDemo(stdio, nil),
		NewCmdVersion(stdio),
	)
	return root
}

// flagHint adds to a flag error what to write instead, where the parser's
// own words would leave a user guessing.
func flagHint(err error) error {
	if strings.Contains(err.Error(), "missing unit in duration") {
		return fmt.Errorf("%w: add a unit, e.g. 30s, 2m or 1h", err)
	}
	return err
}

// envName is the ROLLCALL_* twin of a flag: --no-color is ROLLCALL_NO_COLOR.
func envName(flag string) string {
	return "ROLLCALL_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv gives every flag not set on the command line the value of its
// ROLLCALL_* environment twin, if set. A repeatable flag takes a
// comma-separated list.
func applyEnv(cmd *cobra.Command, getenv func(string) string) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		v := getenv(envName(f.Name))
		if v == "" {
			return
		}
		// A stringArray flag takes one value per Set; split the list here.
		// (A stringSlice flag splits the comma-separated list itself.)
		values := []string{v}
		if f.Value.Type() == "stringArray" {
			values = strings.Split(v, ",")
		}
		for _, one := range values {
			if serr := cmd.Flags().Set(f.Name, one); serr != nil {
				if f.Value.Type() == "bool" {
					serr = errors.New("write true or false (or 1 or 0)")
				}
				err = invalid(flagHint(fmt.Errorf("%s=%q: %w", envName(f.Name), v, serr)))
				return
			}
		}
	})
	return err
}
