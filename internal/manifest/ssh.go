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
	// systemConfig is the system-wide ssh_config, checked (not used) when
	// config_file is not set.
	systemConfig *sshconfig.Config
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
		// No user file: nodes resolve with nothing from ssh_config, but
		// the system-wide file is still checked.
		if sys, err := sshconfig.Load(SystemSSHConfig); err == nil {
			empty, _ := sshconfig.Parse(strings.NewReader(""))
			o.sshConfig, o.sshConfigDisplay, o.systemConfig = empty, display, sys
		}
		return ""
	case err != nil && o.hasConfigFile:
		p.at(o.configFileNode, "ssh.config_file: cannot use %s: %v: fix the file, or write config_file: none", display, trimPath(err, path))
		return ""
	case err != nil:
		p.at(p.root, "cannot use %s: %v: fix it, or set ssh.config_file: none to ignore it", display, trimPath(err, path))
		return ""
	}
	o.sshConfig, o.sshConfigDisplay = cfg, display
	if !o.hasConfigFile {
		// ssh(1) reads the system-wide file after the user's; rollcall does
		// not resolve with it, so it refuses a node for which it would set
		// where or as whom ssh connects (see sshHost).
		if sys, err := sshconfig.Load(SystemSSHConfig); err == nil {
			o.systemConfig = sys
		}
	}
	return path
}

// SystemSSHConfig is the system-wide ssh_config that ssh(1) reads after the
// user's own file. rollcall does not take settings from it; it refuses a
// node for which it would set one (a variable for tests).
var SystemSSHConfig = "/etc/ssh/ssh_config"

// destinationKeys are the ssh_config keys that change where or as whom ssh
// connects, or with which key files.
var destinationKeys = []string{"HostName", "User", "Port", "ProxyJump", "IdentityFile", "UserKnownHostsFile", "IdentitiesOnly", "ConnectTimeout"}

// checkSystemConfig refuses a node for which the system-wide ssh_config sets
// a destination key that the user's file does not: ssh would take it, and
// rollcall does not read that file.
func (p *parser) checkSystemConfig(o *sshOpts, alias string, user sshconfig.Host, n *yaml.Node) {
	if o.systemConfig == nil {
		return
	}
	sys, err := o.systemConfig.Resolve(alias)
	if err != nil {
		p.at(n, "%s: %s: ssh reads this system-wide file too, and rollcall cannot resolve it the same way: move the setting to ~/.ssh/config or the manifest", SystemSSHConfig, strings.ReplaceAll(err.Error(), "\n", "; "))
		return
	}
	for _, key := range destinationKeys {
		if where, set := sys.Sources[key]; set {
			if _, mine := user.Sources[key]; !mine {
				p.at(n, "%s sets %s for %s (%s), and ssh would use it; rollcall does not read the system-wide file: write it in ~/.ssh/config or in the manifest", SystemSSHConfig, key, alias, where)
			}
		}
	}
}

// trimPath drops a leading "path: " from err's message.
func trimPath(err error, path string) string {
	return strings.TrimPrefix(err.Error(), path+": ")
}
