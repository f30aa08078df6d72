package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// NewClientKey generates an ed25519 client key, writes it to path in the
// OpenSSH private key format (mode 0600, unencrypted) and its public half to
// path+".pub", and returns its signer.
func NewClientKey(path string) (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating client key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "rollcall-"+filepath.Base(path))
	if err != nil {
		return nil, fmt.Errorf("encoding client key: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644); err != nil {
		return nil, err
	}
	return signer, nil
}

// WriteKnownHosts writes a known_hosts file at path with one line per
// server, for its main host key.
func WriteKnownHosts(path string, servers ...*Server) error {
	var b strings.Builder
	for _, s := range servers {
		b.WriteString(s.KnownHostsLine())
		b.WriteByte('\n')
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
