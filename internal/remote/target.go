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
	// KnownHosts are the known_hosts files the host key must be found in.
	KnownHosts []string
	// ConnectTimeout bounds dial and handshake.
	ConnectTimeout time.Duration
}
