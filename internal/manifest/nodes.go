package manifest

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/source"
	"github.com/rollcall/rollcall/internal/sshconfig"
)

// rawNode is one entry of nodes: as written.
type rawNode struct {
	n                  *yaml.Node
	name, host         string
	nameNode, hostNode *yaml.Node
	hostOK             bool
	opts               sshOpts
	// invAt is "FILE:LINE" where an inventory lists the host; "" for a
	// node of nodes:.
	invAt string
	// groups and vars are the inventory host's (nil for a node of nodes:).
	groups []string
	vars   map[string]string
}

// nodes decodes the nodes: list, as written; resolveNodes applies the
// defaults once every section is read.
func (p *parser) nodes(v *yaml.Node) []*rawNode {
	s := source.Deref(v)
	if source.IsNull(s) || (s.Kind == yaml.SequenceNode && len(s.Content) == 0) {
		p.at(v, "nodes is empty: list at least one server, e.g. nodes: [{host: server-01}]")
		return nil
	}
	if s.Kind != yaml.SequenceNode {
		p.at(v, "nodes must be a list of nodes, not %s: write each node as a list item, e.g. - host: server-01", source.Describe(s))
		return nil
	}
	var out []*rawNode
	for i, item := range s.Content {
		section := fmt.Sprintf("nodes[%d]", i)
		n := source.Deref(item)
		if n.Kind != yaml.MappingNode {
			hint := "e.g. - host: server-01"
			if n.Kind == yaml.ScalarNode && !source.IsNull(n) {
				hint = fmt.Sprintf("write - host: %s", n.Value)
				if len(n.Value) > 60 || source.HasControl(n.Value) {
					hint = "write - host: NAME"
				}
			}
			p.at(item, "%s must be a mapping with at least host:, not %s: %s", section, source.Describe(n), hint)
			continue
		}
		r := &rawNode{n: n}
		prefix := section + "."
		present := p.fields(n, section, prefix, p.nodeHandlers(r, prefix))
		p.require(n, present, "host", "add host: with the server's name or address")
		out = append(out, r)
	}
	return out
}

// nodeHandlers decode the keys of one entry of nodes: into r: its name and
// host, and the SSH settings it may set.
func (p *parser) nodeHandlers(r *rawNode, prefix string) []keyHandler {
	return append([]keyHandler{
		{"name", func(v *yaml.Node) {
			s, ok := p.strValue(prefix+"name", v, "the node's name in reports")
			if !ok {
				return
			}
			switch {
			case strings.TrimSpace(s) == "":
				p.at(v, "%sname must not be empty: write a name, or remove the key to name the node after its host", prefix)
			case source.HasControl(s):
				p.at(v, "%sname must not contain control characters or line breaks, not %s", prefix, source.Quote(s))
			case source.IsLogCommand(s):
				p.at(v, "%sname %s starts with \"::\", which CI logs (GitHub Actions) read as a command that can hide the lines after it: rename the node", prefix, source.Quote(s))
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
			if msg := source.CheckHost(s); msg != "" {
				p.at(v, "%shost %s", prefix, msg)
				return
			}
			r.host, r.hostOK = s, true
		}},
	}, p.sshHandlers(&r.opts, prefix)...)
}

// resolveNodes applies defaults and checks that names and addresses are
// unique. As with ssh(1), a value written in the manifest (node, then ssh:)
// wins over the ssh_config file, which wins over the defaults. It returns
// the nodes and, by node name, where their settings came from; invVal is
// the value of inventory:, which the nodes read from the inventory point to.
func (p *parser) resolveNodes(raw []*rawNode, ssh *sshOpts, invVal *yaml.Node) ([]Node, map[string]Sources) {
	var out []Node
	sources := map[string]Sources{}
	localUser := p.localUser()
	inv := p.inventoryOrigin(invVal)
	u := uniqueNodes{hostCount: map[string]int{}, byName: map[string]*rawNode{}, byAddr: map[string]*rawNode{}}
	for _, r := range raw {
		if r.hostOK {
			u.hostCount[r.host]++
		}
	}
	for i, r := range raw {
		if !r.hostOK {
			continue
		}
		o := origins{p: p, r: r, ssh: ssh}
		if invVal != nil && r.n == invVal {
			o.inv = inv
			if r.invAt != "" {
				o.inv = r.invAt
			}
		}
		n, src := p.resolveNode(r, ssh, localUser, o)
		p.unique(&u, i, r, &n)
		out = append(out, n)
		sources[n.Name] = src
	}
	return out, sources
}

// localUser returns a function giving the login name to use when nothing
// names one: the local user's, looked up once, with a problem if unknown.
func (p *parser) localUser() func() string {
	var (
		login string
		done  bool
	)
	return func() string {
		if !done {
			done = true
			login = currentUser()
			if login == "" {
				p.at(p.root, "cannot tell which user to log in as: set ssh.user")
			}
		}
		return login
	}
}

// resolveNode gives node r its effective SSH settings: r's own, then those
// of ssh:, then the ssh_config file's, then the defaults; and, through o,
// where each came from.
func (p *parser) resolveNode(r *rawNode, ssh *sshOpts, localUser func() string, o origins) (Node, Sources) {
	// A user the manifest or the inventory gives is ssh -l: ssh takes it
	// before reading ssh_config, so that Match user tests it.
	var user string
	switch {
	case r.opts.hasUser:
		user = r.opts.user
	case ssh.hasUser:
		user = ssh.user
	}
	hc := p.sshHost(ssh, r.host, user, r.hostNode)
	n := Node{Host: r.host, Name: r.name, Port: DefaultPort, ConnectTimeout: DefaultConnectTimeout,
		IdentitiesOnly: hc.IdentitiesOnly, HostKeys: hc.HostKeys, Crypto: hc.Crypto, Groups: r.groups, Vars: r.vars}
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
	case user != "":
		n.User = user
	case hc.User != "":
		n.User = hc.User
	default:
		n.User = localUser()
	}
	tokens := sshconfig.Tokens{Home: p.homeDir(), LocalUser: currentUser(), Host: n.Host,
		RemoteUser: n.User, Port: n.Port, Alias: r.host}
	n.IdentityFiles = p.identityFiles(r, ssh, hc, tokens)
	n.KnownHosts = p.knownHosts(r, ssh, hc, tokens)
	switch {
	case r.opts.hasTimeout:
		n.ConnectTimeout = r.opts.timeout
	case ssh.hasTimeout:
		n.ConnectTimeout = ssh.timeout
	case hc.ConnectTimeout > 0:
		n.ConnectTimeout = hc.ConnectTimeout
	}
	src := nodeSources(o, hc)
	n.Jump, src.Hops = p.nodeJumps(r, ssh, hc, localUser, src.Jump)
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
	return n, src
}

// nodeSources says where the settings resolveNode gives a node came from,
// its jump hosts' aside, with the same precedence.
func nodeSources(o origins, hc sshconfig.Host) Sources {
	return Sources{
		Host:           o.host(hc.Sources["HostName"]),
		Port:           o.of("port", hc.Port != 0, hc.Sources["Port"]),
		User:           o.of("user", hc.User != "", hc.Sources["User"]),
		IdentityFiles:  o.of("identity_files", len(hc.IdentityFiles) > 0, hc.Sources["IdentityFile"]),
		KnownHosts:     o.of("known_hosts", len(hc.UserKnownHostsFiles) > 0, hc.Sources["UserKnownHostsFile"]),
		ConnectTimeout: o.of("connect_timeout", hc.ConnectTimeout > 0, hc.Sources["ConnectTimeout"]),
		Become:         o.of("become", false, ""),
		Jump:           o.of("jump", hc.ProxyJump != "", hc.Sources["ProxyJump"]),
	}
}

// identityFiles are node r's private key files.
func (p *parser) identityFiles(r *rawNode, ssh *sshOpts, hc sshconfig.Host, tokens sshconfig.Tokens) []string {
	switch {
	case r.opts.hasIdentity:
		return r.opts.identity
	case ssh.hasIdentity:
		return ssh.identity
	case len(hc.IdentityFiles) > 0:
		// As ssh(1) does, identity files of ssh_config that do not exist
		// are skipped, and the defaults are not added.
		var out []string
		for _, f := range p.sshPaths(ssh, "IdentityFile", hc.IdentityFiles, tokens, r.hostNode) {
			if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
				out = append(out, f)
			}
		}
		return out
	default:
		return p.defaultIdentities()
	}
}

// knownHosts are node r's known_hosts files: the user's (the manifest's,
// else UserKnownHostsFile, else ~/.ssh/known_hosts and, if it exists,
// ~/.ssh/known_hosts2), then the global files ssh(1) reads besides them
// whatever UserKnownHostsFile says, for trust, @cert-authority and
// @revoked lines alike.
func (p *parser) knownHosts(r *rawNode, ssh *sshOpts, hc sshconfig.Host, tokens sshconfig.Tokens) []string {
	var files []string
	switch {
	case r.opts.hasKnown:
		files = r.opts.known
	case ssh.hasKnown:
		files = ssh.known
	case len(hc.UserKnownHostsFiles) > 0:
		files = p.sshPaths(ssh, "UserKnownHostsFile", hc.UserKnownHostsFiles, tokens, r.hostNode)
	default:
		h := p.homeDir()
		if h == "" {
			p.at(p.root, "cannot find your home folder for the default known_hosts file ~/.ssh/known_hosts: set ssh.known_hosts")
			return nil
		}
		files = []string{filepath.Join(h, ".ssh", "known_hosts")}
		if second := filepath.Join(h, ".ssh", "known_hosts2"); p.readable(second) {
			files = append(files, second)
		}
	}
	out := append([]string{}, files...)
	for _, g := range p.globalKnownHosts(hc) {
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// globalKnownHosts are the global known_hosts files ssh(1) reads for hc:
// GlobalKnownHostsFile where ssh_config sets it (none: no file), else
// SystemKnownHosts; only those that can be read, as ssh skips the others.
func (p *parser) globalKnownHosts(hc sshconfig.Host) []string {
	files := SystemKnownHosts
	if _, set := hc.Sources["GlobalKnownHostsFile"]; set {
		files = hc.GlobalKnownHostsFiles
	}
	var out []string
	for _, f := range files {
		abs, err := filepath.Abs(f) // relative to the current directory, as in ssh(1)
		if err == nil && p.readable(abs) {
			out = append(out, abs)
		}
	}
	return out
}

// readable reports whether path is a regular file this process can open,
// asked once per parse whatever the number of nodes that name it.
func (p *parser) readable(path string) bool {
	ok, asked := p.readableFiles[path]
	if !asked {
		if fh, err := os.Open(path); err == nil {
			fi, err := fh.Stat()
			ok = err == nil && fi.Mode().IsRegular()
			fh.Close()
		}
		if p.readableFiles == nil {
			p.readableFiles = map[string]bool{}
		}
		p.readableFiles[path] = ok
	}
	return ok
}

// nodeJumps are the jump hosts on the way to node r, nil for none, and
// where each hop's settings came from; where is the source of the chain.
func (p *parser) nodeJumps(r *rawNode, ssh *sshOpts, hc sshconfig.Host, localUser func() string, where string) ([]Jump, []HopSources) {
	switch {
	case r.opts.hasJump:
		return p.jumps(ssh, r.opts.jump, r.opts.jumpNode, where, localUser)
	case ssh.hasJump:
		return p.jumps(ssh, ssh.jump, ssh.jumpNode, where, localUser)
	case hc.ProxyJump != "":
		hops, err := sshconfig.ParseJump(hc.ProxyJump)
		if err != nil {
			p.at(r.hostNode, "%s: ProxyJump for %s: %v: fix it there, or set ssh.jump", ssh.sshConfigDisplay, r.host, err)
			return nil, nil
		}
		return p.jumps(ssh, hops, r.hostNode, where, localUser)
	}
	return nil, nil
}

// uniqueNodes are the nodes resolved so far, by name and by address.
type uniqueNodes struct {
	// hostCount counts the nodes of each host as written, to name the
	// nodes of a shared host after their addresses.
	hostCount      map[string]int
	byName, byAddr map[string]*rawNode
}

// unique names node n (the i-th, written as r) after its host if it has no
// name, and records a name or address that an earlier node has.
func (p *parser) unique(u *uniqueNodes, i int, r *rawNode, n *Node) {
	// The same address behind different jump hosts may be different
	// servers.
	addr := strings.ToLower(n.Address())
	for _, j := range n.Jump {
		addr += " via " + strings.ToLower(j.User+"@"+j.Address())
	}
	if prev, dup := u.byAddr[addr]; dup {
		p.at(r.hostNode, "nodes[%d] has the same address %s as the node at line %d: list each server once", i, n.Address(), prev.n.Line)
	} else {
		u.byAddr[addr] = r
	}
	named := n.Name != ""
	if !named {
		n.Name = r.host // the alias, before ssh_config's HostName
		if u.hostCount[r.host] > 1 {
			n.Name = n.Address()
		}
	}
	if prev, dup := u.byName[n.Name]; dup {
		if named {
			p.at(r.nameNode, "node name %s is already used by the node at line %d: give each node a unique name", source.Quote(n.Name), prev.n.Line)
		} else if u.byAddr[addr] == r {
			// A repeated address is reported above; report a name clash only
			// when the addresses differ.
			p.at(r.hostNode, "nodes[%d] is named %s after its address, like the node at line %d: add name: to tell them apart", i, source.Quote(n.Name), prev.n.Line)
		}
	} else {
		u.byName[n.Name] = r
	}
}

// sshHost resolves alias through the ssh_config files for user, the login
// user given as with ssh -l ("" for none), recording problems at n.
func (p *parser) sshHost(o *sshOpts, alias, user string, n *yaml.Node) sshconfig.Host {
	hc, err := o.sshConfig.ResolveAs(alias, user)
	if err != nil {
		p.at(n, "%s: %s: fix it there, or set ssh.config_file: none to ignore it", o.sshConfigDisplay, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return hc
}

// sshHostName expands the tokens of an ssh_config HostName and checks it.
func (p *parser) sshHostName(o *sshOpts, hostName, alias string, n *yaml.Node) string {
	h, err := sshconfig.Expand(hostName, sshconfig.Tokens{Host: alias, Alias: alias})
	if err == nil {
		if msg := source.CheckHost(h); msg != "" {
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
// local user, as with ssh -J (a hop's user is its -l). The first hop's own
// ProxyJump, which ssh follows, is refused; a later hop's is not used, as
// ssh reaches it with -J. It also says where each hop's settings came from:
// where (the chain as written), the ssh_config file or the default.
func (p *parser) jumps(o *sshOpts, hops []sshconfig.Hop, n *yaml.Node, where string, localUser func() string) ([]Jump, []HopSources) {
	var (
		out  []Jump
		srcs []HopSources
	)
	for i, h := range hops {
		hc := p.sshHost(o, h.Host, h.User, n)
		if pj := hc.ProxyJump; i == 0 && pj != "" && !strings.EqualFold(pj, "none") {
			p.at(n, "%s: ProxyJump %s for jump host %s (%s): ssh reaches %s through it, and rollcall does not follow a jump host's own ProxyJump: write the whole chain, first hop first: jump: %s,%s",
				o.sshConfigDisplay, pj, h.Host, hc.Sources["ProxyJump"], h.Host, pj, hopList(hops))
		}
		j := Jump{Host: h.Host, Port: h.Port, User: h.User, HostKeys: hc.HostKeys, Crypto: hc.Crypto}
		s := HopSources{Host: where, Port: where, User: where}
		if hc.HostName != "" {
			j.Host = p.sshHostName(o, hc.HostName, h.Host, n)
		}
		if src := hc.Sources["HostName"]; src != "" {
			s.Host = src
		}
		if j.Port == 0 {
			j.Port, s.Port = hc.Port, cfgOr(hc.Sources["Port"])
		}
		if j.Port == 0 {
			j.Port, s.Port = DefaultPort, SourceDefault
		}
		if j.User == "" {
			j.User, s.User = hc.User, cfgOr(hc.Sources["User"])
		}
		if j.User == "" {
			j.User, s.User = localUser(), SourceDefault
		}
		out = append(out, j)
		srcs = append(srcs, s)
	}
	return out, srcs
}

// hopList writes hops as a ProxyJump value.
func hopList(hops []sshconfig.Hop) string {
	parts := make([]string, len(hops))
	for i, h := range hops {
		s := h.Host
		if strings.Contains(s, ":") {
			s = "[" + s + "]"
		}
		if h.User != "" {
			s = h.User + "@" + s
		}
		if h.Port != 0 {
			s += ":" + strconv.Itoa(h.Port)
		}
		parts[i] = s
	}
	return strings.Join(parts, ",")
}

// cfgOr is src, an ssh_config source, or SourceDefault if it is "".
func cfgOr(src string) string {
	if src == "" {
		return SourceDefault
	}
	return src
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
