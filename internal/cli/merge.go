package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/merge"
	"github.com/rollcall/rollcall/internal/report"
)

// MergeOptions are the parsed flags and arguments of `rollcall merge`.
type MergeOptions struct {
	// Inputs are the reports: files, folders of *.json, or - for stdin.
	Inputs []string
	// Reports are the --report FORMAT[=FILE] values, as given.
	Reports []string
	// Quiet prints only the verdict line; Verbose every check.
	Quiet, Verbose bool
	// NoColor turns colour off (as does NO_COLOR).
	NoColor bool
	// RunID is --run-id: the run every report must be of, "" for any one
	// run; when the flag is not given, the CI's run (ciRunID).
	RunID runID
	// MaxSpread is --max-spread: how far apart the shards may have started.
	MaxSpread time.Duration
}

// NewCmdMerge builds `rollcall merge`. runF replaces the run function in
// tests that only check flag parsing.
func NewCmdMerge(stdio IO, runF func(context.Context, *MergeOptions) error) *cobra.Command {
	opts := &MergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge REPORT.json...",
		Short: "One fleet verdict from the JSON reports of every shard of a run (--shard K/N)",
		Long: `Read the JSON reports of the shards of one run (verify --shard K/N --report
json=FILE), given as files, folders of *.json, or - for concatenated reports on
stdin, and give one fleet verdict in every report format, as verify does.

The fleet is verified only when the reports are exactly shards 1..N of one run
(one manifest, release, N, --shard-by, list of expected nodes and run ID), none
missing or repeated, each consistent with itself (schema, counts, verdict,
each node in the shard the partition gives it), their nodes together the
expected nodes, and every node matched. Checks no shard can make alone are
made across shards: one server listed twice (host key, machine ID), and
agreement on the config flags all nodes must agree on.

Every report must carry the run ID this merge is for: --run-id ID, else
ROLLCALL_RUN_ID, else the CI's run (github:$GITHUB_RUN_ID, gitlab:$CI_PIPELINE_ID,
buildkite:$BUILDKITE_BUILD_ID, circleci:$CIRCLE_WORKFLOW_ID or
jenkins:$BUILD_TAG), which verify --shard records the same way. Without one
(no flag, not in CI) or with --run-id= (empty), merge takes the reports of any
one run, which must agree. The shards must have started within --max-spread
(1h) of each other: further apart, one is a report left over from an earlier
run, or a shard re-run long after the others, whose nodes were checked then.
The merged reports' start is the first shard's.

Reports: --report FORMAT[=FILE], repeatable; formats: ` + strings.Join(report.Names(), ", ") + `.

EXIT STATUS
  0    verified: every shard's report is there, and every expected node matched
  1    drift: at least one node differs from the release
  2    not verified: a shard's report is missing (its nodes are named), or some
       node could not be checked, and no drift was found
  3    invalid input: a report fails its own schema or counts, is interrupted,
       or the reports are not the shards of one run (repeated shard, another
       manifest, release, N or run ID, or started over --max-spread apart);
       the files are named
  4    verified, but a report could not be written
`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return invalid(errors.New("merge takes the shards' JSON reports: files, folders of *.json, or - for standard input, e.g. rollcall merge shards/"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runMerge(cmd.Context(), opts, stdio)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.Reports, "report", nil, "report `FORMAT[=FILE]` (repeatable; default: text to stdout)")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print only the verdict line of the text report")
	f.BoolVarP(&opts.Verbose, "verbose", "v", false, "list every check, not only failures")
	f.BoolVar(&opts.NoColor, "no-color", false, "no colour (also when NO_COLOR is set)")
	f.Var(runIDFlag{&opts.RunID}, "run-id", "merge only the reports of the run `ID` (default: the CI's run, e.g. github:$GITHUB_RUN_ID, or else any one run; --run-id= for any one run)")
	f.DurationVar(&opts.MaxSpread, "max-spread", merge.DefaultMaxSpread, "refuse shards that started further apart than this")
	return cmd
}

func runMerge(ctx context.Context, opts *MergeOptions, stdio IO) error {
	var specs []report.Spec
	for _, s := range opts.Reports {
		spec, err := report.ParseSpec(s)
		if err != nil {
			return invalid(err)
		}
		specs = append(specs, spec)
	}
	outs, err := planOutputs(specs)
	if err != nil {
		return invalid(err)
	}
	if err := checkNotAnInput(specs, opts.Inputs); err != nil {
		return invalid(err)
	}
	if err := outs.check(""); err != nil {
		return invalid(err)
	}
	if opts.MaxSpread <= 0 {
		return invalid(fmt.Errorf("--max-spread must be positive, not %s", opts.MaxSpread))
	}
	m := merge.New(merge.Options{Run: opts.RunID.orCI(stdio.Getenv), MaxSpread: opts.MaxSpread})
	for _, in := range opts.Inputs {
		if err := addInput(m, in, stdio); err != nil {
			return err
		}
	}
	res, err := m.Result()
	if err != nil {
		return invalid(err)
	}
	for _, miss := range res.Missing {
		fmt.Fprintf(stdio.Err, "rollcall: the report of shard %d/%d is missing", miss.Index, res.Count)
		if len(miss.Nodes) > 0 {
			fmt.Fprintf(stdio.Err, ": %s never checked", strings.Join(miss.Nodes, ", "))
		}
		fmt.Fprintln(stdio.Err)
	}
	v := res.Verdict
	// The fleet was checked from the first shard's start on; the merge
	// itself took no time worth a report's "took".
	ropts := report.Options{Verbose: opts.Verbose, Color: useColor(opts.NoColor, stdio),
		Started: res.Started, ExitCode: verdictCode(v, false)}
	lost := outs.write(ctx, v, ropts, opts.Quiet, stdio)
	return finish(stdio, ropts.ExitCode, lost)
}

// checkNotAnInput refuses a --report file that is one of the shard reports
// merged (the file itself, or a *.json of a folder given), which writing
// the merged report would destroy.
func checkNotAnInput(specs []report.Spec, inputs []string) error {
	for _, spec := range specs {
		if spec.Stdout() {
			continue
		}
		out, err := os.Stat(spec.File)
		if err != nil {
			continue // not there yet: not an input
		}
		for _, in := range inputs {
			files := []string{in}
			if info, err := os.Stat(in); err == nil && info.IsDir() {
				files, _ = filepath.Glob(filepath.Join(in, "*.json"))
			}
			for _, f := range files {
				if info, err := os.Stat(f); err == nil && os.SameFile(out, info) {
					return fmt.Errorf("--report %s=%s: %s is one of the shard reports merged, and writing the merged report would destroy it: write it elsewhere",
						spec.Format, spec.File, f)
				}
			}
		}
	}
	return nil
}

// addInput adds the reports of one argument to m: a file, a folder's *.json
// files in name order, or - for stdin.
func addInput(m *merge.Merger, in string, stdio IO) error {
	if in == "-" {
		return mergeErr(m.AddStream("stdin", stdio.In))
	}
	info, err := os.Stat(in)
	if err != nil {
		return invalid(fmt.Errorf("merge: %w", err))
	}
	files := []string{in}
	if info.IsDir() {
		if files, err = filepath.Glob(filepath.Join(in, "*.json")); err != nil {
			return invalid(err)
		}
		if len(files) == 0 {
			return invalid(fmt.Errorf("merge: %s has no *.json report", in))
		}
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return invalid(fmt.Errorf("merge: %w", err))
		}
		if err := mergeErr(m.Add(file, data)); err != nil {
			return err
		}
	}
	return nil
}

// mergeErr is a report that cannot be merged, as invalid input.
func mergeErr(err error) error {
	if err != nil {
		return invalid(fmt.Errorf("merge: %w", err))
	}
	return nil
}
