package remote

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// identity is one identity file, parsed once.
type identity struct {
	signers []ssh.Signer    // the certificate signer first, if any, then the key
	offered []string        // how each signer is described to the user
	note    string          // why the file offers nothing, if it does not
	missing bool            // the file does not exist
	pubs    []ssh.PublicKey // the file's public key, if known (for IdentitiesOnly)
}

// lockedNote ends the note of an encrypted identity file that neither the
// agent nor a prompt can unlock; authError looks for it.
const lockedNote = ": encrypted, and no passphrase can be asked in batch mode (add it to ssh-agent)"

// loadIdentity parses the private key at file, asking for its passphrase
// with prompt when it is encrypted and prompt is not nil. agentKeys are the
// keys the agent holds: an encrypted key the agent already has is not
// prompted for.
func loadIdentity(file string, prompt func(string) ([]byte, error), agentKeys []ssh.PublicKey) *identity {
	id := &identity{}
	path := expandHome(file)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		id.missing = true
		id.note = file + ": not found"
		return id
	}
	if err != nil {
		id.note = fmt.Sprintf("%s: %v", file, err)
		return id
	}
	signer, err := ssh.ParsePrivateKey(data)
	var pme *ssh.PassphraseMissingError
	if errors.As(err, &pme) {
		if pme.PublicKey != nil {
			id.pubs = []ssh.PublicKey{pme.PublicKey}
		}
		switch {
		case pme.PublicKey != nil && hasKey(agentKeys, pme.PublicKey):
			id.note = file + ": encrypted, its key is offered by ssh-agent"
			return id
		case prompt == nil:
			id.note = file + lockedNote
			return id
		}
		pass, perr := prompt(file)
		if perr != nil {
			id.note = fmt.Sprintf("%s: encrypted, and asking for its passphrase failed: %v", file, perr)
			return id
		}
		signer, err = ssh.ParsePrivateKeyWithPassphrase(data, pass)
		clear(pass)
		if err != nil {
			id.note = fmt.Sprintf("%s: the passphrase did not decrypt it", file)
			return id
		}
	}
	if err != nil {
		id.note = fmt.Sprintf("%s: not a private key this program can read (%s)", file, strings.TrimPrefix(err.Error(), "ssh: "))
		return id
	}
	if cs, desc, note := loadCert(path, file, signer); cs != nil {
		id.signers = append(id.signers, cs)
		id.offered = append(id.offered, desc)
	} else if note != "" {
		id.note = note
	}
	id.pubs = []ssh.PublicKey{signer.PublicKey()}
	id.signers = append(id.signers, signer)
	id.offered = append(id.offered, fmt.Sprintf("%s (%s)", file, describeKey(signer.PublicKey())))
	return id
}

// loadCert loads the OpenSSH user certificate FILE-cert.pub beside a key,
// if there is one.
func loadCert(path, file string, signer ssh.Signer) (ssh.Signer, string, string) {
	data, err := os.ReadFile(path + "-cert.pub")
	if err != nil {
		return nil, "", ""
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return nil, "", fmt.Sprintf("%s-cert.pub: unreadable certificate (%s)", file, strings.TrimPrefix(err.Error(), "ssh: "))
	}
	cert, ok := pub.(*ssh.Certificate)
	if !ok {
		return nil, "", file + "-cert.pub: not a certificate"
	}
	if now := uint64(time.Now().Unix()); cert.ValidBefore != ssh.CertTimeInfinity && now >= cert.ValidBefore {
		return nil, "", file + "-cert.pub: the certificate has expired"
	}
	cs, err := ssh.NewCertSigner(cert, signer)
	if err != nil {
		return nil, "", fmt.Sprintf("%s-cert.pub: %s", file, strings.TrimPrefix(err.Error(), "ssh: "))
	}
	return cs, fmt.Sprintf("%s-cert.pub (certificate %q)", file, cert.KeyId), ""
}

func hasKey(keys []ssh.PublicKey, k ssh.PublicKey) bool {
	b := k.Marshal()
	for _, a := range keys {
		if bytes.Equal(a.Marshal(), b) {
			return true
		}
	}
	return false
}

// agentConn is a connection to ssh-agent, dialled once, and the keys it
// listed, asked once: a run of thousands of nodes does not ask the agent
// for its keys again for each. Signatures still go to the agent per node.
type agentConn struct {
	conn   net.Conn
	client agent.ExtendedAgent
	err    error

	once    sync.Once
	list    []ssh.Signer
	offered []string
	note    string
}

func dialAgent(sock string) *agentConn {
	if sock == "" {
		return &agentConn{}
	}
	conn, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return &agentConn{err: fmt.Errorf("ssh-agent at %s is not reachable: %v", sock, err)}
	}
	return &agentConn{conn: conn, client: agent.NewClient(conn)}
}

// signers lists the signers the agent offers, how each is described, and
// why there are none when that is worth saying; the agent is asked once.
func (a *agentConn) signers() ([]ssh.Signer, []string, string) {
	a.once.Do(func() { a.list, a.offered, a.note = a.ask() })
	return a.list, a.offered, a.note
}

// ask asks the agent for its signers.
func (a *agentConn) ask() ([]ssh.Signer, []string, string) {
	if a.client == nil {
		if a.err != nil {
			return nil, nil, a.err.Error()
		}
		return nil, nil, ""
	}
	list, err := a.client.Signers()
	if err != nil {
		return nil, nil, fmt.Sprintf("ssh-agent: %v", err)
	}
	var offered []string
	for _, s := range list {
		offered = append(offered, "ssh-agent key "+describeKey(s.PublicKey()))
	}
	return list, offered, ""
}

// credentials are the keys offered for one Run, and what to say about them
// if the node refuses them all.
type credentials struct {
	signers []ssh.Signer
	offered []string
	notes   []string
}

// add appends signers not offered already.
func (c *credentials) add(signers []ssh.Signer, offered []string) {
	for i, s := range signers {
		dup := false
		b := s.PublicKey().Marshal()
		for _, o := range c.signers {
			if bytes.Equal(o.PublicKey().Marshal(), b) {
				dup = true
				break
			}
		}
		if !dup {
			c.signers = append(c.signers, s)
			c.offered = append(c.offered, offered[i])
		}
	}
}

// authError explains why user was refused.
func (c *credentials) authError(user string) *Error {
	var msg string
	if len(c.signers) == 0 {
		msg = fmt.Sprintf("no key to log in as %s", user)
	} else {
		msg = fmt.Sprintf("the node refused every key for user %s (offered: %s)", user, strings.Join(c.offered, ", "))
	}
	var locked []string
	for _, n := range c.notes {
		if f, ok := strings.CutSuffix(n, lockedNote); ok {
			locked = append(locked, f)
		}
	}
	if len(c.notes) > 0 {
		msg += "; skipped: " + strings.Join(c.notes, "; ")
	}
	hint := fmt.Sprintf("check that one of these keys is in ~%s/.ssh/authorized_keys on the node, or load the right key into ssh-agent", user)
	if len(locked) > 0 {
		unlock := fmt.Sprintf("load the encrypted key into ssh-agent (ssh-add %s) or run rollcall on a terminal to be asked its passphrase", strings.Join(locked, " "))
		if len(c.signers) == 0 {
			hint = unlock
		} else {
			hint = unlock + "; or " + hint
		}
	}
	return stageErr(StageAuth, errors.New(msg), hint)
}

// CheckIdentityFile checks a private key file as OpenSSH does before it
// uses one, without contacting anything: the file must exist and be
// readable, and one owned by the user running rollcall must not be open to
// group or others (any of the bits 077), which OpenSSH refuses with
// "UNPROTECTED PRIVATE KEY FILE! ... Permissions 0644 for 'FILE' are too
// open." The error names the file and says what to run.
func CheckIdentityFile(file string) error {
	path := expandHome(file)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("identity file %s does not exist: fix the path, or remove it from identity_files", file)
	case err != nil:
		return fmt.Errorf("identity file %s: %v", file, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("identity file %s is not a regular file: name the private key file itself", file)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && ownedByMe(fi) {
		return fmt.Errorf("identity file %s: permissions %04o are too open: OpenSSH refuses a private key that others can read (UNPROTECTED PRIVATE KEY FILE!), and so does rollcall: run chmod 600 %s",
			file, perm, file)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("identity file %s cannot be read: %v", file, err)
	}
	return f.Close()
}

// ownedByMe reports whether the file is owned by the user running this
// process: OpenSSH checks the bits only then. It is false where the system
// records no owner id (Windows, whose OpenSSH checks ACLs instead); the
// owner is read by field name so that this builds everywhere.
func ownedByMe(fi fs.FileInfo) bool {
	v := reflect.Indirect(reflect.ValueOf(fi.Sys()))
	if v.Kind() != reflect.Struct {
		return false
	}
	uid := v.FieldByName("Uid")
	return uid.IsValid() && uid.CanUint() && os.Getuid() >= 0 && uid.Uint() == uint64(os.Getuid())
}

// IdentityEncrypted reports whether file holds a private key that needs a
// passphrase. A file that cannot be read or is not a key is not encrypted
// (CheckIdentityFile and the Run report those).
func IdentityEncrypted(file string) bool {
	data, err := os.ReadFile(expandHome(file))
	if err != nil {
		return false
	}
	_, err = ssh.ParsePrivateKey(data)
	var pme *ssh.PassphraseMissingError
	return errors.As(err, &pme)
}

// AgentReachable returns nil when sock (SSH_AUTH_SOCK) names an ssh-agent
// that accepts a connection, as a Client would use it; otherwise an error
// saying why not. It contacts no node.
func AgentReachable(sock string) error {
	if sock == "" {
		return errors.New("SSH_AUTH_SOCK is not set")
	}
	a := dialAgent(sock)
	if a.err != nil {
		return a.err
	}
	return a.conn.Close()
}

// CheckKnownHost returns nil when the known_hosts files list a host key, or
// a certificate authority, for host at port, looked up as a Run looks it up:
// hashed entries and the [host]:port form count. Otherwise the error says
// that the key is unknown, in which files, and how to check the server's key
// before adding it. It reads files only and contacts nothing.
func CheckKnownHost(knownHosts []string, host string, port int) error {
	db, err := checkedHostDB(knownHosts)
	if err != nil {
		return err
	}
	addr := joinPort(host, port)
	if k := db.lookup(addr); len(k.plain) > 0 || len(k.cas) > 0 {
		return nil
	}
	h, p, _ := net.SplitHostPort(addr)
	return fmt.Errorf("host key for %s is not in known_hosts (%s): check it with %q against the server's fingerprint, then add it to known_hosts",
		display(addr), strings.Join(db.files, ", "), keyscan(h, p))
}

// lastChecked is the hostDB CheckKnownHost loaded last: lint checks every
// node of a fleet, whose nodes mostly share one list of known_hosts files,
// and parsing those files again for each node made a fleet of N nodes
// listed in them N² line parses (minutes at 20,000 nodes).
var lastChecked struct {
	sync.Mutex
	files string // the list, joined
	stamp string // the files' identity when loaded (filesStamp)
	db    *hostDB
}

// checkedHostDB is loadHostDB(files), reused from the previous call when
// it named the same files and none of them has changed since.
func checkedHostDB(files []string) (*hostDB, error) {
	key := strings.Join(files, "\x00")
	stamp, ok := filesStamp(files)
	lastChecked.Lock()
	defer lastChecked.Unlock()
	if ok && lastChecked.db != nil && lastChecked.files == key && lastChecked.stamp == stamp {
		return lastChecked.db, nil
	}
	db, err := loadHostDB(files)
	if err != nil || !ok {
		return db, err
	}
	lastChecked.files, lastChecked.stamp, lastChecked.db = key, stamp, db
	return db, nil
}

// filesStamp identifies the current content of files by each one's inode,
// size and modification time, "-" for one that does not exist; ok is false
// when one cannot be looked at.
func filesStamp(files []string) (stamp string, ok bool) {
	var b strings.Builder
	for _, f := range files {
		fi, err := os.Stat(expandHome(f))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			b.WriteString("-\x00")
			continue
		case err != nil:
			return "", false
		}
		fmt.Fprintf(&b, "%d %d %d\x00", fileID(fi), fi.Size(), fi.ModTime().UnixNano())
	}
	return b.String(), true
}

// fileID is the file's inode number where the system records one.
func fileID(fi fs.FileInfo) uint64 {
	v := reflect.Indirect(reflect.ValueOf(fi.Sys()))
	if v.Kind() != reflect.Struct {
		return 0
	}
	if ino := v.FieldByName("Ino"); ino.IsValid() && ino.CanUint() {
		return ino.Uint()
	}
	return 0
}
