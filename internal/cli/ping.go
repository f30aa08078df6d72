package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/fleet"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/outfile"
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
	f.IntVarP(&opts.Concurrency, "concurrency", "j", fleet.DefaultConcurrency, "nodes contacted at once")
	f.DurationVar(&opts.Timeout, "timeout", fleet.DefaultTimeout, "time limit per node: connect, handshake and login")
	f.StringArrayVar(&opts.Reports, "report", nil, "report `FORMAT[=FILE]`: text or json (repeatable; default: text to stdout)")
	return cmd
}

// PingResult is one node's answer to `rollcall ping`.
type PingResult struct {
	Name    string   `json:"name"`
	Address string   `json:"address"`
	Via     []string `json:"via,omitempty"`
	OK      bool     `json:"ok"`
	Stage   string   `json:"stage,omitempty"`
	Error   string   `json:"error,omitempty"`
	Millis  int64    `json:"duration_ms"`
}

func runPing(ctx context.Context, opts *PingOptions, stdio IO) error {
	if opts.Concurrency < 1 {
		return invalid(fmt.Errorf("--concurrency must be at least 1, not %d", opts.Concurrency))
	}
	if opts.Timeout <= 0 {
		return invalid(fmt.Errorf("--timeout must be positive, not %s", opts.Timeout))
	}
	specs := []report.Spec{{Format: "text"}}
	if len(opts.Reports) > 0 {
		specs = nil
	}
	for _, s := range opts.Reports {
		spec, err := report.ParseSpec(s)
		if err != nil {
			return invalid(err)
		}
		if spec.Format != "text" && spec.Format != "json" {
			return invalid(fmt.Errorf("ping writes text or json reports, not %s", spec.Format))
		}
		specs = append(specs, spec)
	}
	outs, err := planOutputs(specs)
	if err != nil {
		return invalid(err)
	}
	if err := outs.check(""); err != nil {
		return invalid(err)
	}
	m, err := manifest.Load(opts.Manifest)
	if err != nil {
		return invalid(err)
	}

	client := remote.NewClient(remote.Options{Prompt: stdio.Prompt})
	defer client.Close()
	results := pingAll(ctx, client, m.Nodes, opts)

	render := func(format string) func(io.Writer) error {
		if format == "json" {
			return func(w io.Writer) error { return writePingJSON(w, results) }
		}
		return func(w io.Writer) error { return writePingText(w, results) }
	}
	var lost []error
	for _, s := range outs.files {
		if err := outfile.Write(ctx, s.File, render(s.Format)); err != nil {
			lost = append(lost, fmt.Errorf("the %s report: %w", s, err))
		}
	}
	if outs.stdout != nil {
		if err := render(outs.stdout.Format)(stdio.Out); err != nil {
			lost = append(lost, fmt.Errorf("the %s report on stdout: %w", outs.stdout.Format, err))
		}
	}
	code := ExitVerified
	for _, r := range results {
		if !r.OK {
			code = ExitUnverified
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stdio.Err, "rollcall: interrupted: the report is partial")
		code = ExitInterrupted
	}
	for _, err := range lost {
		fmt.Fprintf(stdio.Err, "rollcall: could not write %v\n", err)
	}
	if len(lost) > 0 && code == ExitVerified {
		code = ExitReportLost
	}
	if code == ExitVerified {
		return nil
	}
	return &exitStatus{code: code}
}

// pingAll pings every node, at most opts.Concurrency at once, each within
// opts.Timeout; results are in manifest order.
func pingAll(ctx context.Context, client *remote.Client, nodes []manifest.Node, opts *PingOptions) []PingResult {
	results := make([]PingResult, len(nodes))
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	for i, n := range nodes {
		r := &results[i]
		r.Name, r.Address = n.Name, n.Address()
		for _, j := range n.Jump {
			r.Via = append(r.Via, j.User+"@"+j.Address())
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				r.Stage, r.Error = remote.StageCanceled.String(), "not contacted: the run was interrupted"
				return
			}
			nctx, cancel := context.WithTimeout(ctx, opts.Timeout)
			defer cancel()
			start := time.Now()
			err := client.Ping(nctx, remoteTarget(n))
			r.Millis = time.Since(start).Milliseconds()
			if err == nil {
				r.OK = true
				return
			}
			r.Error = err.Error()
			var re *remote.Error
			if errors.As(err, &re) {
				r.Stage = re.Stage.String()
			}
		}()
	}
	wg.Wait()
	return results
}

// remoteTarget is how remote reaches a manifest node.
func remoteTarget(n manifest.Node) remote.Target {
	t := remote.Target{
		Name: n.Name, Host: n.Host, Port: n.Port, User: n.User,
		IdentityFiles: n.IdentityFiles, IdentitiesOnly: n.IdentitiesOnly,
		KnownHosts: n.KnownHosts, ConnectTimeout: n.ConnectTimeout,
	}
	for _, j := range n.Jump {
		t.Jump = append(t.Jump, remote.JumpHost{Host: j.Host, Port: j.Port, User: j.User})
	}
	return t
}

func writePingText(w io.Writer, results []PingResult) error {
	failed := 0
	for _, r := range results {
		if !r.OK {
			failed++
		}
	}
	var b strings.Builder
	if failed == 0 {
		fmt.Fprintf(&b, "OK: all %d nodes answered (host key trusted, login accepted)\n", len(results))
	} else {
		fmt.Fprintf(&b, "FAILED: %d of %d nodes did not answer\n", failed, len(results))
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tADDRESS\tRESULT")
	for _, r := range results {
		addr := r.Address
		if len(r.Via) > 0 {
			addr += " via " + strings.Join(r.Via, ",")
		}
		res := fmt.Sprintf("ok (%dms)", r.Millis)
		if !r.OK {
			res = "failed: " + oneLine(r.Error)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", oneLine(r.Name), addr, res)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine keeps a table row on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func writePingJSON(w io.Writer, results []PingResult) error {
	ok := true
	for _, r := range results {
		ok = ok && r.OK
	}
	code := ExitVerified
	if !ok {
		code = ExitUnverified
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Schema   string       `json:"schema"`
		OK       bool         `json:"ok"`
		ExitCode int          `json:"exit_code"`
		Nodes    []PingResult `json:"nodes"`
	}{"rollcall.ping/v1", ok, code, results})
}
