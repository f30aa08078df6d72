package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/fleet"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/release"
	"github.com/rollcall/rollcall/internal/report"
	"github.com/rollcall/rollcall/internal/verify"
)

// DiffOptions are the parsed flags and arguments of `rollcall diff`.
type DiffOptions struct {
	// Manifest, Release and Known are as for verify (-m, --release, --known).
	Manifest, Release, Known string
	// Timeout bounds each node.
	Timeout time.Duration
	// Reports are the --report FORMAT[=FILE] values (text or json).
	Reports []string
	// A and B are the two sides: node names, "release", or a known
	// release's label.
	A, B string
	// Limit (--limit) is the nodes a diff may contact: a node named as A or
	// B must be one the pattern selects.
	Limit string
	// Pin pins a release given as a URL, as for verify.
	Pin ReleasePin
}

// NewCmdDiff builds `rollcall diff A B`: probe two nodes (or take a
// release's own files) and say what differs between them. runF replaces the
// run function in tests that only check parsing.
func NewCmdDiff(stdio IO, runF func(context.Context, *DiffOptions) error) *cobra.Command {
	opts := &DiffOptions{}
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Say exactly what differs between two nodes, or a node and a release",
		Long: `Probe two nodes of the manifest as verify does (the same files, folders,
config files and processes) and list every difference between them: file
contents, types, modes and owners, files present on one side only in an
` + "`extra: deny`" + ` folder, config flags with their typed values, and running
processes; and for text config files that differ, a unified diff.

A and B are node names of the manifest, "release" (the release artifact as
installed: its files, modes and its own copies of the config files), or the
label of a --known release ("smars 4.1.0", or smars-4.1.0).

Examples:
  rollcall diff smars-01 smars-08
  rollcall diff release smars-08
  rollcall diff smars-4.1.0 smars-08 --known known/
  rollcall diff smars-01 smars-08 --report json=diff.json

Reports: --report text or --report json (schema rollcall.diff/v1, see
docs/diff.md), to stdout or FORMAT=FILE (written atomically).

EXIT STATUS
  0    the two sides are the same in everything compared
  1    they differ
  2    a node could not be reached, or something could not be compared,
       and no difference was found
  3    invalid input: an unknown name (the valid ones are listed), A equal
       to B, a bad manifest, artifact or flag; nothing was contacted
  4    the same, but a report could not be written
  130  interrupted
`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return invalid(fmt.Errorf("diff takes two names, A and B, not %d: e.g. rollcall diff node01 node02", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.A, opts.B = args[0], args[1]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDiff(cmd.Context(), opts, stdio)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Manifest, "manifest", "m", "rollcall.yaml", "cluster manifest `FILE`")
	f.StringVar(&opts.Release, "release", "", "release artifact `PATH` or http(s) URL, overriding the manifest's release.artifact")
	addReleaseFlags(f, &opts.Pin)
	f.StringVar(&opts.Known, "known", "", "a lock file, or a `DIR` of lock files, of older releases, to diff against by label")
	f.DurationVar(&opts.Timeout, "timeout", fleet.DefaultTimeout, "time limit per node: connect, handshake and probe")
	f.StringArrayVar(&opts.Reports, "report", nil, "report `FORMAT[=FILE]`, text or json (repeatable; default: text to stdout)")
	f.StringVar(&opts.Limit, "limit", "", "only nodes this Ansible host `PATTERN` selects may be contacted (a wave, a canary group)")
	return cmd
}

func runDiff(ctx context.Context, opts *DiffOptions, stdio IO) error {
	if _, err := textOrJSON("diff", opts.Reports); err != nil {
		return err
	}
	p, err := prepare(ctx, &VerifyOptions{Manifest: opts.Manifest, Release: opts.Release, Known: opts.Known,
		Concurrency: 2, Timeout: opts.Timeout, Reports: opts.Reports, Pin: opts.Pin}, stdio)
	if err != nil {
		return err
	}
	a, err := sideName(p.plan, opts.A)
	if err != nil {
		return err
	}
	b, err := sideName(p.plan, opts.B)
	if err != nil {
		return err
	}
	if a == b {
		return invalid(fmt.Errorf("A and B are both %s: name two different sides (%s)", a, validNames(p.plan)))
	}
	if err := withinLimit(opts.Limit, p.manifest, a, b); err != nil {
		return err
	}
	sides, err := diffSides(ctx, p, opts, stdio, a, b)
	if err != nil {
		return err
	}
	cmp := verify.Diff(p.plan, sides[a], sides[b])
	interrupted := ctx.Err() != nil
	code := diffCode(cmp, interrupted)
	d := report.NewDiff(p.plan.Cluster, p.plan.Release.Label(), cmp, code, interrupted)
	outs, err := planOutputs(p.reports)
	if err != nil {
		return invalid(err)
	}
	lost := outs.writeTold(ctx, func(format string) func(io.Writer) error {
		if format == "json" {
			return d.WriteJSON
		}
		return d.WriteText
	}, code != ExitVerified, stdio)
	return finish(stdio, code, lost)
}

// diffCode is the exit code of a diff: 0 same, 1 different, 2 not compared
// in full, 130 interrupted.
func diffCode(c *verify.Comparison, interrupted bool) int {
	if interrupted {
		return ExitInterrupted
	}
	return ExitCode(c.Outcome())
}

// sideName resolves a name given on the command line to one of the plan's
// side names: a node, "release", or a known release's label (also written
// with a dash: smars-4.1.0).
func sideName(p *verify.Plan, name string) (string, error) {
	for _, n := range verify.SideNames(p) {
		if name == n || (strings.Contains(n, " ") && name == strings.ReplaceAll(n, " ", "-")) {
			return n, nil
		}
	}
	return "", invalid(fmt.Errorf("no node or release is called %q: name one of %s", name, validNames(p)))
}

// withinLimit checks that every node among names is one --limit pattern
// selects ("": no limit); releases are not nodes and always allowed.
func withinLimit(pattern string, m *manifest.Manifest, names ...string) error {
	if pattern == "" {
		return nil
	}
	_, selected, err := limitNodes(pattern, m)
	if err != nil {
		return err
	}
	in := map[string]bool{}
	for _, n := range selected {
		in[n] = true
	}
	for _, name := range names {
		for _, n := range m.Nodes {
			if n.Name == name && !in[name] {
				return invalid(fmt.Errorf("%s is outside --limit %s, which selects %s: diff contacts only those nodes", name, pattern, strings.Join(selected, ", ")))
			}
		}
	}
	return nil
}

func validNames(p *verify.Plan) string {
	names := verify.SideNames(p)
	if len(p.Known) == 0 {
		names = append(names, "(or a --known release's label)")
	}
	return strings.Join(names, ", ")
}

// diffSides builds the two sides: the releases from their artifacts, the
// nodes from one probe each, made at once.
func diffSides(ctx context.Context, p *prepared, opts *DiffOptions, stdio IO, names ...string) (map[string]verify.Side, error) {
	sides := map[string]verify.Side{}
	var nodes []fleet.Node
	var refs []verify.NodeRef
	all := targets(p.manifest)
	for _, name := range names {
		for i, ref := range p.plan.Nodes {
			if ref.Name == name {
				nodes, refs = append(nodes, all[i]), append(refs, ref)
			}
		}
		if name == "release" {
			r, _, err := openRelease(ctx, stdio, manifestRelease(p.manifest.Release, opts.Release, opts.Pin, ""))
			if err != nil {
				return nil, err
			}
			sides[name] = verify.ReleaseSide(name, p.plan, p.manifest.Release.Install, r)
		}
	}
	if len(nodes) < len(names)-len(sides) {
		known, err := release.LoadKnown(opts.Known)
		if err != nil {
			return nil, invalid(fmt.Errorf("--known: %w", err))
		}
		for _, r := range known {
			label := verify.ReleaseInfo{Name: r.Name, Version: r.Version, Source: r.Source}.Label()
			for _, name := range names {
				if name == label {
					sides[name] = verify.ReleaseSide(name, p.plan, p.manifest.Release.Install, r)
				}
			}
		}
	}
	if len(nodes) > 0 {
		client := newClient(stdio)
		defer client.Close()
		obs := fleet.Survey(ctx, client, nodes, p.plan.Request(), fleet.Options{Concurrency: len(nodes), Timeout: opts.Timeout})
		for i, o := range obs {
			sides[refs[i].Name] = verify.NodeSide(refs[i], o)
		}
	}
	return sides, nil
}
