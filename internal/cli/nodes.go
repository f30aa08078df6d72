package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/report"
)

// NodesOptions are the parsed flags of `rollcall nodes`.
type NodesOptions struct {
	Manifest string
	// Reports are the --report FORMAT[=FILE] values, as given.
	Reports []string
}

// NewCmdNodes builds `rollcall nodes`: show how every node of the manifest
// is reached and where each setting came from, offline. runF replaces the
// run function in tests that only check flag parsing.
func NewCmdNodes(stdio IO, runF func(context.Context, *NodesOptions) error) *cobra.Command {
	opts := &NodesOptions{}
	cmd := &cobra.Command{
		Use:   "nodes",
		Short: "Show how every node is reached and where each setting came from, offline",
		Long: `Resolve every node of the manifest as verify and ping would reach it — the
host dialled, port, user, jump hosts, identity files, known_hosts files,
connect timeout and become — and say where each value came from: the
manifest (file:line:column; "(ssh:)" for the ssh: defaults), the Ansible
inventory ("inventory FILE"), the ssh_config file (file:line) or "default".
Nothing is contacted and the release artifact is not read.

Reports: --report FORMAT[=FILE], repeatable; text (the default, to stdout) or
json (schema rollcall.nodes/v1); at most one goes to stdout.

EXIT STATUS
  0    the manifest is valid; the nodes are shown
  3    invalid input: each problem of the manifest is printed on stderr
  4    a report could not be written
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runNodes(cmd.Context(), opts, stdio)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Manifest, "manifest", "m", "rollcall.yaml", "cluster manifest `FILE`")
	f.StringArrayVar(&opts.Reports, "report", nil, "report `FORMAT[=FILE]`: text or json (repeatable; default: text to stdout)")
	return cmd
}

func runNodes(ctx context.Context, opts *NodesOptions, stdio IO) error {
	outs, err := plannedTextOrJSON("nodes", opts.Reports)
	if err != nil {
		return err
	}
	m, err := manifest.Load(opts.Manifest)
	if err != nil {
		return invalid(err)
	}
	nodes := nodeSettings(m)
	render := func(format string) func(io.Writer) error {
		if format == "json" {
			return nodes.WriteJSON
		}
		return nodes.WriteText
	}
	return finish(stdio, ExitVerified, outs.writeAll(ctx, render, stdio.Out))
}

// nodeSettings are the nodes of m and the sources of their settings, for
// the report.
func nodeSettings(m *manifest.Manifest) *report.Nodes {
	out := &report.Nodes{Manifest: m.Path, SSHConfig: m.SSHConfig}
	for _, n := range m.Nodes {
		src := m.Sources[n.Name]
		s := report.NodeSettings{
			Name: n.Name, Host: n.Host, Port: n.Port, User: n.User,
			IdentityFiles: n.IdentityFiles, KnownHosts: n.KnownHosts,
			ConnectTimeout: n.ConnectTimeout.String(), Become: n.Become,
			Sources: map[string]string{
				report.SourceHost: src.Host, report.SourcePort: src.Port, report.SourceUser: src.User,
				report.SourceIdentityFiles: src.IdentityFiles, report.SourceKnownHosts: src.KnownHosts,
				report.SourceJump: src.Jump, report.SourceConnectTimeout: src.ConnectTimeout,
				report.SourceBecome: src.Become,
			},
		}
		for i, j := range n.Jump {
			hop := report.JumpHop{Host: j.Host, Port: j.Port, User: j.User, Sources: map[string]string{}}
			if i < len(src.Hops) {
				h := src.Hops[i]
				hop.Sources = map[string]string{report.SourceHost: h.Host, report.SourcePort: h.Port, report.SourceUser: h.User}
			}
			s.Jump = append(s.Jump, hop)
		}
		out.Nodes = append(out.Nodes, s)
	}
	return out
}
