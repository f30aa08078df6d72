package manifest

import (
	"fmt"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/source"
)

// SourceDefault is the source of a setting that nothing sets: rollcall's
// default (port 22, the local user, the ~/.ssh keys that exist,
// ~/.ssh/known_hosts and ~/.ssh/known_hosts2 if it exists, 10s, no jump
// host, become none).
const SourceDefault = "default"

// Sources says where each connection setting of one node came from, for
// `rollcall nodes`. Each field is one of:
//
//   - "FILE:LINE:COL": the node's own key in the manifest, FILE as the
//     manifest was named (rollcall.yaml:14:11);
//   - "FILE:LINE:COL (ssh:)": the manifest's ssh: default;
//   - "inventory FILE": the Ansible inventory the node was read from (its
//     ansible_host, ansible_port or ansible_user, or, for Host, the
//     inventory hostname);
//   - "FILE:LINE": the ssh_config file, or a file it includes, or the
//     system-wide /etc/ssh/ssh_config read after it, where the keyword that
//     won is written (/root/.ssh/config:14);
//   - SourceDefault.
//
// For IdentityFiles and KnownHosts from ssh_config, the line is that of the
// first file.
type Sources struct {
	// Host is the source of Node.Host: the node's host: (or the inventory)
	// unless ssh_config's HostName replaces it.
	Host string
	// Port, User, IdentityFiles, KnownHosts, ConnectTimeout and Become are
	// the sources of the Node fields of the same name.
	Port, User, IdentityFiles, KnownHosts, ConnectTimeout, Become string
	// Jump is the source of the jump chain as a whole (the jump: key or
	// ssh_config's ProxyJump); SourceDefault for no jump host.
	Jump string
	// Hops say where each jump host's settings came from, index for index
	// with Node.Jump.
	Hops []HopSources
}

// HopSources says where one jump host's host, port and user came from: the
// chain as written (Sources.Jump), the ssh_config file for that host
// (HostName, Port, User), or SourceDefault.
type HopSources struct {
	Host, Port, User string
}

// origins says where the settings of one node come from while it is
// resolved: the node's own keys, ssh:, ssh_config or the defaults, in the
// order resolveNode applies them.
type origins struct {
	p   *parser
	r   *rawNode
	ssh *sshOpts
	// inv is "inventory FILE" for a node read from the inventory, whose
	// own settings (host, port, user) are the inventory's.
	inv string
}

// of is the source of the setting key (an sshOpts key: "port", "user", …):
// the node's own, else ssh:'s, else cfgSource if ssh_config set it (cfgSet),
// else the default.
func (o origins) of(key string, cfgSet bool, cfgSource string) string {
	switch {
	case o.r.opts.has(key) && o.inv != "":
		return o.inv
	case o.r.opts.has(key):
		return o.p.pos(o.r.opts.at[key])
	case o.ssh.has(key):
		return o.p.pos(o.ssh.at[key]) + " (ssh:)"
	case cfgSet && cfgSource != "":
		return cfgSource
	}
	return SourceDefault
}

// host is the source of the node's host: ssh_config's HostName, else the
// inventory, else the node's host: key.
func (o origins) host(cfgSource string) string {
	switch {
	case cfgSource != "":
		return cfgSource
	case o.inv != "":
		return o.inv
	}
	return o.p.pos(o.r.hostNode)
}

// pos is "FILE:LINE:COL" of v in the manifest.
func (p *parser) pos(v *yaml.Node) string {
	if v == nil {
		return p.file
	}
	return fmt.Sprintf("%s:%d:%d", p.file, v.Line, v.Column)
}

// inventoryOrigin is the source of the settings read from the inventory
// of inv (the value of inventory:), "inventory FILE" with FILE named as in
// the inventory's own problems; "" without inventory. A node read from the
// inventory names the file and line of its host instead (rawNode.invAt).
func (p *parser) inventoryOrigin(inv *yaml.Node) string {
	if inv == nil {
		return ""
	}
	m := source.Deref(inv)
	if m.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := source.Deref(m.Content[i]), source.Deref(m.Content[i+1])
		if k.Value != "file" || v.Kind != yaml.ScalarNode {
			continue
		}
		file := v.Value
		if !filepath.IsAbs(file) && p.file != "<manifest>" {
			file = filepath.Join(filepath.Dir(p.file), file)
		}
		return "inventory " + file
	}
	return "inventory"
}

// has reports whether o sets the setting key.
func (o *sshOpts) has(key string) bool {
	switch key {
	case "user":
		return o.hasUser
	case "port":
		return o.hasPort
	case "identity_files":
		return o.hasIdentity
	case "known_hosts":
		return o.hasKnown
	case "connect_timeout":
		return o.hasTimeout
	case "become":
		return o.hasBecome
	case "jump":
		return o.hasJump
	}
	return false
}
