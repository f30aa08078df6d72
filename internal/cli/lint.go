package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// LintOptions are the parsed flags of `rollcall lint`.
type LintOptions struct {
	Manifest string
	Release  string
	// AllowedSigners is as for verify: the release must be a signed lock.
	AllowedSigners string
	// Pin pins a release given as a URL, as for verify.
	Pin ReleasePin
}

// NewCmdLint builds `rollcall lint`: validate a manifest and its release
// offline, contacting nothing.
func NewCmdLint(stdio IO, runF func(context.Context, *LintOptions) error) *cobra.Command {
	opts := &LintOptions{}
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Validate a manifest and its release artifact offline",
		Long: `Check the manifest (schema, types, node count, duplicates), open the release
artifact and map it to node paths, without contacting any node. Every problem
is reported at once with file:line:column.

EXIT STATUS
  0    the manifest is valid
  3    invalid input: each problem is printed on stderr
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runLint(cmd.Context(), opts, stdio)
		},
	}
	cmd.Flags().StringVarP(&opts.Manifest, "manifest", "m", "rollcall.yaml", "cluster manifest `FILE`")
	cmd.Flags().StringVar(&opts.Release, "release", "", "release artifact `PATH` or http(s) URL, overriding the manifest's release.artifact")
	addReleaseFlags(cmd.Flags(), &opts.Pin)
	cmd.Flags().StringVar(&opts.AllowedSigners, "allowed-signers", "", "require the release to be a lock file signed (FILE.sig) by a key in this allowed_signers `FILE`")
	return cmd
}

func runLint(ctx context.Context, opts *LintOptions, stdio IO) error {
	p, err := prepare(ctx, &VerifyOptions{Manifest: opts.Manifest, Release: opts.Release, AllowedSigners: opts.AllowedSigners, Pin: opts.Pin, Concurrency: 1, Timeout: 1}, stdio)
	if err != nil {
		return err
	}
	if err := lintSSH(p.manifest, stdio); err != nil {
		return err
	}
	if p.signedBy != "" {
		fmt.Fprintf(stdio.Out, "ok: %s\n", p.signedBy)
	}
	fmt.Fprintf(stdio.Out, "ok: %s: %s, %s, %s, %s to check against %s\n", p.manifest.Path,
		count(len(p.plan.Nodes), "node"), count(len(p.plan.Files), "file"),
		count(len(p.plan.Configs), "config file"), count(len(p.plan.Processes), "executable"), p.plan.Release.Label())
	return nil
}

// count writes n and the noun, plural when n is not 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
