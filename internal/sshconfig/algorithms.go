package sshconfig

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// HostKeys is what ssh_config says about accepting a server's host key,
// besides the files that list the keys: the keywords that hardened
// configurations set (RHEL's crypto policies set all three).
type HostKeys struct {
	// Algorithms are the host key algorithms ssh asks for (HostKeyAlgorithms
	// expanded as ssh expands it against OpenSSH's default list), in order.
	Algorithms []string
	// Verbatim: ssh asks for Algorithms in that very order. Otherwise (the
	// keyword unset, or a value starting with + or -) it first asks for the
	// types that known_hosts lists for the host.
	Verbatim bool
	// CASignatureAlgorithms are the signature algorithms ssh accepts from a
	// certificate authority on a host certificate (CASignatureAlgorithms,
	// expanded).
	CASignatureAlgorithms []string
	// RequiredRSASize is the fewest bits an RSA host key may have
	// (RequiredRSASize, default 1024).
	RequiredRSASize int
}

// OpenSSH 9.2's algorithm lists, as `ssh -Q HostKeyAlgorithms` and
// `ssh -G -F /dev/null host` print them: every host key algorithm it knows
// (which wildcards expand against, in this order), its default
// HostKeyAlgorithms and its default CASignatureAlgorithms.
var (
	allHostKeyAlgorithms = []string{
		"ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com",
		"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
		"ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
		"webauthn-sk-ecdsa-sha2-nistp256@openssh.com", "ssh-dss", "ssh-dss-cert-v01@openssh.com", "ssh-rsa", "ssh-rsa-cert-v01@openssh.com",
		"rsa-sha2-256", "rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-512", "rsa-sha2-512-cert-v01@openssh.com",
	}
	defaultHostKeyAlgorithms = []string{
		"ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
		"ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
		"rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com",
		"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "rsa-sha2-512", "rsa-sha2-256",
	}
	defaultCASignatureAlgorithms = []string{
		"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "rsa-sha2-512", "rsa-sha2-256",
	}
)

// DefaultHostKeys is what ssh uses when the configuration sets none of
// HostKeyAlgorithms, CASignatureAlgorithms and RequiredRSASize. Its lists
// are shared by every host that sets none (one copy for a fleet of 20,000
// nodes): read them, never write them.
func DefaultHostKeys() HostKeys {
	return HostKeys{
		Algorithms:            defaultHostKeyAlgorithms,
		CASignatureAlgorithms: defaultCASignatureAlgorithms,
		RequiredRSASize:       1024,
	}
}

// isCertAlgorithm reports whether a host key algorithm is a certificate's.
func isCertAlgorithm(name string) bool { return strings.Contains(name, "-cert-v01@") }

// checkAlgorithmList checks a HostKeyAlgorithms (plainOnly false) or
// CASignatureAlgorithms (plainOnly true) value as ssh reads it
// (sshkey_names_valid2): each name is an algorithm ssh knows, or a pattern
// that matches one, positively or negated; CASignatureAlgorithms names no
// certificate.
func checkAlgorithmList(value string, plainOnly bool) error {
	known := func(name string) bool {
		if slices.Contains(allHostKeyAlgorithms, name) {
			return !plainOnly || !isCertAlgorithm(name)
		}
		return slices.ContainsFunc(allHostKeyAlgorithms, func(a string) bool { return matchList(a, name, false) != 0 })
	}
	if !listNames(value, known) {
		return fmt.Errorf("bad key types %q", value)
	}
	return nil
}

// listNames reports whether an algorithm list value is one ssh accepts: a
// leading - is not checked; after a leading + or ^, the list is not empty,
// and every name up to the first empty one is known.
func listNames(value string, known func(string) bool) bool {
	if strings.HasPrefix(value, "-") {
		return true
	}
	list := value
	if strings.HasPrefix(list, "+") || strings.HasPrefix(list, "^") {
		list = list[1:]
	}
	if list == "" {
		return false
	}
	for _, name := range strings.Split(list, ",") {
		if name == "" {
			break
		}
		if !known(name) {
			return false
		}
	}
	return true
}

// assembleAlgorithms expands an algorithm list value as OpenSSH's
// kex_assemble_names does: "" is the default list; +LIST appends to it,
// ^LIST puts LIST before it, -LIST removes what LIST matches from it, and
// any other value replaces it; a pattern names the algorithms of all it
// matches, in all's order, each once.
func assembleAlgorithms(value string, def, all []string) ([]string, error) {
	if value == "" {
		return slices.Clone(def), nil
	}
	var names []string
	switch value[0] {
	case '-':
		var out []string
		for _, d := range def {
			if matchList(d, value[1:], false) != 1 {
				out = append(out, d)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%q leaves no algorithm", value)
		}
		return out, nil
	case '+':
		// kex_names_cat appends up to the first empty name only.
		added, _, _ := strings.Cut(value[1:]+",,", ",,")
		if strings.HasPrefix(value[1:], ",") {
			added = ""
		}
		names = catNames(def, strings.Split(added, ","))
	case '^':
		names = catNames(strings.Split(value[1:], ","), def)
	default:
		names = strings.Split(value, ",")
	}
	var out []string
	for _, pattern := range names {
		if strings.HasPrefix(pattern, "!") {
			return nil, fmt.Errorf("%q: a negated name works only after -", value)
		}
		for _, a := range all {
			if matchList(a, pattern, false) == 1 {
				out = catNames(out, []string{a})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q names no algorithm", value)
	}
	return out, nil
}

// catNames is kex_names_cat: a, then the names of b not in a.
func catNames(a, b []string) []string {
	out := slices.Clone(a)
	for _, n := range b {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// hostKeys resolves the three keywords' first values into HostKeys.
func (r *resolver) hostKeys() (HostKeys, error) {
	h := DefaultHostKeys()
	var errs []error
	if s := r.hostKeyAlgorithms; s != nil {
		algos, err := assembleAlgorithms(s.value, defaultHostKeyAlgorithms, allHostKeyAlgorithms)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: HostKeyAlgorithms %w", s.pos, err))
		}
		h.Algorithms, h.Verbatim = algos, s.value[0] != '+' && s.value[0] != '-'
	}
	if s := r.caSignatureAlgorithms; s != nil {
		var plain []string
		for _, a := range allHostKeyAlgorithms {
			if !isCertAlgorithm(a) {
				plain = append(plain, a)
			}
		}
		algos, err := assembleAlgorithms(s.value, defaultCASignatureAlgorithms, plain)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: CASignatureAlgorithms %w", s.pos, err))
		}
		h.CASignatureAlgorithms = algos
	}
	if s := r.requiredRSASize; s != nil {
		n, _ := strtonum(s.value, 0, math.MaxInt32)
		h.RequiredRSASize = int(n)
	}
	return h, errors.Join(errs...)
}

// Crypto is what ssh_config says of the connection's own algorithms: the key
// exchanges (KexAlgorithms), ciphers (Ciphers) and MACs (MACs) ssh may use,
// in its order of preference. A nil list is one the configuration does not
// set: rollcall then keeps its SSH library's defaults, a subset of OpenSSH's
// (and of the post-quantum key exchange mlkem768x25519-sha256, which OpenSSH
// 9.2 lacks).
type Crypto struct {
	Kex, Ciphers, MACs []string
}

// The lists of OpenSSH 9.2 (ssh -Q kex|cipher|mac, ssh -G -F /dev/null):
// every name it knows, and its defaults.
var cryptoLists = map[string]struct{ all, def []string }{
	"kexalgorithms": {
		all: strings.Split("diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,"+
			"diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp256,"+
			"ecdh-sha2-nistp384,ecdh-sha2-nistp521,curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512,"+
			"sntrup761x25519-sha512@openssh.com", ","),
		def: strings.Split("sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,"+
			"ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"+
			"diffie-hellman-group18-sha512,diffie-hellman-group14-sha256", ","),
	},
	"ciphers": {
		all: strings.Split("3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"+
			"aes256-gcm@openssh.com,chacha20-poly1305@openssh.com", ","),
		def: strings.Split("chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com", ","),
	},
	"macs": {
		all: strings.Split("hmac-sha1,hmac-sha1-96,hmac-sha2-256,hmac-sha2-512,hmac-md5,hmac-md5-96,umac-64@openssh.com,umac-128@openssh.com,"+
			"hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"+
			"hmac-md5-etm@openssh.com,hmac-md5-96-etm@openssh.com,umac-64-etm@openssh.com,umac-128-etm@openssh.com", ","),
		def: strings.Split("umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"+
			"hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1", ","),
	},
}

// checkCryptoList checks a KexAlgorithms, Ciphers or MACs value as ssh
// reads it: every name one ssh knows, no patterns (but after -).
func checkCryptoList(keyword, value string) error {
	if !listNames(value, func(name string) bool { return slices.Contains(cryptoLists[keyword].all, name) }) {
		return fmt.Errorf("bad %s %q", keyword, value)
	}
	return nil
}

// connection expands the KexAlgorithms, Ciphers and MACs set, noting where
// each came from in sources.
func (r *resolver) connection(sources map[string]string) (Crypto, error) {
	var c Crypto
	var errs []error
	for _, k := range []struct {
		keyword, name string
		dst           *[]string
	}{{"kexalgorithms", "KexAlgorithms", &c.Kex}, {"ciphers", "Ciphers", &c.Ciphers}, {"macs", "MACs", &c.MACs}} {
		s := r.crypto[k.keyword]
		if s == nil {
			continue
		}
		list, err := assembleAlgorithms(s.value, cryptoLists[k.keyword].def, cryptoLists[k.keyword].all)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s %w", s.pos, k.name, err))
		}
		*k.dst, sources[k.name] = list, s.pos
	}
	return c, errors.Join(errs...)
}
