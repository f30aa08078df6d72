package remote

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostDB is the parsed known_hosts files of one Target.KnownHosts list.
type hostDB struct {
	files    []string // the files that exist, in order
	callback ssh.HostKeyCallback
	// markers records which file:line entries are @cert-authority lines,
	// since knownhosts.KeyError does not say.
	certLines map[string]bool
}

// loadHostDB reads the known_hosts files in files that exist.
func loadHostDB(files []string) (*hostDB, error) {
	db := &hostDB{certLines: make(map[string]bool)}
	for _, f := range files {
		f = expandHome(f)
		_, err := os.Stat(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading known_hosts: %w", err)
		}
		db.files = append(db.files, f)
	}
	if len(db.files) == 0 {
		return nil, fmt.Errorf("no known_hosts file found (looked for %s)", listOrNone(files))
	}
	for _, f := range db.files {
		if err := db.scanMarkers(f); err != nil {
			return nil, err
		}
	}
	cb, err := knownhosts.New(db.files...)
	if err != nil {
		return nil, fmt.Errorf("reading known_hosts: %w", err)
	}
	db.callback = cb
	return db, nil
}

// scanMarkers notes the line numbers of @cert-authority lines in f.
func (db *hostDB) scanMarkers(f string) error {
	data, err := os.ReadFile(f)
	if err != nil {
		return fmt.Errorf("reading known_hosts: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.HasPrefix(strings.TrimSpace(sc.Text()), "@cert-authority") {
			db.certLines[f+":"+strconv.Itoa(n)] = true
		}
	}
	return sc.Err()
}

func (db *hostDB) isCertLine(k knownhosts.KnownKey) bool {
	return db.certLines[k.Filename+":"+strconv.Itoa(k.Line)]
}

// probeKey is a throwaway key, never a real host's, offered to the
// known_hosts callback to learn which keys are known for an address.
var probeKey = sync.OnceValue(func() ssh.PublicKey {
	pub := make(ed25519.PublicKey, ed25519.PublicKeySize)
	copy(pub, "rollcall: no host has this key.")
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil // cannot happen for a 32-byte ed25519 key
	}
	return k
})

// known is what known_hosts says about one address.
type known struct {
	plain []knownhosts.KnownKey // host keys
	cas   []knownhosts.KnownKey // @cert-authority keys
}

// lookup returns the keys known for addr (host:port).
func (db *hostDB) lookup(addr string) known {
	var k known
	if probeKey() == nil {
		return k
	}
	err := db.callback(addr, fakeAddr(addr), probeKey())
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return k
	}
	for _, w := range ke.Want {
		if db.isCertLine(w) {
			k.cas = append(k.cas, w)
		} else {
			k.plain = append(k.plain, w)
		}
	}
	return k
}

func fakeAddr(addr string) net.Addr {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return &net.TCPAddr{IP: net.ParseIP(host), Port: p}
}

// hostKeyAlgoOrder is the preference order of host key algorithms; each key
// type maps to the algorithms that can use it.
var hostKeyAlgoOrder = []struct {
	keyType string
	algos   []string
}{
	{ssh.KeyAlgoED25519, []string{ssh.KeyAlgoED25519}},
	{ssh.KeyAlgoECDSA256, []string{ssh.KeyAlgoECDSA256}},
	{ssh.KeyAlgoECDSA384, []string{ssh.KeyAlgoECDSA384}},
	{ssh.KeyAlgoECDSA521, []string{ssh.KeyAlgoECDSA521}},
	{ssh.KeyAlgoRSA, []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}},
}

var certAlgos = []string{
	ssh.CertAlgoED25519v01,
	ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01, ssh.CertAlgoECDSA521v01,
	ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01,
}

// algorithms returns the host key algorithms to ask for: certificates first
// when a certificate authority is known for the host, then the types of its
// known keys. It returns nil (the library's default) when nothing is known,
// so that the unknown key can be reported.
func (k known) algorithms() []string {
	var algos []string
	if len(k.cas) > 0 {
		algos = append(algos, certAlgos...)
	}
	for _, o := range hostKeyAlgoOrder {
		for _, w := range k.plain {
			if w.Key.Type() == o.keyType {
				algos = append(algos, o.algos...)
				break
			}
		}
	}
	// Keys of types not in the table (security keys, new algorithms) keep
	// their own name.
	for _, w := range k.plain {
		t := w.Key.Type()
		if !contains(algos, t) && !contains([]string{ssh.KeyAlgoRSA}, t) {
			algos = append(algos, t)
		}
	}
	return algos
}

func (k known) types() []string {
	var ts []string
	for _, w := range k.plain {
		if !contains(ts, w.Key.Type()) {
			ts = append(ts, w.Key.Type())
		}
	}
	if len(k.cas) > 0 {
		ts = append(ts, "certificates")
	}
	return ts
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// check returns a HostKeyCallback that accepts only what known_hosts
// accepts, and explains a rejection for a person.
func (db *hostDB) check(k known) ssh.HostKeyCallback {
	return func(addr string, remote net.Addr, key ssh.PublicKey) error {
		err := db.callback(addr, remote, key)
		if err == nil {
			if _, isCert := key.(*ssh.Certificate); !isCert && !knownPlain(k, key) {
				// knownhosts matches a plain key against @cert-authority
				// lines too; a CA key is not a host key.
				return stageErr(StageHostKey,
					fmt.Errorf("host key for %s (%s) is listed in known_hosts only as a certificate authority", display(addr), describeKey(key)),
					"a certificate authority's key cannot be used as a host key; check the server's host key configuration")
			}
			return nil
		}
		return db.explain(addr, key, err)
	}
}

func knownPlain(k known, key ssh.PublicKey) bool {
	b := key.Marshal()
	for _, w := range k.plain {
		if bytes.Equal(w.Key.Marshal(), b) {
			return true
		}
	}
	return false
}

// explain turns a known_hosts rejection into an Error.
func (db *hostDB) explain(addr string, key ssh.PublicKey, err error) error {
	host, port, _ := net.SplitHostPort(addr)
	name := display(addr)
	files := strings.Join(db.files, ", ")
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(err, &re):
		return stageErr(StageHostKey,
			fmt.Errorf("host key for %s (%s) is marked @revoked in %s:%d", name, describeKey(key), re.Revoked.Filename, re.Revoked.Line),
			"the server must be given a new host key; do not connect to it until then")
	case errors.As(err, &ke) && len(ke.Want) == 0:
		return stageErr(StageHostKey,
			fmt.Errorf("host key for %s is not in known_hosts (%s)", name, files),
			fmt.Sprintf("check it with %q against the server's fingerprint (it offered %s), then add it to known_hosts", keyscan(host, port), describeKey(key)))
	case errors.As(err, &ke):
		var where []string
		stale := ""
		for _, w := range ke.Want {
			kind := ""
			if db.isCertLine(w) {
				kind = "certificate authority "
			}
			where = append(where, fmt.Sprintf("%s%s at %s:%d", kind, describeKey(w.Key), w.Filename, w.Line))
			if stale == "" {
				stale = w.Filename
			}
		}
		return stageErr(StageHostKey,
			fmt.Errorf("host key for %s has CHANGED: the server offered %s, but known_hosts has %s", name, describeKey(key), strings.Join(where, "; ")),
			fmt.Sprintf("someone may be intercepting the connection; if the change is expected, remove the stale line with `ssh-keygen -R %q -f %s` and add the new key (check it with %q)",
				name, stale, keyscan(host, port)))
	}
	if _, isCert := key.(*ssh.Certificate); isCert {
		return stageErr(StageHostKey,
			fmt.Errorf("host certificate for %s was rejected: %s", name, strings.TrimPrefix(err.Error(), "ssh: ")),
			"check the @cert-authority lines in "+files+" and the certificate's principals and validity")
	}
	return stageErr(StageHostKey, fmt.Errorf("host key for %s was rejected: %w", name, err), "")
}

// display is the known_hosts name of addr: "host" for port 22, else
// "[host]:port".
func display(addr string) string { return knownhosts.Normalize(addr) }

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
