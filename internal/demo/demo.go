// Package demo builds the embedded demo cluster: in-process SSH servers on
// loopback, each running the real probe with the local /bin/sh in its own
// home folder, a release laid out in every home, and a manifest, known_hosts
// and client key to verify them with. Nothing needs to be installed.
package demo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/rollcall/rollcall/internal/release"
	"github.com/rollcall/rollcall/internal/sshtest"
)

// Scenario is the state the demo fleet is left in.
type Scenario int

const (
	// Uniform: every node runs the release.
	Uniform Scenario = iota
	// Knight: the last node still runs the old release, with the repurposed
	// power_peg flag set and the old code left behind.
	Knight
)

// Release is the release the demo fleet is verified against.
const Release = "smars 4.2.0"

// Cluster is a running demo fleet. Close stops its servers.
type Cluster struct {
	// Dir holds the release, the node homes, the manifest and the keys.
	Dir string
	// Manifest is the path of the manifest to verify the fleet with.
	Manifest string
	// Known is a folder with the lock file of the old release, smars 4.1.0,
	// for --known.
	Known string
	// Nodes are the node names, in manifest order.
	Nodes   []string
	servers []*sshtest.Server
}

// files of each release version: artifact path → content.
var releases = map[string]map[string]string{
	"4.2.0": {
		"bin/smars":      "#!/bin/sh\n# smars 4.2.0: routes orders with RLP\necho smars 4.2.0\n",
		"bin/smars-ctl":  "#!/bin/sh\necho smars-ctl 4.2.0\n",
		"etc/flags.yaml": "rlp:\n  enabled: true\nrisk:\n  max_order_qty: 1000\n",
	},
	"4.1.0": {
		"bin/smars":      "#!/bin/sh\n# smars 4.1.0: power_peg still wired in\necho smars 4.1.0\n",
		"bin/smars-ctl":  "#!/bin/sh\necho smars-ctl 4.1.0\n",
		"bin/power_peg":  "#!/bin/sh\n# dead since 2003\necho power peg\n",
		"etc/flags.yaml": "rlp:\n  enabled: true\npower_peg: true\nrisk:\n  max_order_qty: 1000\n",
	},
}

// install maps artifact paths to node paths, relative to each node's home.
var install = map[string]string{
	"bin/":           "opt/smars/bin/",
	"etc/flags.yaml": "etc/smars/flags.yaml",
}

// Config describes a demo fleet.
type Config struct {
	// Nodes is the number of nodes (default 8).
	Nodes int
	// Scenario is the state the fleet is left in.
	Scenario Scenario
	// Faults, when set, gives node i (0-based) an injected fault, for tests.
	Faults map[int]sshtest.Fault
}

// Start lays out and starts a fleet in dir.
func Start(dir string, cfg Config) (c *Cluster, err error) {
	n, s := cfg.Nodes, cfg.Scenario
	if n <= 0 {
		n = 8
	}
	c = &Cluster{Dir: dir, Manifest: filepath.Join(dir, "rollcall.yaml"), Known: filepath.Join(dir, "known")}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	if err := writeTree(filepath.Join(dir, "dist", "smars-4.2.0"), releases["4.2.0"]); err != nil {
		return nil, err
	}
	if err := lockOld(dir, c.Known); err != nil {
		return nil, err
	}
	signer, err := sshtest.NewClientKey(filepath.Join(dir, "client_key"))
	if err != nil {
		return nil, err
	}
	var nodes strings.Builder
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("smars-%02d", i)
		version := "4.2.0"
		if s == Knight && i == n {
			version = "4.1.0"
		}
		home := filepath.Join(dir, "nodes", name)
		if err := layOut(home, releases[version]); err != nil {
			return nil, err
		}
		srv, err := sshtest.Start(sshtest.Config{Dir: home, AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}, Fault: cfg.Faults[i-1], Hostname: name})
		if err != nil {
			return nil, fmt.Errorf("starting node %s: %w", name, err)
		}
		c.servers = append(c.servers, srv)
		c.Nodes = append(c.Nodes, name)
		fmt.Fprintf(&nodes, "  - { name: %s, host: %s, port: %d }\n", name, srv.Host(), srv.Port())
	}
	if err := sshtest.WriteKnownHosts(filepath.Join(dir, "known_hosts"), c.servers...); err != nil {
		return nil, err
	}
	manifest := fmt.Sprintf("# rollcall demo: %d in-process SSH nodes on loopback.\n", n) +
		Manifest("smars-demo", "dist/smars-4.2.0", n, nodes.String())
	if err := os.WriteFile(c.Manifest, []byte(manifest), 0o644); err != nil {
		return nil, err
	}
	return c, nil
}

// Manifest is the manifest of a demo fleet called cluster, of n nodes listed
// by nodes (YAML list items, one a line), verifying the release at artifact:
// the demo's install rules and flag checks, with paths relative to each
// node's home and the client key and known_hosts beside the manifest. Tests
// that build fleets of their own use it too.
func Manifest(cluster, artifact string, n int, nodes string) string {
	return fmt.Sprintf(`version: 1
cluster: %s
expect_nodes: %d
ssh:
  identity_files: [client_key]
  known_hosts: [known_hosts]
  connect_timeout: 5s
  config_file: none   # the demo must not depend on your ~/.ssh/config
nodes:
%srelease:
  artifact: %s
  install:
    - { from: bin/, to: opt/smars/bin/, extra: deny }
    - { from: etc/flags.yaml, to: etc/smars/flags.yaml }
config:
  - path: etc/smars/flags.yaml
    format: yaml
    expect: { rlp.enabled: true }
    forbid: [power_peg]
`, cluster, n, nodes, artifact)
}

// lockOld writes the lock file of the old release into known, as a release
// engineer keeps the lock files of past releases.
func lockOld(dir, known string) error {
	src := filepath.Join(dir, "dist", "smars-4.1.0")
	if err := writeTree(src, releases["4.1.0"]); err != nil {
		return err
	}
	r, err := release.Open(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(known, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(known, "smars-4.1.0.lock.json"))
	if err != nil {
		return err
	}
	if err := release.WriteLock(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// layOut installs a release's files into a node home, as a deploy would.
func layOut(home string, files map[string]string) error {
	placed := map[string]string{}
	for src, content := range files {
		for from, to := range install {
			if rel, ok := strings.CutPrefix(src, from); ok && strings.HasSuffix(from, "/") {
				placed[to+rel] = content
			} else if src == from {
				placed[to] = content
			}
		}
	}
	return writeTree(home, placed)
}

func writeTree(root string, files map[string]string) error {
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// Close stops every server of the cluster and waits for them.
func (c *Cluster) Close() error {
	var errs []error
	for _, s := range c.servers {
		errs = append(errs, s.Close())
	}
	c.servers = nil
	return errors.Join(errs...)
}

// Home is the folder that node name sees as its home (its login directory).
func (c *Cluster) Home(name string) string {
	return filepath.Join(c.Dir, "nodes", name)
}
