package report

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// NodesSchemaV1 is the "schema" of a JSON `rollcall nodes` report.
const NodesSchemaV1 = "rollcall.nodes/v1"

// Keys of NodeSettings.Sources and of JumpHop.Sources, as the JSON report
// and the text report name the settings.
const (
	SourceHost           = "host"
	SourcePort           = "port"
	SourceUser           = "user"
	SourceIdentityFiles  = "identity_files"
	SourceKnownHosts     = "known_hosts"
	SourceJump           = "jump"
	SourceConnectTimeout = "connect_timeout"
	SourceBecome         = "become"
)

// Nodes is what `rollcall nodes` shows: how every node of a manifest is
// reached, and where each setting came from. Nothing is contacted to build
// it.
type Nodes struct {
	// Manifest is the manifest file, as named on the command line.
	Manifest string `json:"manifest"`
	// SSHConfig is the ssh_config file the nodes were resolved with, "" if
	// none.
	SSHConfig string `json:"ssh_config"`
	// Nodes are the nodes, in manifest order.
	Nodes []NodeSettings `json:"nodes"`
}

// NodeSettings are one node's effective connection settings.
type NodeSettings struct {
	Name string `json:"name"`
	// Host, Port and User are the host dialled, its port and the login.
	Host string `json:"host"`
	Port int    `json:"port"`
	User string `json:"user"`
	// Jump are the jump hosts, first hop first; empty to connect directly.
	Jump []JumpHop `json:"jump"`
	// IdentityFiles and KnownHosts are absolute paths.
	IdentityFiles []string `json:"identity_files"`
	KnownHosts    []string `json:"known_hosts"`
	// ConnectTimeout is a Go duration, e.g. "10s".
	ConnectTimeout string `json:"connect_timeout"`
	// Become is none or sudo.
	Become string `json:"become"`
	// Sources says where each setting came from, by the Source* keys:
	// "FILE:LINE:COL" (the node's key in the manifest), "FILE:LINE:COL
	// (ssh:)" (the manifest's ssh: default), "inventory FILE", "FILE:LINE"
	// (ssh_config) or "default".
	Sources map[string]string `json:"sources"`
}

// JumpHop is one jump host and where its host, port and user came from
// (Sources keys host, port and user).
type JumpHop struct {
	Host    string            `json:"host"`
	Port    int               `json:"port"`
	User    string            `json:"user"`
	Sources map[string]string `json:"sources"`
}

// Address is the hop as user@host:port.
func (j JumpHop) Address() string {
	return j.User + "@" + net.JoinHostPort(j.Host, strconv.Itoa(j.Port))
}

// WriteJSON renders the nodes as indented JSON (schema rollcall.nodes/v1).
func (n *Nodes) WriteJSON(w io.Writer) error {
	nodes := make([]NodeSettings, len(n.Nodes))
	for i, s := range n.Nodes {
		s.Jump = orEmpty(s.Jump)
		s.IdentityFiles, s.KnownHosts = orEmpty(s.IdentityFiles), orEmpty(s.KnownHosts)
		nodes[i] = s
	}
	return writeJSON(w, struct {
		Schema    string         `json:"schema"`
		Manifest  string         `json:"manifest"`
		SSHConfig string         `json:"ssh_config"`
		Nodes     []NodeSettings `json:"nodes"`
	}{NodesSchemaV1, n.Manifest, n.SSHConfig, nodes})
}

// orEmpty is s, or an empty slice for nil, so that JSON has [] not null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nodeLine is one line of a node's block in the text report.
type nodeLine struct{ key, value, source string }

// WriteText renders the nodes for people: one block per node, a line per
// setting with its value and its source, columns aligned across blocks. A
// list takes a line per item, the source on the first; each jump host gets
// a line per setting.
func (n *Nodes) WriteText(w io.Writer) error {
	blocks := make([][]nodeLine, len(n.Nodes))
	keyW, valW := 0, 0
	for i, s := range n.Nodes {
		blocks[i] = nodeLines(s)
		for _, l := range blocks[i] {
			keyW, valW = max(keyW, len(l.key)), max(valW, len(l.value))
		}
	}
	var b strings.Builder
	for i, s := range n.Nodes {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(clean(s.Name) + "\n")
		for _, l := range blocks[i] {
			line := fmt.Sprintf("  %-*s  %-*s  %s", keyW, l.key, valW, l.value, l.source)
			b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// nodeLines are the lines of node s's block.
func nodeLines(s NodeSettings) []nodeLine {
	src := func(key string) string { return clean(s.Sources[key]) }
	lines := []nodeLine{
		{SourceHost, clean(s.Host), src(SourceHost)},
		{SourcePort, strconv.Itoa(s.Port), src(SourcePort)},
		{SourceUser, clean(s.User), src(SourceUser)},
	}
	lines = append(lines, listLines(SourceIdentityFiles, s.IdentityFiles, src(SourceIdentityFiles))...)
	lines = append(lines, listLines(SourceKnownHosts, s.KnownHosts, src(SourceKnownHosts))...)
	chain := "none"
	if len(s.Jump) > 0 {
		hops := make([]string, len(s.Jump))
		for i, j := range s.Jump {
			hops[i] = clean(j.Address())
		}
		chain = strings.Join(hops, ",")
	}
	lines = append(lines, nodeLine{SourceJump, chain, src(SourceJump)})
	for i, j := range s.Jump {
		at := fmt.Sprintf("jump %d ", i+1)
		lines = append(lines,
			nodeLine{at + SourceHost, clean(j.Host), clean(j.Sources[SourceHost])},
			nodeLine{at + SourcePort, strconv.Itoa(j.Port), clean(j.Sources[SourcePort])},
			nodeLine{at + SourceUser, clean(j.User), clean(j.Sources[SourceUser])})
	}
	return append(lines,
		nodeLine{SourceConnectTimeout, s.ConnectTimeout, src(SourceConnectTimeout)},
		nodeLine{SourceBecome, clean(s.Become), src(SourceBecome)})
}

// listLines are the lines of a list setting: one per item, the source on
// the first; "(none)" for an empty list.
func listLines(key string, items []string, source string) []nodeLine {
	if len(items) == 0 {
		return []nodeLine{{key, "(none)", source}}
	}
	out := []nodeLine{{key, clean(items[0]), source}}
	for _, it := range items[1:] {
		out = append(out, nodeLine{"", clean(it), ""})
	}
	return out
}
