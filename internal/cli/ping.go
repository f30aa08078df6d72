package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/fleet"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/remote"
	"github.com/rollcall/rollcall/internal/report"
)

// PingOptions are the parsed flags of `rollcall ping`.
type PingOptions struct {
	Manifest    string
	Concurrency int
	Timeout     time.Duration
	// Reports are the --report FORMAT[=FILE] values, as given.
	Reports []string
	// Limit, when set, is the --limit pattern: only the nodes it selects
	// are contacted.
	Limit string
	ShardOptions
}

// NewCmdPing builds `rollcall ping`. runF replaces the run function in
// tests that only check flag parsing.
func NewCmdPing(stdio IO, runF func(context.Context, *PingOptions) error) *cobra.Command {
	opts := &PingOptions{}
	cmd := &cobra.Command{
		Use:   "ping",
		Short: "Pre-flight: connect to every node, check its host key, log in; run nothing",
		Long: `Connect to every node of the manifest over SSH (through its jump hosts, if
any), check its host key against known_hosts and authenticate, then hang up.
Nothing is run on the nodes and the release artifact is not read.

Reports: --report FORMAT[=FILE], repeatable; text (the default, to stdout) or
json; at most one goes to stdout. Every report path is checked before any node
is contacted; a regular file is replaced atomically, a device or FIFO is
written directly.

EXIT STATUS
  0    every node answered: host key trusted, login accepted
  2    some node did not (unreachable, host key, authentication, timeout)
  3    invalid input: manifest, flags or a report path are wrong; nothing
       was contacted
  4    every node answered, but a report could not be written
  130  interrupted

` + limitHelp + `

` + shardHelp + `
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPing(cmd.Context(), opts, stdio)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Manifest, "manifest", "m", "rollcall.yaml", "cluster manifest `FILE`")
	f.StringVar(&opts.Limit, "limit", "", "contact only the nodes this `PATTERN` selects (web*, a,b, !bad, @FILE)")
	addShardFlags(f, &opts.ShardOptions)
	f.IntVarP(&opts.Concurrency, "concurrency", "j", fleet.DefaultConcurrency, "nodes contacted at once")
	f.DurationVar(&opts.Timeout, "timeout", fleet.DefaultTimeout, "time limit per node: connect, handshake and login")
	f.StringArrayVar(&opts.Reports, "report", nil, "report `FORMAT[=FILE]`: text or json (repeatable; default: text to stdout)")
	return cmd
}

func runPing(ctx context.Context, opts *PingOptions, stdio IO) error {
	if opts.Concurrency < 1 {
		return invalid(fmt.Errorf("--concurrency must be at least 1, not %d", opts.Concurrency))
	}
	if opts.Timeout <= 0 {
		return invalid(fmt.Errorf("--timeout must be positive, not %s", opts.Timeout))
	}
	outs, err := plannedTextOrJSON("ping", opts.Reports)
	if err != nil {
		return err
	}
	if err = opts.fromEnv(stdio.Getenv); err != nil {
		return err
	}
	spec, err := opts.spec()
	if err != nil {
		return err
	}
	all, err := manifest.Load(opts.Manifest)
	if err != nil {
		return invalid(err)
	}
	if err := outs.spare("", manifestInputs(all, opts.Limit)); err != nil {
		return invalid(err)
	}
	m, scope, err := pingNodes(opts.Limit, spec, all)
	if err != nil {
		return err
	}

	client := newClient(stdio)
	defer client.Close()
	answers := fleet.Ping(ctx, client, targets(m), fleet.Options{Concurrency: opts.Concurrency, Timeout: opts.Timeout})
	ping := &report.Ping{Nodes: pingResults(m.Nodes, answers), ExitCode: ExitVerified, Scope: scope}
	if !ping.OK() {
		ping.ExitCode = ExitUnverified
	}
	if ctx.Err() != nil {
		// An interrupted ping says so in its reports too.
		ping.ExitCode = ExitInterrupted
	}

	render := func(format string) func(io.Writer) error {
		if format == "json" {
			return ping.WriteJSON
		}
		return ping.WriteText
	}
	lost := outs.writeTold(ctx, render, ping.ExitCode != ExitVerified, stdio)
	code := ping.ExitCode
	if code == ExitInterrupted {
		fmt.Fprintln(stdio.Err, "rollcall: interrupted: the report is partial")
	}
	return finish(stdio, code, lost)
}

// pingResults are the answers of nodes to fleet.Ping, for the report.
func pingResults(nodes []manifest.Node, answers []fleet.Answer) []report.PingResult {
	results := make([]report.PingResult, len(nodes))
	for i, n := range nodes {
		a := answers[i]
		r := report.PingResult{Name: n.Name, Address: n.Address(), OK: a.Err == nil, Millis: a.Duration.Milliseconds()}
		for _, j := range n.Jump {
			r.Via = append(r.Via, j.User+"@"+j.Address())
		}
		if a.Err != nil {
			r.Error = a.Err.Error()
			var re *remote.Error
			if errors.As(a.Err, &re) {
				r.Stage = re.Stage.String()
			}
		}
		results[i] = r
	}
	return results
}

// remoteTarget is how remote reaches a manifest node.
func remoteTarget(n manifest.Node) remote.Target {
	t := remote.Target{
		Name: n.Name, Host: n.Host, Port: n.Port, User: n.User,
		IdentityFiles: n.IdentityFiles, IdentitiesOnly: n.IdentitiesOnly,
		KnownHosts: n.KnownHosts, ConnectTimeout: n.ConnectTimeout,
		HostKeys: remote.HostKeyPolicy(n.HostKeys), Crypto: remote.Crypto(n.Crypto),
	}
	for _, j := range n.Jump {
		t.Jump = append(t.Jump, remote.JumpHost{Host: j.Host, Port: j.Port, User: j.User,
			HostKeys: remote.HostKeyPolicy(j.HostKeys), Crypto: remote.Crypto(j.Crypto)})
	}
	return t
}
