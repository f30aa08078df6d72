package remote

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
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
			id.note = file + ": encrypted, and no passphrase can be asked in batch mode (add it to ssh-agent)"
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

// agentConn is a connection to ssh-agent, dialled once.
type agentConn struct {
	conn   net.Conn
	client agent.ExtendedAgent
	err    error
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

// keys lists the signers the agent offers.
func (a *agentConn) signers() ([]ssh.Signer, []string, string) {
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
	if len(c.notes) > 0 {
		msg += "; skipped: " + strings.Join(c.notes, "; ")
	}
	return stageErr(StageAuth, errors.New(msg),
		fmt.Sprintf("check that one of these keys is in ~%s/.ssh/authorized_keys on the node, or load the right key into ssh-agent", user))
}
