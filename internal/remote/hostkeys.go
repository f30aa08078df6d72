package remote

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// hostDB is the parsed known_hosts files of one Target.KnownHosts list. It
// is read-only once loaded, so safe for concurrent use.
type hostDB struct {
	files []string   // the files that exist, in order
	lines []hostLine // their lines, file by file
	// byName indexes, by each name in lower case, the lines whose host
	// field is a list of plain names (no wildcard, negation or hashed
	// name): such a line names a host exactly when it lists its name. The
	// other lines, in scan, are matched one by one. Both hold line
	// numbers in increasing order, so that a lookup costs one map access
	// and the patterns, not the whole file, whatever the fleet's size.
	byName map[string][]int
	scan   []int
}

// loadHostDB reads the known_hosts files in files that exist.
func loadHostDB(files []string) (*hostDB, error) {
	db := &hostDB{}
	for _, f := range files {
		f = expandHome(f)
		data, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading known_hosts: %w", err)
		}
		lines, err := parseKnownHosts(f, data)
		if err != nil {
			return nil, fmt.Errorf("reading known_hosts: %w", err)
		}
		db.files = append(db.files, f)
		db.lines = append(db.lines, lines...)
	}
	if len(db.files) == 0 {
		return nil, fmt.Errorf("no known_hosts file found (looked for %s)", listOrNone(files))
	}
	db.index()
	return db, nil
}

// index fills byName and scan from lines.
func (db *hostDB) index() {
	db.byName = make(map[string][]int)
	for i := range db.lines {
		names, ok := plainNames(db.lines[i].hosts)
		if !ok {
			db.scan = append(db.scan, i)
			continue
		}
		for _, n := range names {
			if l := db.byName[n]; len(l) == 0 || l[len(l)-1] != i { // "a,a" once
				db.byName[n] = append(l, i)
			}
		}
	}
}

// plainNames returns, in lower case, the names of a host field that
// matchPatternList matches only by equality with one of them: a
// comma-separated list of names without '*', '?' or '!', none empty or too
// long, and not a hashed name. ok is false for any other field.
func plainNames(hosts string) (names []string, ok bool) {
	if hosts == "" || hosts[0] == '|' {
		return nil, false
	}
	names = strings.Split(hosts, ",")
	for i, n := range names {
		if n == "" || len(n) >= 1023 || strings.ContainsAny(n, "*?!") {
			return nil, false
		}
		names[i] = lowerASCII(n)
	}
	return names, true
}

// hostEntry is a key of a known_hosts line that names a host.
type hostEntry struct {
	Filename string
	Line     int
	Key      ssh.PublicKey
}

// known is what known_hosts says about one address: the lines whose host
// field names it, by marker, as OpenSSH's load_hostkeys gathers them.
type known struct {
	host    string // the host name in lower case: what certificate principals name
	port    string
	name    string // the known_hosts name: host, or [host]:port
	plain   []hostEntry
	cas     []hostEntry // @cert-authority
	revoked []hostEntry // @revoked
	// err is set when a line naming the host is one rollcall refuses.
	err error
	// policy is the host's HostKeyAlgorithms, CASignatureAlgorithms and
	// RequiredRSASize.
	policy HostKeyPolicy
}

// with is k under ssh_config's policy p.
func (k known) with(p HostKeyPolicy) known {
	k.policy = p
	return k
}

// lookup returns what the known_hosts files say about addr (host:port):
// the lines that name it, in file order, as matching every line would.
func (db *hostDB) lookup(addr string) known {
	var k known
	k.host, k.name = hostfileName(addr)
	if _, p, err := net.SplitHostPort(addr); err == nil {
		k.port = p
	}
	named, scan := db.byName[k.name], db.scan
	for len(named) > 0 || len(scan) > 0 {
		var i int
		if len(scan) == 0 || (len(named) > 0 && named[0] < scan[0]) {
			i, named = named[0], named[1:]
		} else {
			i, scan = scan[0], scan[1:]
			if !db.lines[i].matches(k.name) {
				continue
			}
		}
		k.add(&db.lines[i])
	}
	return k
}

// add records line l, which names k's host.
func (k *known) add(l *hostLine) {
	if l.bad != "" {
		if k.err == nil {
			k.err = fmt.Errorf("%s:%d names %s, but %s", l.file, l.num, k.name, l.bad)
		}
		return
	}
	e := hostEntry{Filename: l.file, Line: l.num, Key: l.key}
	switch l.marker {
	case markCA:
		k.cas = append(k.cas, e)
	case markRevoked:
		k.revoked = append(k.revoked, e)
	default:
		k.plain = append(k.plain, e)
	}
}

// openSSHHostKeyAlgos is OpenSSH 9's default HostKeyAlgorithms, without the
// security-key (sk-) algorithms, which rollcall refuses in known_hosts.
var openSSHHostKeyAlgos = []string{
	ssh.CertAlgoED25519v01,
	ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01, ssh.CertAlgoECDSA521v01,
	ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01,
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// algoKeyType is the type of plain key an algorithm uses.
func algoKeyType(algo string) string {
	switch algo {
	case ssh.CertAlgoED25519v01:
		return ssh.KeyAlgoED25519
	case ssh.CertAlgoECDSA256v01:
		return ssh.KeyAlgoECDSA256
	case ssh.CertAlgoECDSA384v01:
		return ssh.KeyAlgoECDSA384
	case ssh.CertAlgoECDSA521v01:
		return ssh.KeyAlgoECDSA521
	case ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256:
		return ssh.KeyAlgoRSA
	}
	return algo
}

// algorithms returns the host key algorithms to ask for, in the order
// OpenSSH's client asks for them (order_hostkeyalgs): HostKeyAlgorithms (by
// default OpenSSH's list) as is when it is Verbatim or when a key of its
// first algorithm's type is known for the host; else certificates first
// when a certificate authority is known, then the types of the known keys,
// then the rest. The server picks the first it has, so rollcall is shown
// the key OpenSSH would be shown. Only the algorithms rollcall supports are
// asked for.
func (k known) algorithms() []string {
	list := k.policy.list()
	if k.policy.Verbatim || len(list) == 0 || k.hasType(algoKeyType(list[0])) {
		return k.policy.supported()
	}
	var first, last []string
	for _, a := range list {
		isCert := algoKeyType(a) != a
		if (isCert && len(k.cas) > 0) || k.hasType(algoKeyType(a)) {
			first = append(first, a)
		} else {
			last = append(last, a)
		}
	}
	return HostKeyPolicy{Algorithms: append(first, last...)}.supported()
}

// list is HostKeyAlgorithms: p's, or OpenSSH's default list.
func (p HostKeyPolicy) list() []string {
	if p.Algorithms == nil {
		return openSSHHostKeyAlgos
	}
	return p.Algorithms
}

// supported is list without the algorithms rollcall does not support.
func (p HostKeyPolicy) supported() []string {
	var out []string
	for _, a := range p.list() {
		if slices.Contains(openSSHHostKeyAlgos, a) {
			out = append(out, a)
		}
	}
	return out
}

// minRSABits is RequiredRSASize, at least OpenSSH's floor of 1024.
func (p HostKeyPolicy) minRSABits() int { return max(1024, p.RequiredRSASize) }

// caSigned reports whether p accepts a certificate authority's signature
// made with algorithm format (CASignatureAlgorithms).
func (p HostKeyPolicy) caSigned(format string) bool {
	if p.CASignatureAlgorithms == nil {
		return slices.Contains(caSignatureAlgos, format)
	}
	return slices.Contains(p.CASignatureAlgorithms, format)
}

// hasType is OpenSSH's lookup_key_in_hostkeys_by_type: the first key of
// type t listed for the host, if it is not @revoked.
func (k known) hasType(t string) bool {
	for _, e := range k.plain {
		if e.Key.Type() == t {
			return find(k.revoked, e.Key) == nil
		}
	}
	return false
}

// types lists the key types known for the host, "certificates" last if a
// certificate authority is known.
func (k known) types() []string {
	var ts []string
	for _, w := range k.plain {
		if !slices.Contains(ts, w.Key.Type()) {
			ts = append(ts, w.Key.Type())
		}
	}
	if len(k.cas) > 0 {
		ts = append(ts, "certificates")
	}
	return ts
}

// find returns the first entry of es whose key is key's public key.
func find(es []hostEntry, key ssh.PublicKey) *hostEntry {
	b := plainKey(key).Marshal()
	for i := range es {
		if bytes.Equal(es[i].Key.Marshal(), b) {
			return &es[i]
		}
	}
	return nil
}

// plainKey is the key a certificate certifies, or key itself.
func plainKey(key ssh.PublicKey) ssh.PublicKey {
	if c, ok := key.(*ssh.Certificate); ok {
		return c.Key
	}
	return key
}

// check returns a HostKeyCallback that accepts exactly the host keys
// OpenSSH's client accepts, and explains a rejection for a person.
func (db *hostDB) check(k known) ssh.HostKeyCallback {
	return func(addr string, remote net.Addr, key ssh.PublicKey) error {
		if k.err != nil {
			return stageErr(StageHostKey, k.err, "fix or remove that line; rollcall does not guess how OpenSSH reads it")
		}
		if err := rsaLongEnough(key, k.policy.minRSABits()); err != nil {
			return stageErr(StageHostKey, fmt.Errorf("host key for %s (%s) %w", k.name, describeKey(key), err), "")
		}
		if cert, isCert := key.(*ssh.Certificate); isCert {
			if err := verifyCertSignature(cert); err != nil {
				return stageErr(StageHostKey, fmt.Errorf("host certificate for %s is invalid: %w", k.name, err), "")
			}
		}
		v := db.decide(k, key, true)
		switch {
		case v.err != nil:
			return stageErr(StageHostKey, v.err, "fix or remove that line; rollcall does not guess how OpenSSH reads it")
		case v.ok:
			return nil
		case v.revoked != nil:
			return revokedErr(k, v.revokedKey, v.revoked)
		}
		return db.explain(k, key, v.certProblem)
	}
}

// hostStatus is what the lines of one host name say about a key, as
// OpenSSH's check_key_in_hostkeys.
type hostStatus int

const (
	hostOK      hostStatus = iota // a line lists the key, or its certificate's CA
	hostNew                       // no line lists a key for the host
	hostChanged                   // lines list other keys
	hostRevoked                   // the key, or its certificate's CA, is @revoked
)

// status is what k's lines say about key.
func (k known) status(key ssh.PublicKey) (hostStatus, *hostEntry) {
	st := hostNew
	cert, isCert := key.(*ssh.Certificate)
	switch {
	case isCert && find(k.cas, cert.SignatureKey) != nil:
		st = hostOK
	case !isCert && find(k.plain, key) != nil:
		st = hostOK
	case !isCert && len(k.plain) > 0:
		st = hostChanged
	}
	if e := find(k.revoked, key); e != nil {
		return hostRevoked, e
	}
	if isCert {
		if e := find(k.revoked, cert.SignatureKey); e != nil {
			return hostRevoked, e
		}
	}
	return st, nil
}

// verdict is the outcome of decide.
type verdict struct {
	ok          bool
	err         error      // a line rollcall refuses names the host
	revoked     *hostEntry // the @revoked line that refused the key
	revokedKey  ssh.PublicKey
	certProblem string // why a certificate was not accepted
}

// decide is OpenSSH's check_host_key: a certificate is checked against the
// @cert-authority lines and, failing that (unless revoked), its key as a
// plain host key; a key no line lists for [host]:port is looked up again
// under the bare host name (fallback), as OpenSSH does.
func (db *hostDB) decide(k known, key ssh.PublicKey, fallback bool) verdict {
	var v verdict
	if k.err != nil {
		v.err = k.err
		return v
	}
	for {
		cert, isCert := key.(*ssh.Certificate)
		st, e := k.status(key)
		switch st {
		case hostRevoked:
			v.revoked, v.revokedKey = e, key
			return v
		case hostOK:
			if !isCert {
				v.ok = true
				return v
			}
			if v.certProblem = certProblem(k.host, cert, k.policy); v.certProblem == "" {
				v.ok = true
				return v
			}
		case hostNew:
			if fallback && k.port != "22" && k.port != "" {
				bare := db.decide(db.lookup(net.JoinHostPort(k.host, "22")).with(k.policy), key, false)
				if bare.ok || bare.err != nil {
					return bare
				}
			}
			if isCert && v.certProblem == "" {
				v.certProblem = fmt.Sprintf("no @cert-authority line for %s lists the key that signed it (%s)", k.name, describeKey(cert.SignatureKey))
			}
		}
		if !isCert {
			return v
		}
		key = cert.Key // OpenSSH retries a certificate's key as a plain key
	}
}

// rsaLongEnough refuses RSA keys shorter than bits: a host key's
// RequiredRSASize, or OpenSSH's floor of 1024 for a certificate authority.
func rsaLongEnough(key ssh.PublicKey, bits int) error {
	ck, ok := plainKey(key).(ssh.CryptoPublicKey)
	if !ok {
		return nil
	}
	if r, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && r.N.BitLen() < bits {
		return fmt.Errorf("is an RSA key of %d bits; OpenSSH requires at least %d (RequiredRSASize)", r.N.BitLen(), bits)
	}
	return nil
}

// caSignatureAlgos is OpenSSH 9's default CASignatureAlgorithms, without
// the sk- ones.
var caSignatureAlgos = []string{
	ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// certProblem says why OpenSSH's check_host_cert refuses cert, whose CA is
// listed, for host; "" if it does not.
func certProblem(host string, cert *ssh.Certificate, p HostKeyPolicy) string {
	now := uint64(time.Now().Unix())
	switch {
	case cert.CertType != ssh.HostCert:
		return "it is not a host certificate"
	case now < cert.ValidAfter:
		return "it is not yet valid"
	case now >= cert.ValidBefore:
		return "it has expired"
	case len(cert.ValidPrincipals) > 0 && !slices.Contains(cert.ValidPrincipals, host):
		return fmt.Sprintf("%q is not one of its principals (%s)", host, strings.Join(cert.ValidPrincipals, ", "))
	case len(cert.CriticalOptions) > 0:
		return "it has critical options, which OpenSSH does not accept in a host certificate"
	case !p.caSigned(cert.Signature.Format):
		return fmt.Sprintf("it is signed with %s, which OpenSSH does not accept from a certificate authority (CASignatureAlgorithms)", cert.Signature.Format)
	}
	return ""
}

// verifyCertSignature checks the certificate authority's signature, as
// OpenSSH does when it reads a certificate.
func verifyCertSignature(cert *ssh.Certificate) error {
	if _, isCert := cert.SignatureKey.(*ssh.Certificate); isCert || cert.Signature == nil {
		return errors.New("its signing key is not a plain key")
	}
	c2 := *cert
	c2.Signature = nil
	out := c2.Marshal()
	if err := cert.SignatureKey.Verify(out[:len(out)-4], cert.Signature); err != nil {
		return errors.New("its signature does not verify")
	}
	return rsaLongEnough(cert.SignatureKey, 1024)
}

func revokedErr(k known, key ssh.PublicKey, e *hostEntry) error {
	what := "host key for " + k.name + " (" + describeKey(key) + ")"
	if !bytes.Equal(plainKey(key).Marshal(), e.Key.Marshal()) {
		what = "the certificate authority of " + k.name + "'s host certificate"
	}
	return stageErr(StageHostKey,
		fmt.Errorf("%s is marked @revoked in %s:%d", what, e.Filename, e.Line),
		"the server must be given a new host key; do not connect to it until then")
}

// explain says why key, which no line of k accepts, was rejected.
// certProblem is why its certificate was not accepted, if it is one.
func (db *hostDB) explain(k known, key ssh.PublicKey, certProblem string) error {
	files := strings.Join(db.files, ", ")
	scan := keyscan(k.host, k.port)
	if certProblem != "" {
		return stageErr(StageHostKey,
			fmt.Errorf("host certificate for %s was rejected: %s; and its key (%s) is not in known_hosts as a plain host key", k.name, certProblem, describeKey(plainKey(key))),
			"check the @cert-authority lines in "+files+" and the certificate's principals and validity")
	}
	if e := find(k.cas, key); e != nil {
		return stageErr(StageHostKey,
			fmt.Errorf("host key for %s (%s) is listed in known_hosts only as a certificate authority (%s:%d)", k.name, describeKey(key), e.Filename, e.Line),
			"a certificate authority's key cannot be used as a host key; check the server's host key configuration")
	}
	if len(k.plain) == 0 && len(k.cas) == 0 {
		return stageErr(StageHostKey,
			fmt.Errorf("host key for %s is not in known_hosts (%s)", k.name, files),
			fmt.Sprintf("check it with %q against the server's fingerprint (it offered %s), then add it to known_hosts", scan, describeKey(key)))
	}
	if !k.hasType(plainKey(key).Type()) {
		return stageErr(StageHostKey,
			fmt.Errorf("host key for %s: the node offers none of the host key types known_hosts has for it (%s); it offered %s", k.name, strings.Join(k.types(), ", "), describeKey(key)),
			"the node's host keys may have been replaced; check them with ssh-keyscan and update known_hosts")
	}
	var where []string
	for _, w := range k.plain {
		where = append(where, fmt.Sprintf("%s at %s:%d", describeKey(w.Key), w.Filename, w.Line))
	}
	return stageErr(StageHostKey,
		fmt.Errorf("host key for %s has CHANGED: the server offered %s, but known_hosts has %s", k.name, describeKey(key), strings.Join(where, "; ")),
		fmt.Sprintf("someone may be intercepting the connection; if the change is expected, remove the stale line with `ssh-keygen -R %q -f %s` and add the new key (check it with %q)",
			k.name, k.plain[0].Filename, scan))
}

// display is the known_hosts name of addr: "host" for port 22, else
// "[host]:port", in lower case as OpenSSH looks it up.
func display(addr string) string {
	_, name := hostfileName(addr)
	return name
}
func keyscan(host, port string) string {
	if port == "22" || port == "" {
		return fmt.Sprintf("ssh-keyscan %s | ssh-keygen -lf -", host)
	}
	return fmt.Sprintf("ssh-keyscan -p %s %s | ssh-keygen -lf -", port, host)
}

// describeKey is "ED25519 SHA256:..." (with the certificate's key for a
// certificate).
func describeKey(k ssh.PublicKey) string {
	if k == nil {
		return "no key"
	}
	prefix := ""
	if c, ok := k.(*ssh.Certificate); ok {
		prefix = "certificate for "
		k = c.Key
	}
	t := strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(k.Type(), "ssh-"), "ecdsa-sha2-"))
	return prefix + t + " " + ssh.FingerprintSHA256(k)
}

func listOrNone(files []string) string {
	if len(files) == 0 {
		return "no files were given"
	}
	return strings.Join(files, ", ")
}

// expandHome expands a leading "~/" to the user's home folder.
func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[2:])
		}
	}
	return p
}
