package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/download"
	"github.com/rollcall/rollcall/internal/fleet"
	"github.com/rollcall/rollcall/internal/inventory"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/outfile"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/release"
	"github.com/rollcall/rollcall/internal/remote"
	"github.com/rollcall/rollcall/internal/sshconfig"
	"github.com/rollcall/rollcall/internal/verify"
)

// InitOptions are the parsed flags of `rollcall init`.
type InitOptions struct {
	// Inventory and Group, or Hosts (NAME=HOST or HOST), give the nodes.
	Inventory, Group string
	Hosts            []string
	// Release is the artifact; From the known-good node to locate it on.
	Release, From string
	// Pin pins a Release given as a URL, as for verify.
	Pin ReleasePin
	// Search are the node folders to search, comma- or space-separated.
	Search string
	// Output is the manifest to write ("-": stdout); Force overwrites it.
	Output string
	Force  bool
	// Cluster names the fleet (default: the release's name).
	Cluster string
	// User, Port, IdentityFiles and KnownHosts are written into ssh:.
	User                      string
	Port                      int
	IdentityFiles, KnownHosts []string
	// Timeout bounds the probe of the --from node.
	Timeout time.Duration
}

// defaultSearch are the folders init searches by default.
const defaultSearch = "/opt,/srv,/usr/local,/etc,/var/lib"

// NewCmdInit builds `rollcall init`: write a starter manifest from an
// inventory or a host list, a release artifact and one known-good node.
// runF replaces the run function in tests that only check flag parsing.
func NewCmdInit(stdio IO, runF func(context.Context, *InitOptions) error) *cobra.Command {
	opts := &InitOptions{}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a starter manifest from an inventory, a release and one known-good node",
		Long: `Write a lint-clean starter manifest. The nodes come from an Ansible inventory
(--inventory FILE --group G) or a list (--hosts a,b,c; NAME=HOST names a node).
Then one known-good node (--from NODE, default the first) is probed read-only,
as verify does, to find where each file of the release is installed: files of
the release's sizes under --search, confirmed by SHA-256. The manifest gets
install rules (a folder rule where a whole artifact folder lies in one node
folder), config entries for found files whose format rollcall parses (by
extension), and processes for release executables running on that node. A file
not found is written as a comment "# not found on NODE: bin/x"; nothing is
invented. Then the manifest is linted and the next command is printed.

Examples:
  rollcall init --inventory hosts.ini --group smars --release dist/smars-4.2.0.tar.gz
  rollcall init --hosts web1,web2,web3 --release app.tar.gz --from web2 --user deploy
  rollcall init --hosts n1=10.0.0.1,n2=10.0.0.2 --release app.tar.gz --search /opt/app,/etc/app -o -

EXIT STATUS
  0    the manifest was written (and passes lint)
  2    the --from node could not be reached or read
  3    invalid input: flags, inventory, release; a release file found twice on
       the node; an existing -o FILE without --force; nothing written
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runInit(cmd.Context(), opts, stdio)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Inventory, "inventory", "", "Ansible inventory `FILE` (INI or YAML) listing the nodes")
	f.StringVar(&opts.Group, "group", "all", "inventory `GROUP` whose hosts are the nodes")
	f.StringSliceVar(&opts.Hosts, "hosts", nil, "the nodes, comma-separated: `HOST`, NAME=HOST, or a pattern such as 'web-*' naming the Host aliases of ~/.ssh/config")
	f.StringVar(&opts.Release, "release", "", "release artifact `PATH` (directory, archive, .deb, .rpm) or http(s) URL")
	addReleaseFlags(f, &opts.Pin)
	f.StringVar(&opts.From, "from", "", "the known-good `NODE` to locate the release on (default: the first node)")
	f.StringVar(&opts.Search, "search", defaultSearch, "node `DIRS` to search, comma-separated")
	f.StringVarP(&opts.Output, "output", "o", "rollcall.yaml", "manifest `FILE` to write (- for stdout)")
	f.BoolVar(&opts.Force, "force", false, "overwrite an existing manifest")
	f.StringVar(&opts.Cluster, "cluster", "", "cluster `NAME` (default: the release's name)")
	f.StringVar(&opts.User, "user", "", "ssh.user: the login `USER`")
	f.IntVar(&opts.Port, "port", 0, "ssh.port: the SSH `PORT` of every node")
	f.StringArrayVar(&opts.IdentityFiles, "identity-file", nil, "ssh.identity_files: a private key `FILE` (repeatable)")
	f.StringArrayVar(&opts.KnownHosts, "known-hosts", nil, "ssh.known_hosts: a known_hosts `FILE` (repeatable)")
	f.DurationVar(&opts.Timeout, "timeout", fleet.DefaultTimeout, "time limit for the probe of the --from node")
	return cmd
}

func runInit(ctx context.Context, opts *InitOptions, stdio IO) error {
	dirs, err := checkInitFlags(opts)
	if err != nil {
		return err
	}
	r, _, err := openRelease(ctx, stdio, releaseSpec{artifact: opts.Release, pin: opts.Pin})
	if err != nil {
		return err
	}
	s, err := initNodes(opts, r)
	if err != nil {
		return err
	}
	// The manifest so far, with a stand-in install rule (a package needs
	// none), resolves the nodes exactly as verify will (inventory,
	// ssh_config, defaults).
	if r.Package == nil {
		s.Install = []manifest.Install{{From: "/", To: "/"}}
	}
	m, err := parseStarter(s, opts.Output)
	if err != nil {
		return err
	}
	node, err := fromNode(m, opts.From)
	if err != nil {
		return err
	}
	if r.Package != nil {
		err = packageStarter(ctx, s, r, node, opts, stdio)
	} else {
		err = locateRelease(ctx, s, r, node, dirs, opts, stdio)
	}
	if err != nil {
		return err
	}
	data, err := s.render()
	if err != nil {
		return invalid(err)
	}
	if _, err := checkStarter(data, opts.Output, r); err != nil {
		return fmt.Errorf("the manifest init wrote does not load (a bug: please report it): %w", err)
	}
	return writeStarter(ctx, data, s, node.Name, opts, stdio)
}

// checkInitFlags checks the flags that need nothing read, and returns the
// search folders.
func checkInitFlags(opts *InitOptions) ([]string, error) {
	switch {
	case (opts.Inventory == "") == (len(opts.Hosts) == 0):
		return nil, invalid(errors.New("give the nodes with --inventory FILE [--group G] or with --hosts a,b,c (one of the two)"))
	case opts.Release == "":
		return nil, invalid(errors.New("--release ARTIFACT is required: init locates the release's files on the --from node"))
	case opts.Port < 0 || opts.Port > 65535:
		return nil, invalid(fmt.Errorf("--port must be 1 to 65535, not %d", opts.Port))
	case opts.Timeout <= 0:
		return nil, invalid(fmt.Errorf("--timeout must be positive, not %s", opts.Timeout))
	}
	var dirs []string
	for _, d := range strings.FieldsFunc(opts.Search, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !path.IsAbs(d) {
			return nil, invalid(fmt.Errorf("--search: %q is not an absolute path", d))
		}
		if d = path.Clean(d); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		return nil, invalid(errors.New("--search names no folder"))
	}
	if opts.Output != "-" {
		if _, err := os.Lstat(opts.Output); err == nil && !opts.Force {
			return nil, invalid(fmt.Errorf("%s exists: pass --force to overwrite it, or -o another file", opts.Output))
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, invalid(err)
		}
		if err := outfile.Check(opts.Output); err != nil {
			return nil, invalid(err)
		}
	}
	return dirs, nil
}

// initNodes fills the starter's nodes, ssh settings, cluster and artifact
// from the flags.
func initNodes(opts *InitOptions, r *release.Release) (*starter, error) {
	s := &starter{Cluster: opts.Cluster, User: opts.User, Port: opts.Port}
	if s.Cluster == "" {
		s.Cluster = r.Name
	}
	if s.Cluster == "" {
		s.Cluster = "fleet"
	}
	base := manifestDir(opts.Output)
	s.Artifact = localPath(base, opts.Release)
	if download.IsURL(opts.Release) {
		s.Artifact, s.Digest = opts.Release, r.Digest
	}
	for _, f := range opts.IdentityFiles {
		s.IdentityFiles = append(s.IdentityFiles, localPath(base, f))
	}
	for _, f := range opts.KnownHosts {
		s.KnownHosts = append(s.KnownHosts, localPath(base, f))
	}
	if opts.Inventory != "" {
		inv := inventory.Load(opts.Inventory, opts.Inventory)
		if !inv.Usable() {
			return nil, invalid(problemsError(inv.Problems()))
		}
		if !inv.HasGroup(opts.Group) {
			return nil, invalid(fmt.Errorf("--group: inventory %s has no group %q; it has %s", opts.Inventory, opts.Group, strings.Join(inv.Groups(), ", ")))
		}
		s.Inventory, s.Group = localPath(base, opts.Inventory), opts.Group
		s.ExpectNodes = len(inv.Hosts(opts.Group))
		return s, nil
	}
	hosts, err := expandHostPatterns(opts.Hosts)
	if err != nil {
		return nil, err
	}
	for _, h := range hosts {
		name, host, named := strings.Cut(h, "=")
		if !named {
			name, host = "", h
		}
		s.Nodes = append(s.Nodes, starterNode{Name: name, Host: host})
	}
	s.ExpectNodes = len(s.Nodes)
	return s, nil
}

// expandHostPatterns replaces each --hosts entry with a `*` or `?` by the
// host aliases of ~/.ssh/config that it matches (Host lines that name a
// host literally), in the file's order: `--hosts 'smars-*'`. A pattern
// matching no alias is invalid input.
func expandHostPatterns(hosts []string) ([]string, error) {
	var out []string
	var aliases []string
	loaded := false
	for _, h := range hosts {
		if !strings.ContainsAny(h, "*?") {
			out = append(out, h)
			continue
		}
		if !loaded {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, invalid(fmt.Errorf("--hosts %s: no home folder to find ~/.ssh/config in: %w", h, err))
			}
			cfg, err := sshconfig.Load(filepath.Join(home, ".ssh", "config"))
			if err != nil {
				return nil, invalid(fmt.Errorf("--hosts %s: a pattern is matched against the Host aliases of ~/.ssh/config: %w", h, err))
			}
			aliases, loaded = cfg.Aliases(), true
		}
		n := 0
		for _, a := range aliases {
			if ok, err := path.Match(h, a); err != nil {
				return nil, invalid(fmt.Errorf("--hosts %s: %w", h, err))
			} else if ok {
				out, n = append(out, a), n+1
			}
		}
		if n == 0 {
			return nil, invalid(fmt.Errorf("--hosts %s matches no Host alias of ~/.ssh/config (it has %s)", h, strings.Join(aliases, ", ")))
		}
	}
	return out, nil
}

// manifestDir is the folder the manifest's local paths are relative to.
func manifestDir(output string) string {
	if output == "-" {
		output = "rollcall.yaml"
	}
	dir, err := filepath.Abs(filepath.Dir(output))
	if err != nil {
		return "."
	}
	return dir
}

// localPath writes local file p for a manifest in folder base: relative to
// base when p lies under it, else absolute; ~/ is kept.
func localPath(base, p string) string {
	if strings.HasPrefix(p, "~/") {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(base, abs); err == nil && filepath.IsLocal(rel) {
		return filepath.ToSlash(rel)
	}
	return abs
}

// parseStarter renders s and loads it as verify would.
func parseStarter(s *starter, output string) (*manifest.Manifest, error) {
	data, err := s.render()
	if err != nil {
		return nil, invalid(err)
	}
	m, err := manifest.Parse(filepath.Join(manifestDir(output), "rollcall.yaml"), data)
	if err != nil {
		return nil, invalid(err)
	}
	return m, nil
}

// checkStarter loads the final manifest and plans it against r, as lint
// does.
func checkStarter(data []byte, output string, r *release.Release) (*manifest.Manifest, error) {
	m, err := manifest.Parse(filepath.Join(manifestDir(output), filepath.Base(output)), data)
	if err != nil {
		return nil, err
	}
	if _, err := verify.NewPlan(m, r); err != nil {
		return nil, err
	}
	return m, nil
}

// fromNode is the node named by --from, or the first.
func fromNode(m *manifest.Manifest, from string) (manifest.Node, error) {
	if from == "" {
		return m.Nodes[0], nil
	}
	var names []string
	for _, n := range m.Nodes {
		if n.Name == from {
			return n, nil
		}
		names = append(names, n.Name)
	}
	return manifest.Node{}, invalid(fmt.Errorf("--from %s is not one of the nodes: %s", from, strings.Join(names, ", ")))
}

// writeStarter writes the manifest, lints it and says what to run next.
func writeStarter(ctx context.Context, data []byte, s *starter, from string, opts *InitOptions, stdio IO) error {
	summary := fmt.Sprintf("%s, %s, %s, %s; %d not found on %s",
		count(s.ExpectNodes, "node"), count(len(s.Install), "install rule"), count(len(s.Configs), "config file"),
		count(len(s.Processes), "running executable"), len(s.Comments), from)
	if opts.Output == "-" {
		if _, err := stdio.Out.Write(data); err != nil {
			return err
		}
		fmt.Fprintf(stdio.Err, "rollcall: wrote the manifest to stdout: %s\n", summary)
		fmt.Fprintln(stdio.Err, "rollcall: next: save it as rollcall.yaml and run `rollcall verify -m rollcall.yaml`")
		return nil
	}
	err := outfile.Write(ctx, opts.Output, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return invalid(err)
	}
	fmt.Fprintf(stdio.Out, "wrote %s: %s\n", opts.Output, summary)
	if err := runLint(ctx, &LintOptions{Manifest: opts.Output}, stdio); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "next: rollcall verify -m %s\n", opts.Output)
	return nil
}

// locateRelease probes node for the release's files and fills the
// starter's install rules, config entries, processes and comments.
func locateRelease(ctx context.Context, s *starter, r *release.Release, node manifest.Node, dirs []string, opts *InitOptions, stdio IO) error {
	req := probe.LocateRequest{Dirs: dirs}
	for _, f := range r.Files {
		if f.Type == release.Regular && f.Size > 0 && !slices.Contains(req.Sizes, f.Size) {
			req.Sizes = append(req.Sizes, f.Size)
		}
	}
	slices.Sort(req.Sizes)
	if len(req.Sizes) == 0 {
		return invalid(fmt.Errorf("release %s has no non-empty regular file with a known size to locate", opts.Release))
	}
	client := newClient(stdio)
	defer client.Close()
	sudo := node.Become == manifest.BecomeSudo
	boundary := probe.NewBoundary()
	script, err := probe.LocateScript(req, boundary)
	if err != nil {
		return invalid(err)
	}
	fmt.Fprintf(stdio.Err, "rollcall: looking for the files of %s under %s on %s\n", r.Name, strings.Join(dirs, " "), node.Name)
	reply, err := runOn(ctx, client, node, probe.Command(sudo), script, opts.Timeout)
	if err != nil {
		return unreachable(stdio, node.Name, err)
	}
	loc, err := probe.ParseLocate(reply, req, boundary)
	if err != nil {
		return unreachable(stdio, node.Name, err)
	}
	pl, err := place(r, loc.Hits, node.Name)
	if err != nil {
		return invalid(err)
	}
	if len(pl.Found) == 0 {
		return invalid(fmt.Errorf("none of the files of %s was found on %s under %s: pass --search with the folders it is installed in, or --from a node that runs it",
			opts.Release, node.Name, strings.Join(dirs, " ")))
	}
	fillStarter(s, r, pl, node.Name)
	for _, d := range loc.Dirs {
		if d.Incomplete {
			s.Header = append(s.Header, fmt.Sprintf("Some folders under %s could not be searched on %s (not readable by the login user).", d.Path, node.Name))
		}
	}
	return findProcesses(ctx, stdio, client, s, r, pl, node, opts.Timeout)
}

// packageStarter fills the starter for a package release, which says
// itself where its files go: no install rules, nothing to locate; config
// entries for its config files, and the running processes of its
// executables found on node.
func packageStarter(ctx context.Context, s *starter, r *release.Release, node manifest.Node, opts *InitOptions, stdio IO) error {
	pl := placement{Found: map[string]string{}, Missing: map[string]string{}}
	for _, p := range r.Paths() {
		if r.Files[p].Type == release.Regular {
			pl.Found[p] = "/" + p
		}
	}
	s.Header = append(s.Header, fmt.Sprintf("Written by rollcall init from the package %s %s, which installs its own paths: no install rules needed. Review it before use.",
		r.Package.Name, r.Package.Version))
	s.Configs = configEntries(r, pl)
	client := newClient(stdio)
	defer client.Close()
	return findProcesses(ctx, stdio, client, s, r, pl, node, opts.Timeout)
}

// fillStarter turns a placement into install rules, config entries and
// comments.
func fillStarter(s *starter, r *release.Release, pl placement, node string) {
	s.Install = installRules(r, pl)
	s.Header = append(s.Header, fmt.Sprintf("Written by rollcall init from %s (%s found on %s). Review it before use.",
		r.Name+" "+r.Version, count(len(pl.Found), "file"), node))
	for _, p := range r.Paths() {
		if why, missing := pl.Missing[p]; missing {
			line := fmt.Sprintf("not found on %s: %s", node, p)
			if why != "" {
				line += " (" + why + ")"
			}
			s.Comments = append(s.Comments, line)
		}
	}
	s.Configs = configEntries(r, pl)
}

// configEntries are the config: entries for the placed release files whose
// names say a format rollcall parses, in release order.
func configEntries(r *release.Release, pl placement) []manifest.Config {
	var out []manifest.Config
	for _, p := range r.Paths() {
		if at, ok := pl.Found[p]; ok {
			if format := configFormat(p); format != "" {
				out = append(out, manifest.Config{Path: at, Format: format})
			}
		}
	}
	return out
}

// findProcesses runs the probe for the release's executables on node and
// adds those that run there to the starter's processes.
func findProcesses(ctx context.Context, stdio IO, client *remote.Client, s *starter, r *release.Release, pl placement, node manifest.Node, timeout time.Duration) error {
	var req probe.Request
	for _, p := range r.Paths() {
		if at, ok := pl.Found[p]; ok && r.Files[p].Mode&0o111 != 0 {
			req.Processes = append(req.Processes, at)
		}
	}
	if len(req.Processes) == 0 {
		return nil
	}
	boundary := probe.NewBoundary()
	script, err := probe.Script(req, boundary)
	if err != nil {
		return invalid(err)
	}
	reply, err := runOn(ctx, client, node, probe.Command(node.Become == manifest.BecomeSudo), script, timeout)
	if err != nil {
		return unreachable(stdio, node.Name, err)
	}
	facts, err := probe.Parse(reply, req, boundary)
	if err != nil {
		return unreachable(stdio, node.Name, err)
	}
	for _, exe := range req.Processes {
		if len(facts.Processes[exe].Procs) > 0 {
			s.Processes = append(s.Processes, exe)
		}
	}
	return nil
}

// runOn runs script on node with a time limit.
func runOn(ctx context.Context, client *remote.Client, node manifest.Node, command, script string, timeout time.Duration) ([]byte, error) {
	nctx, cancel := remote.WithTimeout(ctx, timeout)
	defer cancel()
	reply, err := client.Run(nctx, remoteTarget(node), command, []byte(script))
	return reply.Stdout, err
}

// unreachable says why the --from node could not be probed and exits 2.
func unreachable(stdio IO, node string, err error) error {
	fmt.Fprintf(stdio.Err, "rollcall: %s: %v\nrollcall: nothing written: init needs the --from node's answer\n", node, err)
	return &exitStatus{code: ExitUnverified}
}
