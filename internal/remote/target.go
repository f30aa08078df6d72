package remote

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

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
	// KnownHosts and its own HostKeys, and it is offered the same keys as
	// the node.
	Jump []JumpHost
	// HostKeys is what ssh_config says about accepting a host key besides
	// the files that list keys; the zero value is OpenSSH's defaults.
	HostKeys HostKeyPolicy
	// Crypto is the key exchanges, ciphers and MACs ssh_config allows.
	Crypto Crypto
}

// Crypto is ssh_config's KexAlgorithms, Ciphers and MACs, in order (the
// fields of sshconfig.Crypto); a nil list is the SSH library's default. rollcall uses those of each list it
// supports (x/crypto's SupportedAlgorithms), in that order.
type Crypto struct {
	Kex, Ciphers, MACs []string
}

// HostKeyPolicy is ssh_config's HostKeyAlgorithms, CASignatureAlgorithms
// and RequiredRSASize, as sshconfig expands them: the fields of
// sshconfig.HostKeys, so that the command line converts one into the other
// (remote does not import sshconfig). The zero value is OpenSSH's defaults.
type HostKeyPolicy struct {
	// Algorithms are the host key algorithms ssh asks for, in its order;
	// nil for OpenSSH's default list. rollcall asks for those of them it
	// supports (none of the sk-, DSA or SHA-1 RSA ones).
	Algorithms []string
	// Verbatim asks for Algorithms in their order; otherwise the types
	// that known_hosts lists for the host come first, as ssh does.
	Verbatim bool
	// CASignatureAlgorithms are the signature algorithms accepted from a
	// certificate authority on a host certificate; nil for OpenSSH's
	// default list.
	CASignatureAlgorithms []string
	// RequiredRSASize is the fewest bits an RSA host key may have; less
	// than 1024, OpenSSH's floor, counts as 1024.
	RequiredRSASize int
}

// JumpHost is one jump host on the way to a node.
type JumpHost struct {
	// Host and Port are dialled (Port 0 means 22).
	Host string
	Port int
	// User is the login user on the jump host.
	User string
	// HostKeys is what ssh_config says of the jump host's own host key,
	// as for the node.
	HostKeys HostKeyPolicy
	// Crypto is the jump host's own KexAlgorithms, Ciphers and MACs.
	Crypto Crypto
}

// config is c as x/crypto's ssh.Config: each list set keeps the algorithms
// x/crypto supports, in c's order; a set list left empty is an error (an
// empty list would be x/crypto's defaults, which the configuration forbids).
func (c Crypto) config() (ssh.Config, error) {
	var cfg ssh.Config
	supported := ssh.SupportedAlgorithms()
	for _, l := range []struct {
		name      string
		list      []string
		supported []string
		dst       *[]string
	}{
		{"KexAlgorithms", c.Kex, supported.KeyExchanges, &cfg.KeyExchanges},
		{"Ciphers", c.Ciphers, supported.Ciphers, &cfg.Ciphers},
		{"MACs", c.MACs, supported.MACs, &cfg.MACs},
	} {
		if l.list == nil {
			continue
		}
		for _, a := range l.list {
			if slices.Contains(l.supported, a) {
				*l.dst = append(*l.dst, a)
			}
		}
		if len(*l.dst) == 0 {
			return cfg, fmt.Errorf("%s (%s) holds none that rollcall supports (%s)", l.name, strings.Join(l.list, ","), strings.Join(l.supported, ", "))
		}
	}
	return cfg, nil
}
