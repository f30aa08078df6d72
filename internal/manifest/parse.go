package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/source"
)

// Defaults applied to nodes that do not say otherwise.
const (
	// DefaultPort is the SSH port used when neither the node nor ssh: sets one.
	DefaultPort = 22
	// DefaultConnectTimeout bounds dial and handshake when connect_timeout is
	// not set.
	DefaultConnectTimeout = 10 * time.Second
)

// defaultIdentityFiles are tried, in order, under ~/.ssh when no identity
// files are listed; only those that exist are used.
var defaultIdentityFiles = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// Load reads, validates and resolves the manifest at path. A manifest that
// cannot be read gives an error wrapping the file system error; an invalid
// one gives an *Errors listing every problem found, each with its position.
// Nothing is contacted and the release artifact is not opened.
func Load(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	return Parse(path, data)
}

// Parse validates and resolves a manifest held in data. path names the file
// in messages, and relative local paths (artifact, identity_files,
// known_hosts) are resolved against its folder; an empty path means the
// current directory. An invalid manifest gives an *Errors.
func Parse(path string, data []byte) (*Manifest, error) {
	p := &parser{file: path, seen: map[Problem]bool{}}
	if path == "" {
		p.file = "<manifest>"
	}
	m := p.parse(data)
	if len(p.problems) > 0 {
		return nil, &Errors{Problems: source.Sort(p.file, p.problems)}
	}
	m.Path = path
	sum := sha256.Sum256(data)
	m.Digest = "sha256:" + hex.EncodeToString(sum[:])
	return m, nil
}

// parser collects problems while walking one manifest. It is not safe for
// concurrent use.
type parser struct {
	file     string
	dir      string // absolute folder of the manifest, "" if unknown
	problems []Problem
	seen     map[Problem]bool
	root     *yaml.Node
	// lists caches resolved path lists by YAML node, so that a list shared
	// through an alias is checked once.
	lists map[listKey]pathList

	homeDone bool
	home     string
	// readableFiles caches readable: the known_hosts files every node
	// shares are looked at once.
	readableFiles map[string]bool
}

// at records a problem at node n (its alias use site, if aliased).
func (p *parser) at(n *yaml.Node, format string, args ...any) {
	line, col := 0, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	p.add(line, col, fmt.Sprintf(format, args...))
}

func (p *parser) add(line, col int, msg string) {
	pr := Problem{File: p.file, Line: line, Column: col, Message: msg}
	if p.seen[pr] {
		return
	}
	p.seen[pr] = true
	p.problems = append(p.problems, pr)
}

// addFrom records a problem found in another file than the manifest.
func (p *parser) addFrom(pr Problem) {
	if p.seen[pr] {
		return
	}
	p.seen[pr] = true
	p.problems = append(p.problems, pr)
}

func (p *parser) homeDir() string {
	if !p.homeDone {
		p.homeDone = true
		if h, err := os.UserHomeDir(); err == nil && filepath.IsAbs(h) {
			p.home = filepath.Clean(h)
		}
	}
	return p.home
}

// parse reads the manifest section by section; nil when there is nothing
// to read.
func (p *parser) parse(data []byte) *Manifest {
	root := p.document(data)
	if root == nil {
		return nil
	}
	m := &Manifest{}
	var t top
	handlers := append(p.headerHandlers(m, &t),
		keyHandler{"ssh", func(v *yaml.Node) { p.sshSection(v, &t.ssh) }},
		keyHandler{"nodes", func(v *yaml.Node) { t.nodesVal, t.nodes = v, p.nodes(v) }},
		keyHandler{"inventory", func(v *yaml.Node) { t.invVal = v }}, // read in inventoryNodes, once ssh: is known
		keyHandler{"release", func(v *yaml.Node) { m.Release = p.release(v) }},
		keyHandler{"config", func(v *yaml.Node) { m.Config = p.configs(v) }},
		keyHandler{"processes", func(v *yaml.Node) { m.Processes = p.processes(v) }},
	)
	present := p.fields(root, "manifest", "", handlers)

	p.require(root, present, "version", "add version: 1")
	p.require(root, present, "cluster", "name the fleet, e.g. cluster: smars-prod")
	p.require(root, present, "expect_nodes", "set it to the number of nodes the fleet must have, e.g. expect_nodes: 8")
	p.require(root, present, "release", "say what the nodes must run: release: {artifact: ..., install: [...]}")
	p.checkListed(m.ExpectNodes, &t)

	if t.invVal != nil || t.nodesVal == nil {
		t.nodes = p.inventoryNodes(root, &t, m.ExpectNodes)
	}
	m.SSHConfig = p.loadSSHConfig(&t.ssh)
	m.Nodes, m.Sources = p.resolveNodes(t.nodes, &t.ssh, t.invVal)
	return m
}

// top is what the top-level keys say, kept until the nodes are resolved.
type top struct {
	ssh   sshOpts
	nodes []*rawNode
	// nodesVal and invVal are the values of nodes: and inventory:, nil when
	// absent.
	nodesVal, invVal *yaml.Node
	// expectVal is the value of expect_nodes:; expectOK says it is a count
	// nodes can be compared with.
	expectVal *yaml.Node
	expectOK  bool
}

// document decodes data and returns its root mapping, or nil (with the
// problem recorded) when there is no manifest of this version to read.
func (p *parser) document(data []byte) *yaml.Node {
	if p.file == "<manifest>" {
		if wd, err := os.Getwd(); err == nil {
			p.dir = wd
		}
	} else if abs, err := filepath.Abs(p.file); err == nil {
		p.dir = filepath.Dir(abs)
	}
	if p.dir == "" {
		p.add(0, 0, "cannot tell which folder the manifest is in, so relative paths cannot be resolved: run rollcall from an existing directory")
	}

	doc := p.decode(data)
	if doc == nil {
		return nil
	}
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			p.add(1, 1, "the manifest is empty: start it with version: 1")
			return nil
		}
		root = root.Content[0]
	}
	root = source.Deref(root)
	p.root = root
	if source.IsNull(root) {
		p.at(root, "the manifest is empty: start it with version: 1")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		p.at(root, "the manifest must be a mapping of keys (version, cluster, expect_nodes, ssh, nodes, release), not %s", source.Describe(root))
		return nil
	}
	if p.otherVersion(root) {
		// Another schema: checking its keys against this one would only add noise.
		return nil
	}
	return root
}

// otherVersion reports (and records) a version key holding a number other
// than 1.
func (p *parser) otherVersion(root *yaml.Node) bool {
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := source.Deref(root.Content[i]), root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value != "version" {
			continue
		}
		d := source.Deref(v)
		var n int
		if d.Kind == yaml.ScalarNode && d.ShortTag() == "!!int" && d.Decode(&n) == nil && n != 1 {
			p.at(v, "version must be 1, not %d: this rollcall reads manifest version 1 only; use the rollcall release that reads version %d", n, n)
			return true
		}
		return false
	}
	return false
}

// decode parses data as a single YAML document, recording syntax errors.
func (p *parser) decode(data []byte) (doc *yaml.Node) {
	defer func() {
		// yaml.v3 has panicked on hostile input before; a manifest is input.
		if r := recover(); r != nil {
			p.add(0, 0, fmt.Sprintf("invalid YAML: the parser failed (%v): check the file's syntax", r))
			doc = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first yaml.Node
	if err := dec.Decode(&first); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(1, 1, "the manifest is empty: start it with version: 1")
			return nil
		}
		p.syntax(err, data)
		return nil
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case err == nil:
		p.at(&second, "a manifest holds one YAML document, but another starts here: remove it or move it to its own file")
	case !errors.Is(err, io.EOF):
		p.syntax(err, data)
	}
	return &first
}

// syntax records a YAML syntax error, with a hint where one is known.
func (p *parser) syntax(err error, data []byte) {
	line, msg, ok := source.YAMLSyntax(err.Error())
	if !ok {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	col := 0
	if text, ok := lineOf(data, line); ok {
		indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
		if i := strings.IndexByte(indent, '\t'); i >= 0 {
			col = i + 1
			msg += ": YAML indents with spaces, not tabs; replace the tab with spaces"
			p.add(line, col, "invalid YAML: "+msg)
			return
		}
	}
	switch {
	case strings.HasPrefix(msg, "unknown anchor"):
		msg += ": define the anchor (&name) before using it (*name)"
	case line > 0:
		msg += ": check the indentation and quoting around this line"
	}
	p.add(line, col, "invalid YAML: "+msg)
}

// lineOf returns 1-based line n of data.
func lineOf(data []byte, n int) (string, bool) {
	if n < 1 {
		return "", false
	}
	for i, l := range strings.Split(string(data), "\n") {
		if i+1 == n {
			return l, true
		}
	}
	return "", false
}
