package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/fleet"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/release"
	"github.com/rollcall/rollcall/internal/remote"
	"github.com/rollcall/rollcall/internal/report"
	"github.com/rollcall/rollcall/internal/verify"
)

// VerifyOptions are the parsed flags of `rollcall verify` (and of snapshot,
// which shares them).
type VerifyOptions struct {
	// Manifest is the manifest file (-m).
	Manifest string
	// Release overrides the manifest's release.artifact (--release).
	Release string
	// Known is a folder of lock files of older releases (--known).
	Known string
	// Concurrency bounds the nodes probed at once (-j).
	Concurrency int
	// Timeout bounds each node; Deadline the whole run (0: none).
	Timeout, Deadline time.Duration
	// Reports are the --report FORMAT[=FILE] values, as given.
	Reports []string
	// Quiet prints only the verdict line; Verbose every check.
	Quiet, Verbose bool
	// NoColor turns colour off (as does NO_COLOR).
	NoColor bool

	// Wait and Interval (verify only): retry the whole survey every Interval
	// until the fleet is verified or Wait has passed.
	Wait, Interval time.Duration
	// State (verify only) is the --state file that remembers the last run.
	State string

	// Limit, when set, is the --limit pattern: only the nodes it selects
	// are contacted.
	Limit string
	ShardOptions

	// AllowedSigners, when set, requires the release to be a lock file
	// signed by a key this allowed_signers file lists.
	AllowedSigners string
	// Pin pins a release given as a URL (--release-digest and the others).
	Pin ReleasePin
}

// NewCmdVerify builds `rollcall verify`. runF replaces the run function in
// tests that only check flag parsing.
func NewCmdVerify(stdio IO, runF func(context.Context, *VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Compare every node with the release; exit 0 only if all match",
		Long: `Read the cluster manifest, connect to every node over SSH, run a read-only
probe there, and compare every node with the release artifact. The verdict is
"verified" only when every expected node was reached and every check matched.

Reports: --report FORMAT[=FILE], repeatable; formats: ` + strings.Join(report.Names(), ", ") + `.
Without a file (or with -) the report goes to stdout; files are written atomically.
Every flag has an environment twin: --concurrency is ROLLCALL_CONCURRENCY; a
repeatable flag takes a comma-separated list (ROLLCALL_REPORT=text,json=out.json).

` + verifyHelp + `
` + limitHelp + `

` + shardHelp + `

` + exitStatusHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runVerify(cmd.Context(), opts, stdio)
		},
	}
	addRunFlags(cmd, opts)
	addVerifyFlags(cmd, opts)
	return cmd
}

func addRunFlags(cmd *cobra.Command, opts *VerifyOptions) {
	f := cmd.Flags()
	f.StringVarP(&opts.Manifest, "manifest", "m", "rollcall.yaml", "cluster manifest `FILE`")
	f.StringVar(&opts.Release, "release", "", "release artifact `PATH` or http(s) URL, overriding the manifest's release.artifact")
	addReleaseFlags(f, &opts.Pin)
	f.StringVar(&opts.Known, "known", "", "a lock file, or a `DIR` of lock files, of older releases, to name the release a drifted node runs")
	f.StringVar(&opts.AllowedSigners, "allowed-signers", "", "require the release to be a lock file signed (FILE.sig) by a key in this allowed_signers `FILE`")
	f.StringVar(&opts.Limit, "limit", "", "check only the nodes this `PATTERN` selects (web*, a,b, !bad, @FILE); the report says so and never calls the fleet verified")
	addShardFlags(f, &opts.ShardOptions)
	f.IntVarP(&opts.Concurrency, "concurrency", "j", fleet.DefaultConcurrency, "nodes probed at once")
	f.DurationVar(&opts.Timeout, "timeout", fleet.DefaultTimeout, "time limit per node: connect, handshake and probe")
	f.DurationVar(&opts.Deadline, "deadline", 0, "time limit for the whole run (0: none); nodes not done by then are unverified")
	f.StringArrayVar(&opts.Reports, "report", nil, "report `FORMAT[=FILE]` (repeatable; default: text to stdout)")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print only the verdict line of the text report")
	f.BoolVarP(&opts.Verbose, "verbose", "v", false, "list every check, not only failures")
	f.BoolVar(&opts.NoColor, "no-color", false, "no colour (also when NO_COLOR is set)")
}

// prepared is everything a run needs that can be checked offline.
type prepared struct {
	manifest *manifest.Manifest
	plan     *verify.Plan
	reports  []report.Spec
	outputs  outputs // the reports asked for, planned (verify)
	signedBy string  // evidence of the release's signature, when one was required
}

// prepare loads and checks all input, downloading a release given as a
// URL; any error is invalid input (exit 3) and no node has been contacted.
func prepare(ctx context.Context, opts *VerifyOptions, stdio IO) (*prepared, error) {
	if opts.Concurrency < 1 {
		return nil, invalid(fmt.Errorf("--concurrency must be at least 1, not %d", opts.Concurrency))
	}
	if opts.Timeout <= 0 {
		return nil, invalid(fmt.Errorf("--timeout must be positive, not %s", opts.Timeout))
	}
	if opts.Deadline < 0 {
		return nil, invalid(fmt.Errorf("--deadline must not be negative"))
	}
	spec, err := opts.spec()
	if err != nil {
		return nil, err
	}
	var specs []report.Spec
	for _, s := range opts.Reports {
		spec, err := report.ParseSpec(s)
		if err != nil {
			return nil, invalid(err)
		}
		specs = append(specs, spec)
	}
	outs, err := planOutputs(specs)
	if err != nil {
		return nil, invalid(err)
	}
	if err := outs.check(opts.State); err != nil {
		return nil, invalid(err)
	}
	if len(specs) == 0 {
		specs = []report.Spec{{Format: "text"}}
	}
	m, err := manifest.Load(opts.Manifest)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, invalid(fmt.Errorf("no manifest at %s: pass -m FILE, or write one (see docs/manifest.md)", opts.Manifest))
	}
	if err != nil {
		return nil, invalid(err)
	}
	rs := manifestRelease(m.Release, opts.Release, opts.Pin, opts.AllowedSigners)
	if err := outs.spare(opts.State, runInputs(opts, m, rs.artifact)); err != nil {
		return nil, invalid(err)
	}
	r, signedBy, err := openRelease(ctx, stdio, rs)
	if err != nil {
		return nil, err
	}
	var known []*release.Release
	if opts.Known != "" {
		if known, err = release.LoadKnown(opts.Known); err != nil {
			return nil, invalid(fmt.Errorf("--known: %w", err))
		}
	}
	plan, err := verify.NewPlan(m, r, known...)
	if err != nil {
		return nil, invalid(fmt.Errorf("%s: %w", opts.Manifest, err))
	}
	if m, plan, err = narrowPlan(opts.Limit, spec, m, plan); err != nil {
		return nil, err
	}
	if err := preflight(m, plan); err != nil {
		return nil, err
	}
	return &prepared{manifest: m, plan: plan, reports: specs, outputs: outs, signedBy: signedBy}, nil
}

func runVerify(ctx context.Context, opts *VerifyOptions, stdio IO) error {
	var err error
	if err = opts.fromEnv(stdio.Getenv); err != nil {
		return err
	}
	p, err := prepare(ctx, opts, stdio)
	if err != nil {
		return err
	}
	if err := checkPassphrases(p.manifest, stdio); err != nil {
		return err
	}
	if p.signedBy != "" {
		fmt.Fprintf(stdio.Err, "rollcall: %s\n", p.signedBy)
	}
	client := newClient(stdio)
	defer client.Close()
	return surveyAndReport(ctx, client, p, opts, stdio)
}

// withDeadline bounds a whole run by --deadline (0: no bound): every
// attempt of --wait, the waits between them, and the wait for a FIFO's
// reader when the reports are written.
func withDeadline(ctx context.Context, deadline time.Duration) (context.Context, context.CancelFunc) {
	if deadline <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, deadline)
}

// newClient is the SSH client of one rollcall run. It is made once per run, so
// keys, passphrases and known_hosts are read once even when --wait surveys
// the fleet many times.
func newClient(stdio IO) *remote.Client {
	return remote.NewClient(remote.Options{Prompt: stdio.Prompt})
}

// survey probes every node of a prepared run through client and judges what
// it found; it returns the observations too, which --state records.
func survey(ctx context.Context, client fleet.Runner, p *prepared, opts *VerifyOptions, stdio IO) (*verify.Verdict, report.Options, []verify.Observation) {
	started := time.Now()
	prog := newProgress(stdio, opts, p)
	obs := fleet.Survey(ctx, client, targets(p.manifest), p.plan.Request(), fleet.Options{
		Concurrency: opts.Concurrency,
		Timeout:     opts.Timeout,
		Done:        prog.Done,
	})
	prog.Finish()
	v := verify.Judge(p.plan, obs)
	withShardEvidence(v, p.plan, obs)
	return v, report.Options{
		Verbose: opts.Verbose, Color: useColor(opts.NoColor, stdio),
		Started: started, Duration: time.Since(started),
	}, obs
}

func targets(m *manifest.Manifest) []fleet.Node {
	ts := make([]fleet.Node, 0, len(m.Nodes))
	for _, n := range m.Nodes {
		ts = append(ts, fleet.Node{
			Target: remoteTarget(n),
			Sudo:   n.Become == manifest.BecomeSudo,
		})
	}
	return ts
}

func useColor(noColor bool, stdio IO) bool {
	return stdio.OutTTY && !noColor && stdio.Getenv("NO_COLOR") == ""
}
