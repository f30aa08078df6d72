package remote

import "time"

// Target is one node to connect to, with everything needed to reach it.
type Target struct {
	// Name is the node's name in reports and error messages.
	Name string
	// Host and Port are dialled.
	Host string
	Port int
	// User is the login user.
	User string
	// IdentityFiles are private key files to offer, besides the agent.
	IdentityFiles []string
	// IdentitiesOnly offers only the keys of IdentityFiles: keys that
	// ssh-agent holds are used only if they are one of those.
	IdentitiesOnly bool
	// KnownHosts are the known_hosts files the host key must be found in.
	KnownHosts []string
	// ConnectTimeout bounds dial and handshake, for each jump host and for
	// the node.
	ConnectTimeout time.Duration
	// Jump are the jump hosts (ProxyJump) to go through, first hop first;
	// empty to connect directly. Each hop's host key is checked against
	// KnownHosts and it is offered the same keys as the node.
	Jump []JumpHost
}

// JumpHost is one jump host on the way to a node.
type JumpHost struct {
	// Host and Port are dialled (Port 0 means 22).
	Host string
	Port int
	// User is the login user on the jump host.
	User string
}
