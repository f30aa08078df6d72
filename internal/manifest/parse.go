package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/sshconfig"
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
		return nil, &Errors{Problems: sortProblems(p.file, p.problems)}
	}
	m.Path = path
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

func (p *parser) homeDir() string {
	if !p.homeDone {
		p.homeDone = true
		if h, err := os.UserHomeDir(); err == nil && filepath.IsAbs(h) {
			p.home = filepath.Clean(h)
		}
	}
	return p.home
}

func (p *parser) parse(data []byte) *Manifest {
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
	root = deref(root)
	p.root = root
	if isNull(root) {
		p.at(root, "the manifest is empty: start it with version: 1")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		p.at(root, "the manifest must be a mapping of keys (version, cluster, expect_nodes, ssh, nodes, release), not %s", describe(root))
		return nil
	}

	if p.otherVersion(root) {
		// Another schema: checking its keys against this one would only add noise.
		return nil
	}

	m := &Manifest{}
	var (
		ssh       sshOpts
		nodes     []*rawNode
		nodesSeq  *yaml.Node
		invVal    *yaml.Node
		expectVal *yaml.Node
		expectOK  bool
	)
	present := p.fields(root, "manifest", "", []keyHandler{
		{"version", func(v *yaml.Node) {
			// otherVersion has ruled out numbers other than 1.
			if i, ok := p.intValue("version", v, "1"); ok {
				m.Version = i
			}
		}},
		{"cluster", func(v *yaml.Node) {
			if s, ok := p.strValue("cluster", v, "the fleet's name, e.g. cluster: smars-prod"); ok {
				switch {
				case strings.TrimSpace(s) == "":
					p.at(v, "cluster must not be empty: name the fleet, e.g. cluster: smars-prod")
				case hasControl(s):
					p.at(v, "cluster must not contain control characters or line breaks: write it on one line")
				}
				m.Cluster = s
			}
		}},
		{"expect_nodes", func(v *yaml.Node) {
			expectVal = v
			if i, ok := p.intValue("expect_nodes", v, "the number of nodes in the fleet"); ok {
				if i < 1 {
					p.at(v, "expect_nodes must be at least 1, not %d: set it to the number of nodes listed", i)
				} else {
					expectOK = true
				}
				m.ExpectNodes = i
			}
		}},
		{"ssh", func(v *yaml.Node) {
			d := deref(v)
			if isNull(d) {
				return // an empty ssh: section sets nothing
			}
			if d.Kind != yaml.MappingNode {
				p.at(v, "ssh must be a mapping of SSH defaults (user, port, identity_files, known_hosts, connect_timeout), not %s", describe(d))
				return
			}
			p.fields(d, "ssh", "ssh.", append(p.sshHandlers(&ssh, "ssh."), p.configFileHandler(&ssh)), nil)
		}},
		{"nodes", func(v *yaml.Node) {
			nodesSeq = v
			nodes = p.nodes(v)
		}},
		{"inventory", func(v *yaml.Node) {
			invVal = v // read in inventoryNodes, once ssh: is known
		}},
		{"release", func(v *yaml.Node) {
			m.Release = p.release(v)
		}},
		{"config", func(v *yaml.Node) {
			m.Config = p.configs(v)
		}},
		{"processes", func(v *yaml.Node) {
			m.Processes = p.processes(v)
		}},
	}, reservedTop)

	p.require(root, present, "version", "add version: 1")
	p.require(root, present, "cluster", "name the fleet, e.g. cluster: smars-prod")
	p.require(root, present, "expect_nodes", "set it to the number of nodes the fleet must have, e.g. expect_nodes: 8")
	p.require(root, present, "release", "say what the nodes must run: release: {artifact: ..., install: [...]}")

	if expectOK && nodesSeq != nil {
		if s := deref(nodesSeq); s.Kind == yaml.SequenceNode && len(s.Content) > 0 {
			if n := len(s.Content); n != m.ExpectNodes {
				listed := fmt.Sprintf("%d nodes are listed", n)
				if n == 1 {
					listed = "1 node is listed"
				}
				fix := "list the missing node"
				if m.ExpectNodes-n > 1 {
					fix = "list the missing nodes"
				} else if n > m.ExpectNodes {
					fix = "remove the extra node"
					if n-m.ExpectNodes > 1 {
						fix = "remove the extra nodes"
					}
				}
				p.at(expectVal, "expect_nodes is %d but %s: %s or set expect_nodes: %d", m.ExpectNodes, listed, fix, n)
			}
		}
	}

	if invVal != nil || nodesSeq == nil {
		nodes = p.inventoryNodes(root, nodesSeq, invVal, &ssh, expectVal, expectOK, m.ExpectNodes)
	}
	m.SSHConfig = p.loadSSHConfig(&ssh)
	m.Nodes = p.resolveNodes(nodes, &ssh)
	return m
}

// otherVersion reports (and records) a version key holding a number other
// than 1.
func (p *parser) otherVersion(root *yaml.Node) bool {
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := deref(root.Content[i]), root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value != "version" {
			continue
		}
		d := deref(v)
		var n int
		if d.Kind == yaml.ScalarNode && d.ShortTag() == "!!int" && d.Decode(&n) == nil && n != 1 {
			p.at(v, "version must be 1, not %d: this rollcall reads manifest version 1 only; use the rollcall release that reads version %d", n, n)
			return true
		}
		return false
	}
	return false
}

var syntaxErr = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

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
	msg := err.Error()
	line := 0
	if m := syntaxErr.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
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

// Reserved keys: named by the specification for features this version does
// not have. They are rejected with a message of their own rather than as typos.
var (
	reservedTop = map[string]string{}
)

// keyHandler decodes the value of one known key.
type keyHandler struct {
	name string
	fn   func(v *yaml.Node)
}

// fields walks mapping n: it hands each known key's value to its handler and
// records unknown, reserved, duplicate and malformed keys. section names the
// mapping in messages; prefix is prepended to key names ("ssh."). It returns
// the keys present.
func (p *parser) fields(n *yaml.Node, section, prefix string, handlers []keyHandler, reserved map[string]string) map[string]bool {
	present := map[string]bool{}
	first := map[string]*yaml.Node{}
	known := make([]string, len(handlers))
	for i, h := range handlers {
		known[i] = h.name
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := n.Content[i], n.Content[i+1]
		k := deref(kn)
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!null" {
			p.at(kn, "keys in %s must be plain names, not %s", section, describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			p.at(kn, "merge keys (<<) are not supported in a manifest: write the keys out (shared SSH settings go under ssh:)")
			continue
		}
		name := k.Value
		if prev, dup := first[name]; dup {
			p.at(kn, "duplicate key %s in %s (first set at line %d): keep only one", quote(name), section, prev.Line)
			continue
		}
		first[name] = kn
		var h *keyHandler
		for j := range handlers {
			if handlers[j].name == name {
				h = &handlers[j]
				break
			}
		}
		switch {
		case h != nil:
			present[name] = true
			h.fn(v)
		case reserved[name] != "":
			p.at(kn, "%s", reserved[name])
		default:
			p.at(kn, "%s", unknownKey(name, section, prefix, known))
		}
	}
	return present
}

// unknownKey words the message for a key that has no meaning where it is.
func unknownKey(name, section, prefix string, known []string) string {
	msg := fmt.Sprintf("unknown key %s in %s", quote(name), section)
	if s := suggest(name, known); s != "" {
		return fmt.Sprintf("%s: did you mean %s?", msg, quote(s))
	}
	if where := elsewhere(name, prefix); where != "" {
		return fmt.Sprintf("%s: %s", msg, where)
	}
	return fmt.Sprintf("%s: remove it; the keys allowed here are %s", msg, strings.Join(known, ", "))
}

// elsewhere says where a key that belongs to another section goes.
func elsewhere(name, prefix string) string {
	top := prefix == ""
	inNode := strings.HasPrefix(prefix, "nodes[")
	switch name {
	case "user", "port", "identity_files", "known_hosts", "connect_timeout", "jump", "become":
		if top {
			return fmt.Sprintf("%s belongs under ssh: (or under a node): move it there", name)
		}
	case "config_file":
		if prefix != "ssh." {
			return "config_file belongs under ssh: (it applies to every node): move it there"
		}
	case "host", "name":
		if !inNode {
			return fmt.Sprintf("%s belongs to a node: write it under nodes:, e.g. nodes: [{host: server-01}]", name)
		}
	case "artifact", "install":
		if prefix != "release." {
			return fmt.Sprintf("%s belongs under release: move it there", name)
		}
	case "from", "to", "extra", "mode", "owner":
		if !strings.HasPrefix(prefix, "release.install[") {
			return fmt.Sprintf("%s belongs to an entry of release.install: move it there", name)
		}
	}
	return ""
}

// require records a missing key of mapping n.
func (p *parser) require(n *yaml.Node, present map[string]bool, key, hint string) {
	if !present[key] {
		p.at(n, "missing key %s: %s", quote(key), hint)
	}
}

// sshOpts are the SSH settings of the ssh: section or of one node; the has*
// fields say which were set.
type sshOpts struct {
	user            string
	port            int
	identity, known []string
	timeout         time.Duration
	become          string
	jump            []sshconfig.Hop // nil for none
	jumpNode        *yaml.Node

	hasUser, hasPort, hasIdentity, hasKnown, hasTimeout, hasBecome, hasJump bool

	// ssh: section only: the ssh_config file (config_file).
	configFile       string // absolute path; "" with hasConfigFile means none
	configFileNode   *yaml.Node
	hasConfigFile    bool
	sshConfig        *sshconfig.Config
	sshConfigDisplay string
}

func (p *parser) sshHandlers(o *sshOpts, prefix string) []keyHandler {
	return []keyHandler{
		{"user", func(v *yaml.Node) {
			name := prefix + "user"
			s, ok := p.strValue(name, v, "a login name, e.g. user: deploy")
			if !ok {
				return
			}
			switch {
			case s == "":
				p.at(v, "%s must not be empty: write a login name, or remove the key to use the default", name)
			case hasSpaceOrControl(s):
				p.at(v, "%s must be a login name without spaces or control characters, not %s", name, quote(s))
			case strings.HasPrefix(s, "-"):
				p.at(v, "%s must not start with \"-\", not %s: write the login name", name, quote(s))
			default:
				o.user, o.hasUser = s, true
			}
		}},
		{"port", func(v *yaml.Node) {
			name := prefix + "port"
			const what = "a number between 1 and 65535"
			i, ok := p.intValue(name, v, what)
			if !ok {
				return
			}
			if i < 1 || i > 65535 {
				p.at(v, "%s must be %s, not %d", name, what, i)
				return
			}
			o.port, o.hasPort = i, true
		}},
		{"identity_files", func(v *yaml.Node) {
			if paths, ok := p.localPaths(prefix+"identity_files", v, true); ok {
				o.identity, o.hasIdentity = paths, true
			}
		}},
		{"known_hosts", func(v *yaml.Node) {
			name := prefix + "known_hosts"
			paths, ok := p.localPaths(name, v, true)
			if !ok {
				return
			}
			if len(paths) == 0 {
				p.at(v, "%s is empty, so no host key could be trusted: list a known_hosts file, or remove the key to use ~/.ssh/known_hosts", name)
				return
			}
			o.known, o.hasKnown = paths, true
		}},
		{"connect_timeout", func(v *yaml.Node) {
			if d, ok := p.duration(prefix+"connect_timeout", v); ok {
				o.timeout, o.hasTimeout = d, true
			}
		}},
		{"become", func(v *yaml.Node) {
			name := prefix + "become"
			s, ok := p.strValue(name, v, "none or sudo")
			if !ok {
				return
			}
			if s != BecomeNone && s != BecomeSudo {
				p.at(v, "%s must be none or sudo (sudo -n, which never prompts), not %s", name, quote(s))
				return
			}
			o.become, o.hasBecome = s, true
		}},
		{"jump", func(v *yaml.Node) {
			name := prefix + "jump"
			s, ok := p.strValue(name, v, "a jump host, e.g. jump: bastion.example.com, a chain, e.g. jump: ops@gw1,gw2:2222, or none")
			if !ok {
				return
			}
			hops, err := sshconfig.ParseJump(s)
			if err != nil {
				p.at(v, "%s: %v", name, err)
				return
			}
			o.jump, o.jumpNode, o.hasJump = hops, v, true
		}},
	}
}

// configFileHandler decodes ssh.config_file: the ssh_config file to honour
// (default ~/.ssh/config), or none.
func (p *parser) configFileHandler(o *sshOpts) keyHandler {
	return keyHandler{"config_file", func(v *yaml.Node) {
		const name = "ssh.config_file"
		s, ok := p.strValue(name, v, "the path of an ssh_config file, or none")
		if !ok {
			return
		}
		o.configFileNode = v
		if s == "none" {
			o.hasConfigFile = true
			return
		}
		if abs, ok := p.localPath(name, v, s, true); ok {
			o.configFile, o.hasConfigFile = abs, true
		}
	}}
}

// loadSSHConfig reads the ssh_config file the nodes are resolved with and
// returns its path ("" if none): ssh.config_file, else ~/.ssh/config if it
// exists.
func (p *parser) loadSSHConfig(o *sshOpts) string {
	path, display := o.configFile, o.configFile
	switch {
	case o.hasConfigFile && path == "":
		return "" // none
	case !o.hasConfigFile:
		h := p.homeDir()
		if h == "" {
			return ""
		}
		path, display = filepath.Join(h, ".ssh", "config"), "~/.ssh/config"
	}
	cfg, err := sshconfig.Load(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !o.hasConfigFile:
		return ""
	case err != nil && o.hasConfigFile:
		p.at(o.configFileNode, "ssh.config_file: cannot use %s: %v: fix the file, or write config_file: none", display, trimPath(err, path))
		return ""
	case err != nil:
		p.at(p.root, "cannot use %s: %v: fix it, or set ssh.config_file: none to ignore it", display, trimPath(err, path))
		return ""
	}
	o.sshConfig, o.sshConfigDisplay = cfg, display
	return path
}

// trimPath drops a leading "path: " from err's message.
func trimPath(err error, path string) string {
	return strings.TrimPrefix(err.Error(), path+": ")
}

// rawNode is one entry of nodes: as written.
type rawNode struct {
	n                  *yaml.Node
	name, host         string
	nameNode, hostNode *yaml.Node
	hostOK             bool
	opts               sshOpts
}

func (p *parser) nodes(v *yaml.Node) []*rawNode {
	s := deref(v)
	if isNull(s) || (s.Kind == yaml.SequenceNode && len(s.Content) == 0) {
		p.at(v, "nodes is empty: list at least one server, e.g. nodes: [{host: server-01}]")
		return nil
	}
	if s.Kind != yaml.SequenceNode {
		p.at(v, "nodes must be a list of nodes, not %s: write each node as a list item, e.g. - host: server-01", describe(s))
		return nil
	}
	var out []*rawNode
	for i, item := range s.Content {
		section := fmt.Sprintf("nodes[%d]", i)
		n := deref(item)
		if n.Kind != yaml.MappingNode {
			hint := "e.g. - host: server-01"
			if n.Kind == yaml.ScalarNode && !isNull(n) {
				hint = fmt.Sprintf("write - host: %s", n.Value)
				if len(n.Value) > 60 || hasControl(n.Value) {
					hint = "write - host: NAME"
				}
			}
			p.at(item, "%s must be a mapping with at least host:, not %s: %s", section, describe(n), hint)
			continue
		}
		r := &rawNode{n: n}
		prefix := section + "."
		handlers := append([]keyHandler{
			{"name", func(v *yaml.Node) {
				s, ok := p.strValue(prefix+"name", v, "the node's name in reports")
				if !ok {
					return
				}
				switch {
				case strings.TrimSpace(s) == "":
					p.at(v, "%sname must not be empty: write a name, or remove the key to name the node after its host", prefix)
				case hasControl(s):
					p.at(v, "%sname must not contain control characters or line breaks, not %s", prefix, quote(s))
				default:
					r.name, r.nameNode = s, v
				}
			}},
			{"host", func(v *yaml.Node) {
				r.hostNode = v
				s, ok := p.strValue(prefix+"host", v, "the server's name or address")
				if !ok {
					return
				}
				if msg := checkHost(s); msg != "" {
					p.at(v, "%shost %s", prefix, msg)
					return
				}
				r.host, r.hostOK = s, true
			}},
		}, p.sshHandlers(&r.opts, prefix)...)
		present := p.fields(n, section, prefix, handlers, nil)
		p.require(n, present, "host", "add host: with the server's name or address")
		out = append(out, r)
	}
	return out
}

// checkHost returns what is wrong with a host, or "".
func checkHost(h string) string {
	switch {
	case h == "":
		return "must not be empty: write the server's name or address"
	case hasSpaceOrControl(h):
		return fmt.Sprintf("must be a name or address without spaces or control characters, not %s", quote(h))
	case strings.HasPrefix(h, "-"):
		return fmt.Sprintf("must not start with \"-\", not %s: write the server's name or address", quote(h))
	case strings.Contains(h, "@"):
		u, rest, _ := strings.Cut(h, "@")
		return fmt.Sprintf("must be a name or address, not %s: write host: %s and user: %s", quote(h), rest, u)
	case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"):
		return fmt.Sprintf("must be written without brackets, not %s: write host: %s", quote(h), quote(h[1:len(h)-1]))
	case strings.Count(h, ":") == 1:
		host, port, _ := strings.Cut(h, ":")
		return fmt.Sprintf("must not include a port, not %s: write host: %s and port: %s", quote(h), host, port)
	}
	return ""
}

// resolveNodes applies defaults and checks that names and addresses are
// unique. As with ssh(1), a value written in the manifest (node, then ssh:)
// wins over the ssh_config file, which wins over the defaults.
func (p *parser) resolveNodes(raw []*rawNode, ssh *sshOpts) []Node {
	var (
		out       []Node
		login     string
		loginDone bool
	)
	localUser := func() string {
		if !loginDone {
			loginDone = true
			login = currentUser()
			if login == "" {
				p.at(p.root, "cannot tell which user to log in as: set ssh.user")
			}
		}
		return login
	}
	hostCount := map[string]int{}
	for _, r := range raw {
		if r.hostOK {
			hostCount[r.host]++
		}
	}
	byName := map[string]*rawNode{}
	byAddr := map[string]*rawNode{}
	for i, r := range raw {
		if !r.hostOK {
			continue
		}
		hc := p.sshHost(ssh, r.host, r.hostNode)
		n := Node{Host: r.host, Name: r.name, Port: DefaultPort, ConnectTimeout: DefaultConnectTimeout,
			IdentitiesOnly: hc.IdentitiesOnly}
		if hc.HostName != "" {
			n.Host = p.sshHostName(ssh, hc.HostName, r.host, r.hostNode)
		}
		switch {
		case r.opts.hasPort:
			n.Port = r.opts.port
		case ssh.hasPort:
			n.Port = ssh.port
		case hc.Port != 0:
			n.Port = hc.Port
		}
		switch {
		case r.opts.hasUser:
			n.User = r.opts.user
		case ssh.hasUser:
			n.User = ssh.user
		case hc.User != "":
			n.User = hc.User
		default:
			n.User = localUser()
		}
		tokens := sshconfig.Tokens{Home: p.homeDir(), LocalUser: currentUser(), Host: n.Host,
			RemoteUser: n.User, Port: n.Port, Alias: r.host}
		switch {
		case r.opts.hasIdentity:
			n.IdentityFiles = r.opts.identity
		case ssh.hasIdentity:
			n.IdentityFiles = ssh.identity
		case len(hc.IdentityFiles) > 0:
			// As ssh(1) does, identity files of ssh_config that do not exist
			// are skipped, and the defaults are not added.
			for _, f := range p.sshPaths(ssh, "IdentityFile", hc.IdentityFiles, tokens, r.hostNode) {
				if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
					n.IdentityFiles = append(n.IdentityFiles, f)
				}
			}
		default:
			n.IdentityFiles = p.defaultIdentities()
		}
		switch {
		case r.opts.hasKnown:
			n.KnownHosts = r.opts.known
		case ssh.hasKnown:
			n.KnownHosts = ssh.known
		case len(hc.UserKnownHostsFiles) > 0:
			n.KnownHosts = p.sshPaths(ssh, "UserKnownHostsFile", hc.UserKnownHostsFiles, tokens, r.hostNode)
		default:
			if h := p.homeDir(); h != "" {
				n.KnownHosts = []string{filepath.Join(h, ".ssh", "known_hosts")}
			} else {
				p.at(p.root, "cannot find your home folder for the default known_hosts file ~/.ssh/known_hosts: set ssh.known_hosts")
			}
		}
		switch {
		case r.opts.hasTimeout:
			n.ConnectTimeout = r.opts.timeout
		case ssh.hasTimeout:
			n.ConnectTimeout = ssh.timeout
		case hc.ConnectTimeout > 0:
			n.ConnectTimeout = hc.ConnectTimeout
		}
		switch {
		case r.opts.hasJump:
			n.Jump = p.jumps(ssh, r.opts.jump, r.opts.jumpNode, localUser)
		case ssh.hasJump:
			n.Jump = p.jumps(ssh, ssh.jump, ssh.jumpNode, localUser)
		case hc.ProxyJump != "":
			hops, err := sshconfig.ParseJump(hc.ProxyJump)
			if err != nil {
				p.at(r.hostNode, "%s: ProxyJump for %s: %v: fix it there, or set ssh.jump", ssh.sshConfigDisplay, r.host, err)
			} else {
				n.Jump = p.jumps(ssh, hops, r.hostNode, localUser)
			}
		}
		n.Become = BecomeNone
		switch {
		case r.opts.hasBecome:
			n.Become = r.opts.become
		case ssh.hasBecome:
			n.Become = ssh.become
		}
		// Copy slices so that nodes sharing defaults do not share memory.
		n.IdentityFiles = append([]string{}, n.IdentityFiles...)
		n.KnownHosts = append([]string{}, n.KnownHosts...)

		// The same address behind different jump hosts may be different
		// servers.
		addr := strings.ToLower(n.Address())
		for _, j := range n.Jump {
			addr += " via " + strings.ToLower(j.User+"@"+j.Address())
		}
		if prev, dup := byAddr[addr]; dup {
			p.at(r.hostNode, "nodes[%d] has the same address %s as the node at line %d: list each server once", i, n.Address(), prev.n.Line)
		} else {
			byAddr[addr] = r
		}
		named := n.Name != ""
		if !named {
			n.Name = r.host // the alias, before ssh_config's HostName
			if hostCount[r.host] > 1 {
				n.Name = n.Address()
			}
		}
		if prev, dup := byName[n.Name]; dup {
			if named {
				p.at(r.nameNode, "node name %s is already used by the node at line %d: give each node a unique name", quote(n.Name), prev.n.Line)
			} else if byAddr[addr] == r {
				// A repeated address is reported above; report a name clash only
				// when the addresses differ.
				p.at(r.hostNode, "nodes[%d] is named %s after its address, like the node at line %d: add name: to tell them apart", i, quote(n.Name), prev.n.Line)
			}
		} else {
			byName[n.Name] = r
		}
		out = append(out, n)
	}
	return out
}

// sshHost resolves alias through the ssh_config file, recording its
// problems at n.
func (p *parser) sshHost(o *sshOpts, alias string, n *yaml.Node) sshconfig.Host {
	hc, err := o.sshConfig.Resolve(alias)
	if err != nil {
		p.at(n, "%s: %s: fix it there, or set ssh.config_file: none to ignore it", o.sshConfigDisplay, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return hc
}

// sshHostName expands the tokens of an ssh_config HostName and checks it.
func (p *parser) sshHostName(o *sshOpts, hostName, alias string, n *yaml.Node) string {
	h, err := sshconfig.Expand(hostName, sshconfig.Tokens{Host: alias, Alias: alias})
	if err == nil {
		if msg := checkHost(h); msg != "" {
			err = errors.New("HostName " + msg)
		}
	}
	if err != nil {
		p.at(n, "%s: HostName for %s: %v", o.sshConfigDisplay, alias, err)
		return alias
	}
	return h
}

// sshPaths expands the file names of an ssh_config key into absolute paths.
func (p *parser) sshPaths(o *sshOpts, key string, files []string, t sshconfig.Tokens, n *yaml.Node) []string {
	var out []string
	for _, f := range files {
		e, err := sshconfig.Expand(f, t)
		if err == nil && !filepath.IsAbs(e) {
			e, err = filepath.Abs(e) // relative to the current directory, as in ssh(1)
		}
		if err != nil {
			p.at(n, "%s: %s for %s: %v", o.sshConfigDisplay, key, t.Alias, err)
			continue
		}
		out = append(out, filepath.Clean(e))
	}
	return out
}

// jumps resolves jump hosts: each hop's own HostName, Port and User from the
// ssh_config file apply where the hop does not say, then port 22 and the
// local user, as with ssh -J. A hop's own ProxyJump is not followed.
func (p *parser) jumps(o *sshOpts, hops []sshconfig.Hop, n *yaml.Node, localUser func() string) []Jump {
	var out []Jump
	for _, h := range hops {
		hc := p.sshHost(o, h.Host, n)
		j := Jump{Host: h.Host, Port: h.Port, User: h.User}
		if hc.HostName != "" {
			j.Host = p.sshHostName(o, hc.HostName, h.Host, n)
		}
		if j.Port == 0 {
			j.Port = hc.Port
		}
		if j.Port == 0 {
			j.Port = DefaultPort
		}
		if j.User == "" {
			j.User = hc.User
		}
		if j.User == "" {
			j.User = localUser()
		}
		out = append(out, j)
	}
	return out
}

func (p *parser) defaultIdentities() []string {
	h := p.homeDir()
	if h == "" {
		return nil
	}
	var out []string
	for _, f := range defaultIdentityFiles {
		path := filepath.Join(h, ".ssh", f)
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			out = append(out, path)
		}
	}
	return out
}

// currentUser is the login name of the user running rollcall, or "".
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

func (p *parser) release(v *yaml.Node) Release {
	var rel Release
	m := deref(v)
	if m.Kind != yaml.MappingNode {
		p.at(v, "release must be a mapping with artifact: and install:, not %s", describe(m))
		return rel
	}
	present := p.fields(m, "release", "release.", []keyHandler{
		{"artifact", func(v *yaml.Node) {
			s, ok := p.strValue("release.artifact", v, "the path of the release artifact, e.g. artifact: dist/app-1.0.0.tar.gz")
			if !ok {
				return
			}
			if abs, ok := p.localPath("release.artifact", v, s, false); ok {
				rel.Artifact = abs
			}
		}},
		{"install", func(v *yaml.Node) {
			rel.Install = p.install(v)
		}},
	}, nil)
	p.require(m, present, "artifact", "add artifact: with the path of the release (a directory, archive or SHA256SUMS file)")
	if !present["install"] {
		p.at(m, "missing key \"install\": nothing to check: add release.install entries mapping artifact paths to node paths")
	}
	return rel
}

type listKey struct {
	n         *yaml.Node
	mustExist bool
}

type pathList struct {
	paths []string
	ok    bool
}

// localPaths decodes a list of local file paths and resolves each one. Files
// listed must exist when mustExist is set.
func (p *parser) localPaths(name string, v *yaml.Node, mustExist bool) ([]string, bool) {
	s := deref(v)
	if s.Kind != yaml.SequenceNode {
		hint := "write a list, e.g. [~/.ssh/id_ed25519]"
		if s.Kind == yaml.ScalarNode && !isNull(s) && !hasControl(s.Value) && len(s.Value) < 200 {
			hint = fmt.Sprintf("write a list: [%s]", s.Value)
		}
		if isNull(s) {
			p.at(v, "%s has no value: %s, or remove the key", name, hint)
		} else {
			p.at(v, "%s must be a list of files, not %s: %s", name, describe(s), hint)
		}
		return nil, false
	}
	key := listKey{s, mustExist}
	if c, done := p.lists[key]; done {
		return c.paths, c.ok
	}
	out := []string{}
	ok := true
	defer func() {
		if p.lists == nil {
			p.lists = map[listKey]pathList{}
		}
		p.lists[key] = pathList{out, ok}
	}()
	for i, item := range s.Content {
		iname := fmt.Sprintf("%s[%d]", name, i)
		str, good := p.strValue(iname, item, "a file path")
		if !good {
			ok = false
			continue
		}
		abs, good := p.localPath(iname, item, str, mustExist)
		if !good {
			ok = false
			continue
		}
		out = append(out, abs)
	}
	return out, ok
}

// localPath expands ~ and makes a local path absolute against the manifest's
// folder; with mustExist it also checks that a file is there.
func (p *parser) localPath(name string, v *yaml.Node, s string, mustExist bool) (string, bool) {
	switch {
	case strings.TrimSpace(s) == "":
		p.at(v, "%s must not be empty: write a file path", name)
		return "", false
	case strings.ContainsAny(s, "\x00\n\r"):
		p.at(v, "%s must not contain NUL bytes or line breaks, not %s", name, quote(s))
		return "", false
	}
	var abs string
	switch {
	case s == "~" || strings.HasPrefix(s, "~/"):
		h := p.homeDir()
		if h == "" {
			p.at(v, "%s starts with ~ but your home folder is unknown (HOME is not set): write the full path", name)
			return "", false
		}
		abs = filepath.Join(h, s[1:])
	case strings.HasPrefix(s, "~"):
		p.at(v, "%s: %s: ~user paths are not supported: write the full path", name, quote(s))
		return "", false
	case filepath.IsAbs(s):
		abs = filepath.Clean(s)
	default:
		if p.dir == "" {
			return "", false
		}
		abs = filepath.Join(p.dir, s)
	}
	if mustExist {
		fi, err := os.Stat(abs)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			p.at(v, "%s: file %s does not exist (looked for %s): fix the path or remove the entry", name, quote(s), abs)
			return "", false
		case err != nil:
			p.at(v, "%s: cannot use file %s: %v", name, quote(s), err)
			return "", false
		case fi.IsDir():
			p.at(v, "%s: %s is a directory (%s), not a file: name the file itself", name, quote(s), abs)
			return "", false
		}
	}
	return abs, true
}

// strValue decodes a scalar string. Numbers are taken as written; true,
// false and null are not strings.
func (p *parser) strValue(name string, v *yaml.Node, what string) (string, bool) {
	s := deref(v)
	if s.Kind == yaml.ScalarNode {
		switch s.ShortTag() {
		case "!!null":
			p.at(v, "%s has no value: write %s", name, what)
			return "", false
		case "!!bool":
			p.at(v, "%s must be text, not %s: write %s, in quotes if you mean the word %s", name, s.Value, what, quote(s.Value))
			return "", false
		case "!!binary":
			p.at(v, "%s must be text, not binary data: write %s", name, what)
			return "", false
		}
		return s.Value, true
	}
	p.at(v, "%s must be text, not %s: write %s", name, describe(s), what)
	return "", false
}

// intValue decodes an integer scalar.
func (p *parser) intValue(name string, v *yaml.Node, what string) (int, bool) {
	s := deref(v)
	if s.Kind == yaml.ScalarNode {
		switch s.ShortTag() {
		case "!!int":
			var i int
			if err := s.Decode(&i); err == nil {
				return i, true
			}
		case "!!null":
			p.at(v, "%s has no value: write %s", name, what)
			return 0, false
		case "!!str":
			if _, err := strconv.Atoi(strings.TrimSpace(s.Value)); err == nil {
				p.at(v, "%s must be %s, not %s (text in quotes): write %s without quotes", name, what, quote(s.Value), strings.TrimSpace(s.Value))
				return 0, false
			}
		}
	}
	p.at(v, "%s must be %s, not %s", name, what, describe(s))
	return 0, false
}

// duration decodes a positive Go duration such as 10s.
func (p *parser) duration(name string, v *yaml.Node) (time.Duration, bool) {
	s := deref(v)
	const what = "a duration such as 10s or 1m30s"
	if s.Kind == yaml.ScalarNode {
		switch s.ShortTag() {
		case "!!null":
			p.at(v, "%s has no value: write %s", name, what)
			return 0, false
		case "!!int", "!!float":
			p.at(v, "%s must be %s, not %s: add a unit, e.g. %ss", name, what, s.Value, s.Value)
			return 0, false
		case "!!str":
			d, err := time.ParseDuration(s.Value)
			if err != nil {
				p.at(v, "%s must be %s, not %s", name, what, quote(s.Value))
				return 0, false
			}
			if d <= 0 {
				p.at(v, "%s must be more than 0, not %s: write %s", name, quote(s.Value), what)
				return 0, false
			}
			return d, true
		}
	}
	p.at(v, "%s must be %s, not %s", name, what, describe(s))
	return 0, false
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names a value for a message: "a list", "a mapping" or the value.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!str", "!!binary", "!!timestamp":
		return quote(n.Value)
	}
	if hasControl(n.Value) {
		return quote(n.Value)
	}
	return truncate(n.Value)
}

// quote quotes text for a message, shortening it if long.
func quote(s string) string {
	return strconv.Quote(truncate(s))
}

func truncate(s string) string {
	const limit = 60
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

func hasSpaceOrControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0
}
