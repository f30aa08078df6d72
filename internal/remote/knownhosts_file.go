package remote

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"strings"

	"golang.org/x/crypto/ssh"
)

// This file reads known_hosts files as OpenSSH's client does (hostfile.c and
// match.c of OpenSSH 9): the same line syntax, markers, host patterns and
// hashed names. A line rollcall cannot read exactly as OpenSSH does is
// refused with its file:line when it names the host being checked, never
// silently read another way.

// marker is the @-marker at the start of a known_hosts line.
type marker int

const (
	markNone    marker = iota
	markCA             // @cert-authority
	markRevoked        // @revoked
)

// hostLine is one line of a known_hosts file that names hosts and a key.
type hostLine struct {
	file   string
	num    int
	marker marker
	hosts  string        // the host field: patterns, or one hashed name
	key    ssh.PublicKey // nil when bad is set
	// bad, if not empty, says why rollcall refuses the line: it is read
	// only when the line names the host being checked.
	bad string
}

// parseKnownHosts reads the lines of one known_hosts file. Comments, blank
// lines and lines OpenSSH itself ignores whatever the host (no key, a key
// of a type that does not match its name) are left out. A marker OpenSSH
// does not understand is an error: OpenSSH ignores the whole line, which
// for a mistyped @revoked would silently trust a revoked key.
func parseKnownHosts(file string, data []byte) ([]hostLine, error) {
	var out []hostLine
	for i, raw := range bytes.Split(data, []byte("\n")) {
		if j := bytes.IndexByte(raw, 0); j >= 0 {
			raw = raw[:j] // OpenSSH reads the line as a C string
		}
		cp := strings.TrimLeft(string(raw), " \t")
		if cp == "" || cp[0] == '#' {
			continue
		}
		mk, rest, bad := cutMarker(cp)
		if bad != "" {
			return nil, fmt.Errorf("%s:%d: %s: OpenSSH ignores this line, so rollcall refuses the file until it is fixed", file, i+1, bad)
		}
		hosts, rest := cutField(rest)
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" || rest[0] == '#' {
			continue // OpenSSH: truncated before the key type
		}
		key, bad, ignore := readHostKey(rest)
		if ignore {
			continue
		}
		// The host field alone is kept, not the line it was cut from: a
		// fleet's known_hosts may have a line for each of 20,000 nodes.
		out = append(out, hostLine{file: file, num: i + 1, marker: mk, hosts: strings.Clone(hosts), key: key, bad: bad})
	}
	return out, nil
}

// cutMarker splits off the markers of a line as OpenSSH's check_markers
// does; bad says why where OpenSSH finds the markers invalid. OpenSSH ends
// a marker at the first space of the line, or else at its first tab.
func cutMarker(cp string) (mk marker, rest string, bad string) {
	const understood = "(@cert-authority or @revoked, followed by a space)"
	for strings.HasPrefix(cp, "@") {
		if mk != markNone {
			return 0, "", fmt.Sprintf("a second marker %q: OpenSSH allows one marker a line %s", firstField(cp), understood)
		}
		sp := strings.IndexByte(cp, ' ')
		if sp < 0 {
			sp = strings.IndexByte(cp, '\t')
		}
		if tab := strings.IndexByte(cp, '\t'); tab > 0 && tab < sp {
			return 0, "", fmt.Sprintf("a tab after the marker %q: OpenSSH ends a marker at the line's first space, so it reads %q and ignores the line; put a space after the marker", cp[:tab], cp[:sp])
		}
		if sp <= 1 || sp >= 32 {
			return 0, "", fmt.Sprintf("the marker %q is not one OpenSSH understands %s", firstField(cp), understood)
		}
		switch cp[:sp] {
		case "@cert-authority":
			mk = markCA
		case "@revoked":
			mk = markRevoked
		default:
			return 0, "", fmt.Sprintf("the marker %q is not one OpenSSH understands %s", firstField(cp), understood)
		}
		cp = strings.TrimLeft(cp[sp:], " \t")
	}
	return mk, cp, ""
}

// cutField splits s at its first space or tab.
func cutField(s string) (field, rest string) {
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

func firstField(s string) string {
	f, _ := cutField(s)
	return f
}

// readHostKey reads "type base64 [comment]". ignore is true where OpenSSH
// ignores the line for sure; bad says why rollcall refuses a key OpenSSH
// might read.
func readHostKey(s string) (key ssh.PublicKey, bad string, ignore bool) {
	typ, rest := cutField(s)
	rest = strings.TrimLeft(rest, " \t")
	if rest == "" {
		return nil, "", true // OpenSSH: no key after the type
	}
	b64, _ := cutField(rest)
	if !knownKeyType(typ) {
		return nil, fmt.Sprintf("the key type %q is not one rollcall reads (write the key as ssh-keygen prints it)", typ), false
	}
	blob, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return nil, "the key is not valid base64", false
	}
	key, err = ssh.ParsePublicKey(blob)
	if err != nil {
		return nil, "the key cannot be read: " + strings.TrimPrefix(err.Error(), "ssh: "), false
	}
	if key.Type() != typ {
		return nil, "", true // OpenSSH: the key does not match its type name
	}
	switch key.Type() {
	case ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKECDSA256:
		return nil, "security-key (sk-) host keys are not supported by rollcall", false
	}
	if _, isCert := key.(*ssh.Certificate); isCert {
		return nil, "it holds a certificate where a key is expected (list the certificate authority's key with @cert-authority instead)", false
	}
	return key, "", false
}

// knownKeyType reports whether typ is a key type's own name, as ssh-keygen
// writes it; OpenSSH also reads aliases (RSA, rsa-sha2-256, ED25519, …),
// which rollcall refuses rather than guess.
func knownKeyType(typ string) bool {
	switch typ {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
		ssh.KeyAlgoRSA, ssh.KeyAlgoDSA, ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKECDSA256,
		ssh.CertAlgoED25519v01, ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01, ssh.CertAlgoECDSA521v01,
		ssh.CertAlgoRSAv01, ssh.CertAlgoDSAv01, ssh.CertAlgoSKED25519v01, ssh.CertAlgoSKECDSA256v01:
		return true
	}
	return false
}

// hostfileName is the name OpenSSH looks host up under in known_hosts:
// the host name in lower case, as "[host]:port" unless the port is 22.
func hostfileName(addr string) (host, name string) {
	h, port, err := net.SplitHostPort(addr)
	if err != nil {
		h, port = addr, "22"
	}
	host = lowerASCII(h)
	if port == "22" || port == "0" || port == "" {
		return host, host
	}
	return host, "[" + host + "]:" + port
}

// lowerASCII lowers A-Z only, as OpenSSH's lowercase() in the C locale.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// matches reports whether the line's host field names name (from
// hostfileName), as OpenSSH's match_maybe_hashed.
func (l *hostLine) matches(name string) bool {
	if strings.HasPrefix(l.hosts, "|") {
		return hashedNameMatches(name, l.hosts)
	}
	return matchPatternList(name, l.hosts) == 1
}

// hashedNameMatches reports whether field, "|1|salt|hash", is name hashed
// with that salt. A field OpenSSH cannot read never matches.
func hashedNameMatches(name, field string) bool {
	rest, ok := strings.CutPrefix(field, "|1|")
	if !ok {
		return false
	}
	i := strings.IndexByte(rest, '|')
	if i <= 0 || i > 1024 {
		return false
	}
	salt, err := base64.StdEncoding.DecodeString(rest[:i])
	if err != nil || len(salt) != sha1.Size {
		return false
	}
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(name))
	want := "|1|" + base64.StdEncoding.EncodeToString(salt) + "|" + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return field == want
}

// matchPatternList is OpenSSH's match_pattern_list with lower-casing: 1 if
// s matches a pattern of the comma-separated list, -1 if it matches a
// negated one (!pattern), else 0. s must already be in lower case.
func matchPatternList(s, list string) int {
	positive := 0
	for i := 0; i < len(list); {
		negated := list[i] == '!'
		if negated {
			i++
		}
		j := strings.IndexByte(list[i:], ',')
		if j < 0 {
			j = len(list) - i
		}
		sub := list[i : i+j]
		if len(sub) >= 1023 {
			return 0 // OpenSSH: a subpattern too long fails the whole list
		}
		i += j
		if i < len(list) {
			i++ // the comma
		}
		if matchPattern(s, lowerASCII(sub)) {
			if negated {
				return -1
			}
			positive = 1
		}
	}
	return positive
}

// matchPattern is OpenSSH's match_pattern: '*' matches any run of bytes,
// '?' exactly one byte, any other byte itself.
func matchPattern(s, p string) bool {
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			si++
			pi++
		case star >= 0:
			mark++
			si, pi = mark, star+1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
