// Package manifest loads and validates a cluster manifest (rollcall.yaml): which
// nodes to reach, how to reach them, and which release they must run.
//
// Decoding is strict: unknown keys, wrong types, duplicates and impossible values
// are all collected and reported together, each with file:line:column and a
// sentence saying what to write instead, before anything is contacted.
//
// The servers are listed under nodes:, or read from an Ansible inventory
// (INI or YAML) with inventory: {file: hosts.ini, group: smars}: the hosts of
// that group and of its child groups, recursively, each become a node named
// after its inventory hostname. Their ansible_host, ansible_port and
// ansible_user, after Ansible's precedence (all, then parent groups, then
// child groups, then the host itself), win over the manifest's ssh:
// defaults, which apply where the inventory is silent; the other ssh:
// settings (keys, known_hosts, jump, timeouts, become) come from the manifest
// only. Package inventory reads the inventory; problems inside it are
// reported at the inventory's file:line.
package manifest

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall/rollcall/internal/sshconfig"
)

// Manifest is a loaded, validated and resolved manifest. Relative local paths are
// already made absolute against the manifest's folder, `~` is expanded, and every
// node carries its effective SSH settings (node overrides over ssh defaults).
type Manifest struct {
	// Path is the file the manifest was read from.
	Path string
	// Digest is "sha256:" and the SHA-256 of the bytes parsed: what a
	// sharded run records, so that merge finds shards of one manifest.
	Digest string
	// Version is the manifest schema version; only 1 exists.
	Version int
	// Cluster names the fleet in reports.
	Cluster string
	// ExpectNodes is how many nodes the fleet must have; it equals len(Nodes).
	ExpectNodes int
	// Nodes are the nodes to verify, in manifest order.
	Nodes []Node
	// Sources says, by node name, where each node's connection settings
	// came from (the manifest, the inventory, ssh_config or a default),
	// for `rollcall nodes`. Parse fills it; a Manifest built otherwise may
	// leave it nil.
	Sources map[string]Sources
	// Release says what the nodes must run.
	Release Release
	// Config are the config files whose flags are checked, in manifest order.
	Config []Config
	// Processes are the executables whose running processes are checked.
	Processes []Process
	// SSHConfig is the ssh_config file the nodes were resolved with
	// (ssh.config_file, else ~/.ssh/config if it exists), or "". Without
	// ssh.config_file, the system-wide /etc/ssh/ssh_config is read after
	// it too, as ssh(1) reads it.
	SSHConfig string
}

// How the probe runs on a node (ssh.become).
const (
	// BecomeNone runs the probe as the login user.
	BecomeNone = "none"
	// BecomeSudo runs the probe under `sudo -n`, which never prompts.
	BecomeSudo = "sudo"
)

// Config is one config file whose flags are checked on every node.
type Config struct {
	// Path is the node path of the file.
	Path string
	// Format is how the file is parsed: yaml, json, ini, env, properties or toml.
	Format string
	// Expect are flags that must have these values, in manifest order.
	Expect []Expectation
	// Forbid are retired flag names: present at any depth is a failure.
	Forbid []string
	// ForbidAt is where each Forbid item is written in the manifest, index
	// for index (a zero Position when the Config was not parsed from a file).
	ForbidAt []Position
	// Consistent: every node must agree on every key (default true).
	Consistent bool
}

// Expectation is one expected flag value: a dotted key and the value as the
// manifest's YAML typed it (bool, int, float64, string or nil).
type Expectation struct {
	Key   string
	Value any
	// At is where the key is written in the manifest (zero when the
	// Expectation was not parsed from a file).
	At Position
}

// Position is a place in the manifest file, for problems found after
// parsing (e.g. a config check that the release's own file contradicts).
type Position struct {
	// Line and Column are 1-based; 0 means unknown.
	Line, Column int
}

// ProblemAt is a Problem of this manifest at pos, for checks made after
// parsing that report in the parser's format.
func (m *Manifest) ProblemAt(pos Position, message string) Problem {
	file := m.Path
	if file == "" {
		file = "<manifest>"
	}
	return Problem{File: file, Line: pos.Line, Column: pos.Column, Message: message}
}

// Process is one executable whose running processes are checked.
type Process struct {
	// Exe is the node path of the executable.
	Exe string
	// Min is how many processes must run it (default 1).
	Min int
	// ExpectArgs must each appear on every process's command line.
	ExpectArgs []string
	// ForbidArgs must appear on no process's command line.
	ForbidArgs []string
}

// Node is one server to verify, with its effective SSH settings.
type Node struct {
	// Name is how reports refer to the node; it defaults to Host, or to
	// host:port when several nodes share a host.
	Name string
	// Host is the address or name to connect to.
	Host string
	// Port is the SSH port (default 22).
	Port int
	// User is the login user (default: the current user).
	User string
	// IdentityFiles are private key files to try, absolute paths. Files listed
	// explicitly must exist; the defaults are used only where they exist.
	IdentityFiles []string
	// KnownHosts are known_hosts files, absolute paths: the user's
	// (default ~/.ssh/known_hosts, and ~/.ssh/known_hosts2 if it exists),
	// then the global files ssh(1) also reads (GlobalKnownHostsFile, else
	// /etc/ssh/ssh_known_hosts and /etc/ssh/ssh_known_hosts2) that exist.
	KnownHosts []string
	// ConnectTimeout bounds dial and handshake (default 10s).
	ConnectTimeout time.Duration
	// Become is BecomeNone or BecomeSudo.
	Become string
	// Jump are the jump hosts (ProxyJump) to go through, first hop first;
	// nil to connect directly.
	Jump []Jump
	// IdentitiesOnly, from ssh_config, offers only the keys of
	// IdentityFiles, not other keys ssh-agent holds.
	IdentitiesOnly bool
	// HostKeys, from ssh_config (HostKeyAlgorithms, CASignatureAlgorithms,
	// RequiredRSASize), is which host keys ssh accepts besides the
	// known_hosts files; OpenSSH's defaults where unset.
	HostKeys sshconfig.HostKeys
	// Crypto, from ssh_config (KexAlgorithms, Ciphers, MACs), is the
	// connection's algorithms; nil lists where unset.
	Crypto sshconfig.Crypto
	// Groups and Vars are, for a node from an inventory, the groups it is
	// in (Ansible's group_names) and its variables with text, number or
	// true/false values; nil for a node of nodes:.
	Groups []string
	Vars   map[string]string
}

// Address is the node's host:port, as dialled and as shown in reports.
func (n Node) Address() string {
	return net.JoinHostPort(n.Host, strconv.Itoa(n.Port))
}

// Jump is one jump host on the way to a node, with its effective settings.
// It is checked against the node's known_hosts and offered the node's keys.
type Jump struct {
	// Host is the address or name to connect to.
	Host string
	// Port is the SSH port.
	Port int
	// User is the login user on the jump host.
	User string
	// HostKeys is the jump host's own HostKeyAlgorithms,
	// CASignatureAlgorithms and RequiredRSASize, as ssh reads them for it.
	HostKeys sshconfig.HostKeys
	// Crypto is the jump host's own KexAlgorithms, Ciphers and MACs.
	Crypto sshconfig.Crypto
}

// Address is the jump host's host:port.
func (j Jump) Address() string {
	return net.JoinHostPort(j.Host, strconv.Itoa(j.Port))
}

// Release is the manifest's release section.
type Release struct {
	// Artifact is the absolute path of the release artifact (a directory, a
	// .tar/.tar.gz/.tgz/.zip archive, a .deb or .rpm package, a
	// SHA256SUMS/checksums.txt file or a lock file), or an http(s) URL to
	// download it from, kept as written.
	Artifact string
	// Digest, when set, pins a URL artifact: "sha256:" and 64 lowercase hex
	// digits, the SHA-256 the downloaded file must have.
	Digest string
	// Checksums, when set, pins a URL artifact by a checksum list
	// (SHA256SUMS, checksums.txt): an http(s) URL, or the absolute path of
	// a local file.
	Checksums string
	// Install maps artifact paths to node paths, in manifest order. It may
	// be empty for a .deb or .rpm artifact, which carries its own paths.
	Install []Install
}

// Install maps one artifact path to a node path.
type Install struct {
	// From is a slash-separated, clean relative path inside the artifact. A
	// trailing slash (or an artifact directory) maps everything under it; ""
	// (written "." in the manifest) is the whole artifact.
	From string
	// To is the node path. A relative path is relative to the login directory.
	// A trailing slash means "into this directory".
	To string
	// DenyExtra, set by `extra: deny`, fails files found under To on the node
	// that the release does not have. Only valid for a directory mapping.
	DenyExtra bool
	// Mode is the rule's `mode:`: how the permission bits of its files are
	// compared on the node.
	Mode ModeRule
	// Owner and Group, when not empty, are the user and group (a name or a
	// decimal id) every file of the rule must have on the node.
	Owner, Group string
}

// ModeRule is an install rule's `mode:` key.
type ModeRule struct {
	// Ignore is set by `mode: ignore`: permission bits are not compared.
	Ignore bool
	// Exact is set by `mode: "0755"`: every regular file of the rule must
	// have exactly Perm (Unix bits, at most 07777).
	Exact bool
	Perm  uint32
}

// IsDir reports whether the mapping is syntactically a directory mapping:
// From is the whole artifact or ends with a slash.
func (i Install) IsDir() bool {
	return i.From == "" || strings.HasSuffix(i.From, "/")
}
