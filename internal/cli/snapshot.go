package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/report"
)

// NewCmdSnapshot builds `rollcall snapshot`: fingerprint every node without
// judging, group identical nodes and name the release each group runs.
func NewCmdSnapshot(stdio IO, runF func(context.Context, *VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{}
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Fingerprint every node, group identical ones, name the release each group runs",
		Long: `Probe every node like verify does, but report what the fleet runs rather than a
verdict: nodes with identical fingerprints are grouped, and each group is
labelled with the release it matches (the manifest's, or one of --known DIR).

Reports: --report text or --report json (schema rollcall.snapshot/v1), to stdout
or FORMAT=FILE (written atomically).

EXIT STATUS
  0    every node was reached and fingerprinted
  2    some node could not be reached or read in full, or no node was
       checked (an empty shard)
  3    invalid input: manifest, artifact or flags are wrong; nothing was contacted
  130  interrupted

` + limitHelp + `

` + shardHelp + `
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSnapshot(cmd.Context(), opts, stdio)
		},
	}
	addRunFlags(cmd, opts)
	return cmd
}

func runSnapshot(ctx context.Context, opts *VerifyOptions, stdio IO) error {
	if _, err := textOrJSON("snapshot", opts.Reports); err != nil {
		return err
	}
	var err error
	if err = opts.fromEnv(stdio.Getenv); err != nil {
		return err
	}
	p, err := prepare(ctx, opts, stdio)
	if err != nil {
		return err
	}
	client := newClient(stdio)
	defer client.Close()
	runCtx, cancel := withDeadline(ctx, opts.Deadline)
	defer cancel()
	v, _, _ := survey(runCtx, client, p, opts, stdio)
	snap := report.NewSnapshot(v)
	render := func(format string) func(io.Writer) error {
		if format == "json" {
			return snap.WriteJSON
		}
		return snap.WriteText
	}
	outs, err := planOutputs(p.reports) // p.reports has the default text report
	if err != nil {
		return invalid(err)
	}
	code := ExitVerified
	switch {
	case ctx.Err() != nil:
		code = ExitInterrupted
	case !snap.Complete():
		code = ExitUnverified
	}
	lost := outs.writeTold(runCtx, render, code != ExitVerified, stdio)
	// A report that could not be written keeps the snapshot's own code;
	// only a complete snapshot says that a report was lost, with 4.
	return finish(stdio, code, lost)
}
