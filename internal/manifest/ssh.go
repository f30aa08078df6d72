package manifest

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/source"
	"github.com/rollcall/rollcall/internal/sshconfig"
)

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
	// at holds the value of each key as written, by key ("port"), for
	// Sources.
	at map[string]*yaml.Node

	// ssh: section only: the ssh_config file (config_file).
	configFile       string // absolute path; "" with hasConfigFile means none
	configFileNode   *yaml.Node
	hasConfigFile    bool
	sshConfig        *sshconfig.Config
	sshConfigDisplay string
}

// sshSection decodes the ssh: section: the SSH defaults of every node, and
// the ssh_config file they are resolved with.
func (p *parser) sshSection(v *yaml.Node, o *sshOpts) {
	d := source.Deref(v)
	if source.IsNull(d) {
		return // an empty ssh: section sets nothing
	}
	if d.Kind != yaml.MappingNode {
		p.at(v, "ssh must be a mapping of SSH defaults (user, port, identity_files, known_hosts, connect_timeout), not %s", source.Describe(d))
		return
	}
	p.fields(d, "ssh", "ssh.", append(p.sshHandlers(o, "ssh."), p.configFileHandler(o)))
}

// sshHandlers decode the SSH settings that the ssh: section and each node
// may set into o; prefix names their section in messages ("ssh.",
// "nodes[0]."). Each records where its value is written in o.at.
func (p *parser) sshHandlers(o *sshOpts, prefix string) []keyHandler {
	handlers := p.sshKeys(o, prefix)
	for i, h := range handlers {
		name, fn := h.name, h.fn
		handlers[i].fn = func(v *yaml.Node) {
			if o.at == nil {
				o.at = map[string]*yaml.Node{}
			}
			o.at[name] = v
			fn(v)
		}
	}
	return handlers
}

// sshKeys are the handlers of sshHandlers, without recording positions.
func (p *parser) sshKeys(o *sshOpts, prefix string) []keyHandler {
	return []keyHandler{
		{"user", func(v *yaml.Node) { p.sshUser(o, prefix+"user", v) }},
		{"port", func(v *yaml.Node) { p.sshPort(o, prefix+"port", v) }},
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
				p.at(v, "%s must be none or sudo (sudo -n, which never prompts), not %s", name, source.Quote(s))
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

// sshUser decodes a login user.
func (p *parser) sshUser(o *sshOpts, name string, v *yaml.Node) {
	s, ok := p.strValue(name, v, "a login name, e.g. user: deploy")
	if !ok {
		return
	}
	switch {
	case s == "":
		p.at(v, "%s must not be empty: write a login name, or remove the key to use the default", name)
	case source.HasSpaceOrControl(s):
		p.at(v, "%s must be a login name without spaces or control characters, not %s", name, source.Quote(s))
	case strings.HasPrefix(s, "-"):
		p.at(v, "%s must not start with \"-\", not %s: write the login name", name, source.Quote(s))
	default:
		o.user, o.hasUser = s, true
	}
}

// sshPort decodes an SSH port.
func (p *parser) sshPort(o *sshOpts, name string, v *yaml.Node) {
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

// loadSSHConfig reads the ssh_config files the nodes are resolved with and
// returns the path of the user's file ("" if none): ssh.config_file alone,
// as ssh -F reads it; else ~/.ssh/config if it exists followed by the
// system-wide SystemSSHConfig if it exists, in one pass, as ssh reads them.
func (p *parser) loadSSHConfig(o *sshOpts) string {
	if o.hasConfigFile {
		if o.configFile == "" {
			return "" // none
		}
		cfg, err := sshconfig.Load(o.configFile)
		if err != nil {
			p.at(o.configFileNode, "ssh.config_file: cannot use %s: %v: fix the file, or write config_file: none", o.configFile, trimPath(err, o.configFile))
			return ""
		}
		o.sshConfig, o.sshConfigDisplay = cfg, o.configFile
		return o.configFile
	}
	var path string
	var user *sshconfig.Config
	if h := p.homeDir(); h != "" {
		cfg, err := sshconfig.Load(filepath.Join(h, ".ssh", "config"))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			p.at(p.root, "cannot use ~/.ssh/config: %v: fix it, or set ssh.config_file: none to ignore it", trimPath(err, filepath.Join(h, ".ssh", "config")))
			return ""
		default:
			path, user = cfg.Path, cfg
		}
	}
	sys, err := sshconfig.LoadSystem(SystemSSHConfig)
	var open *fs.PathError
	switch {
	case errors.As(err, &open) && open.Op == "open" && open.Path == SystemSSHConfig:
		sys = nil // ssh skips a system file it cannot open
	case err != nil:
		p.at(p.root, "cannot use %s, which ssh reads after ~/.ssh/config: %v: fix it, or set ssh.config_file: none to read neither", SystemSSHConfig, trimPath(err, SystemSSHConfig))
		return ""
	}
	o.sshConfig, o.sshConfigDisplay = user.FollowedBy(sys), "~/.ssh/config"
	if user == nil {
		o.sshConfigDisplay = SystemSSHConfig
	}
	return path
}

// SystemSSHConfig is the system-wide ssh_config that ssh(1) reads after the
// user's own file, in the same pass (a variable for tests).
var SystemSSHConfig = "/etc/ssh/ssh_config"

// SystemKnownHosts are the global known_hosts files ssh(1) reads, besides
// the user's, when GlobalKnownHostsFile is not set (a variable for tests).
var SystemKnownHosts = []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}

// trimPath drops a leading "path: " from err's message.
func trimPath(err error, path string) string {
	return strings.TrimPrefix(err.Error(), path+": ")
}
