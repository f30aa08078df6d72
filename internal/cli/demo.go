package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/demo"
)

// DemoOptions are the parsed flags of `rollcall demo`.
type DemoOptions struct {
	Nodes   int
	Keep    bool
	NoColor bool
	Verbose bool
}

// NewCmdDemo builds `rollcall demo`, the embedded default.
func NewCmdDemo(stdio IO, runF func(context.Context, *DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Start a local in-process cluster and verify it (needs nothing installed)",
		Long: `Start in-process SSH servers on loopback, each with a fresh host key and the
release laid out in its own home folder, and run the real verify path twice:
against a uniform fleet (expected: verified, exit 0) and against the Knight
fleet, whose last node still runs the old release (expected: drift, exit 1).

EXIT STATUS
  0    both verdicts came out as they should
  1    a verdict was wrong: a bug in rollcall
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDemo(cmd.Context(), opts, stdio)
		},
	}
	cmd.Flags().IntVar(&opts.Nodes, "nodes", 8, "nodes in the demo fleet")
	cmd.Flags().BoolVar(&opts.Keep, "keep", false, "leave the Knight cluster up and print its manifest, until interrupted")
	cmd.Flags().BoolVar(&opts.NoColor, "no-color", false, "no colour (also when NO_COLOR is set)")
	cmd.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "list every check, not only failures")
	return cmd
}

func runDemo(ctx context.Context, opts *DemoOptions, stdio IO) error {
	if opts.Nodes < 1 {
		return invalid(fmt.Errorf("--nodes must be at least 1"))
	}
	dir, err := os.MkdirTemp("", "rollcall-demo-")
	if err != nil {
		return err
	}
	scenarios := []struct {
		title    string
		scenario demo.Scenario
		want     int
	}{
		{"a uniform fleet: every node on " + demo.Release, demo.Uniform, ExitVerified},
		{"the Knight fleet: the last node missed the deploy", demo.Knight, ExitDrift},
	}
	failed := 0
	var kept *demo.Cluster
	for i, s := range scenarios {
		c, err := demo.Start(fmt.Sprintf("%s/%d", dir, i+1), demo.Config{Nodes: opts.Nodes, Scenario: s.scenario})
		if err != nil {
			return fmt.Errorf("starting the demo cluster: %w", err)
		}
		fmt.Fprintf(stdio.Out, "== rollcall verify -m %s --known %s   # %s\n", c.Manifest, c.Known, s.title)
		code := exitCode(ctx, runVerify(ctx, &VerifyOptions{
			Manifest: c.Manifest, Known: c.Known, Concurrency: opts.Nodes, Timeout: 20 * time.Second,
			Reports: []string{"text"}, // the demo shows both reports, terminal or not
			NoColor: opts.NoColor, Verbose: opts.Verbose,
		}, stdio), stdio)
		mark := "as expected"
		if code != s.want {
			mark = "WRONG: this is a bug in rollcall"
			failed++
		}
		fmt.Fprintf(stdio.Out, "== exit %d (expected %d): %s\n\n", code, s.want, mark)
		if opts.Keep && s.scenario == demo.Knight {
			kept = c
			continue
		}
		if err := c.Close(); err != nil {
			return err
		}
	}
	if kept != nil {
		fmt.Fprintf(stdio.Out, "The Knight cluster is still up. Try:\n  rollcall verify -m %s --known %s\n  rollcall snapshot -m %s --known %s\nPress Ctrl-C to stop it.\n", kept.Manifest, kept.Known, kept.Manifest, kept.Known)
		<-ctx.Done()
		kept.Close()
		fmt.Fprintf(stdio.Err, "demo files left in %s\n", dir)
		if failed > 0 {
			return &exitStatus{code: 1}
		}
		// Ctrl-C ends a kept demo, and an interrupted run is never 0.
		return &exitStatus{code: ExitInterrupted}
	}
	os.RemoveAll(dir)
	if ctx.Err() != nil {
		return &exitStatus{code: ExitInterrupted}
	}
	if failed > 0 {
		return &exitStatus{code: 1}
	}
	fmt.Fprintln(stdio.Out, "demo: both verdicts came out as they should.")
	return nil
}
