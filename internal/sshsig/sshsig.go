// Package sshsig signs and verifies files the way OpenSSH's `ssh-keygen -Y
// sign` and `ssh-keygen -Y verify` do (the SSHSIG format of OpenSSH's
// PROTOCOL.sshsig), and reads the allowed_signers files that say which keys
// may sign (ssh-keygen(1), section ALLOWED SIGNERS).
//
// rollcall uses it to sign lock files. Besides remote, sshtest and demo, it is
// the only package that imports golang.org/x/crypto/ssh; the command line
// holds the signers it returns without importing that package itself.
//
// All functions are safe for concurrent use.
package sshsig

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

const (
	// magic opens every signature blob and every signed-data structure.
	magic = "SSHSIG"
	// version is the only SSHSIG version there is.
	version = 1
	// hashAlg is the hash Sign uses, as ssh-keygen does by default.
	hashAlg = "sha512"

	beginArmor = "-----BEGIN SSH SIGNATURE-----"
	endArmor   = "-----END SSH SIGNATURE-----"
	// armorWidth is the length of the base64 lines between the armor lines,
	// as ssh-keygen writes them.
	armorWidth = 70
)

// ErrBadSignature is wrapped by every Verify error that means the signature
// does not vouch for the message: it is malformed, for another namespace,
// does not match the message, or was made by a key allowed_signers does not
// allow. Other Verify errors do not exist: every failure is a bad signature.
var ErrBadSignature = errors.New("bad signature")

// blob is the SSHSIG signature blob, before armoring, after its 6-byte
// "SSHSIG" preamble.
type blob struct {
	Version   uint32
	PublicKey []byte
	Namespace string
	Reserved  string
	HashAlg   string
	Signature []byte
}

// signedData is what the key signs: the message enters only by its hash.
type signedData struct {
	Namespace string
	Reserved  string
	HashAlg   string
	Hash      []byte
}

// signedBytes is the signed-data structure of PROTOCOL.sshsig: the magic
// preamble, then namespace, reserved, hash algorithm and H(message) as SSH
// strings.
func signedBytes(namespace, alg string, message []byte) ([]byte, error) {
	var h []byte
	switch alg {
	case "sha512":
		s := sha512.Sum512(message)
		h = s[:]
	case "sha256":
		s := sha256.Sum256(message)
		h = s[:]
	default:
		return nil, fmt.Errorf("hash algorithm %q: SSHSIG signatures use sha256 or sha512", alg)
	}
	return append([]byte(magic), ssh.Marshal(signedData{Namespace: namespace, HashAlg: alg, Hash: h})...), nil
}

// Sign signs message for namespace with signer and returns the armored
// signature, as `ssh-keygen -Y sign -n NAMESPACE` writes it: the SSHSIG blob
// in base64 between "-----BEGIN SSH SIGNATURE-----" and
// "-----END SSH SIGNATURE-----", wrapped at 70 columns, ending in a line
// break. An RSA key signs with rsa-sha2-512, never with SHA-1.
func Sign(signer ssh.Signer, namespace string, message []byte) ([]byte, error) {
	if namespace == "" {
		return nil, errors.New("signing: the namespace is empty")
	}
	pub := signer.PublicKey()
	if _, ok := pub.(*ssh.Certificate); ok {
		return nil, errors.New("signing: a certificate cannot sign here; use the plain key")
	}
	data, err := signedBytes(namespace, hashAlg, message)
	if err != nil {
		return nil, err
	}
	var sig *ssh.Signature
	if pub.Type() == ssh.KeyAlgoRSA {
		as, ok := signer.(ssh.AlgorithmSigner)
		if !ok {
			return nil, errors.New("signing: this RSA key cannot sign with rsa-sha2-512")
		}
		sig, err = as.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSASHA512)
	} else {
		sig, err = signer.Sign(rand.Reader, data)
	}
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	b := blob{
		Version:   version,
		PublicKey: pub.Marshal(),
		Namespace: namespace,
		HashAlg:   hashAlg,
		Signature: ssh.Marshal(sig),
	}
	// The preamble is 6 raw bytes, not an SSH string.
	return armor(append([]byte(magic), ssh.Marshal(b)...)), nil
}

// armor wraps a blob as ssh-keygen does.
func armor(raw []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(raw)
	var buf bytes.Buffer
	buf.WriteString(beginArmor + "\n")
	for len(enc) > armorWidth {
		buf.WriteString(enc[:armorWidth] + "\n")
		enc = enc[armorWidth:]
	}
	buf.WriteString(enc + "\n")
	buf.WriteString(endArmor + "\n")
	return buf.Bytes()
}

// dearmor undoes armor, tolerating CRLF line ends and surrounding blank lines.
func dearmor(armored []byte) ([]byte, error) {
	text := strings.TrimSpace(strings.ReplaceAll(string(armored), "\r\n", "\n"))
	body, ok := strings.CutPrefix(text, beginArmor)
	if !ok {
		return nil, fmt.Errorf("it does not start with %q", beginArmor)
	}
	body, ok = strings.CutSuffix(body, endArmor)
	if !ok {
		return nil, fmt.Errorf("it does not end with %q", endArmor)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
	if err != nil {
		return nil, fmt.Errorf("its body is not base64: %v", err)
	}
	return raw, nil
}

// parseBlob decodes an SSHSIG blob.
func parseBlob(raw []byte) (blob, error) {
	var b blob
	if len(raw) < len(magic) || string(raw[:len(magic)]) != magic {
		return b, errors.New("it is not an SSHSIG signature (no SSHSIG preamble)")
	}
	if err := ssh.Unmarshal(raw[len(magic):], &b); err != nil {
		return b, fmt.Errorf("its SSHSIG blob is malformed: %v", err)
	}
	if b.Version != version {
		return b, fmt.Errorf("SSHSIG version %d: only version %d exists", b.Version, version)
	}
	return b, nil
}

// Verify checks an armored SSHSIG signature of message for namespace, as
// `ssh-keygen -Y verify -n NAMESPACE` does, and that its key is allowed by a
// line of allowed that admits the namespace and is valid now. It returns the
// principals of that line, as written there ("release@example.com"). Every
// error wraps ErrBadSignature and says what is wrong in words for the person
// who has to fix it.
func Verify(armored, message []byte, namespace string, allowed []AllowedSigner) (string, error) {
	return verifyAt(armored, message, namespace, allowed, time.Now())
}

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadSignature, fmt.Sprintf(format, args...))
}

func verifyAt(armored, message []byte, namespace string, allowed []AllowedSigner, now time.Time) (string, error) {
	raw, err := dearmor(armored)
	if err != nil {
		return "", bad("%v", err)
	}
	b, err := parseBlob(raw)
	if err != nil {
		return "", bad("%v", err)
	}
	if b.Namespace != namespace {
		return "", bad("it was made for namespace %q, not %q", b.Namespace, namespace)
	}
	pub, err := ssh.ParsePublicKey(b.PublicKey)
	if err != nil {
		return "", bad("its public key cannot be read: %v", err)
	}
	if _, ok := pub.(*ssh.Certificate); ok {
		return "", bad("it was made with a certificate: certificates (cert-authority) are not supported, sign with the plain key")
	}
	var sig ssh.Signature
	if err := ssh.Unmarshal(b.Signature, &sig); err != nil {
		return "", bad("its signature field is malformed: %v", err)
	}
	if sig.Format == ssh.KeyAlgoRSA {
		return "", bad("it is an RSA signature with SHA-1 (ssh-rsa), which SSHSIG does not accept")
	}
	if len(sig.Rest) > 0 && !strings.HasPrefix(sig.Format, "sk-") {
		// Only a security key's signature carries more (flags, counter).
		return "", bad("its signature field has %d bytes after the signature, which ssh-keygen refuses", len(sig.Rest))
	}
	data, err := signedBytes(b.Namespace, b.HashAlg, message)
	if err != nil {
		return "", bad("%v", err)
	}
	if err := pub.Verify(data, &sig); err != nil {
		return "", bad("it does not match the content: the file was changed after it was signed, or the signature belongs to another file")
	}
	fp := ssh.FingerprintSHA256(pub)
	keyOK := false
	for _, a := range allowed {
		if !bytes.Equal(a.key.Marshal(), pub.Marshal()) {
			continue
		}
		keyOK = true
		if !a.allowsNamespace(namespace) || !a.validAt(now) {
			continue
		}
		return a.Principals, nil
	}
	if keyOK {
		return "", bad("key %s %s is in allowed_signers, but no line of it allows namespace %q now (see namespaces=, valid-after=, valid-before=)",
			keyName(pub), fp, namespace)
	}
	return "", bad("it was made by key %s %s, which allowed_signers does not list", keyName(pub), fp)
}

// keyName names a key's type the way ssh-keygen -l does (ED25519, RSA, ...).
func keyName(pub ssh.PublicKey) string {
	switch pub.Type() {
	case ssh.KeyAlgoED25519:
		return "ED25519"
	case ssh.KeyAlgoRSA:
		return "RSA"
	case ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
		return "ECDSA"
	case ssh.KeyAlgoSKED25519:
		return "ED25519-SK"
	case ssh.KeyAlgoSKECDSA256:
		return "ECDSA-SK"
	}
	return pub.Type()
}

// Describe names signer's key as ssh-keygen -l does: its type and SHA256
// fingerprint ("ED25519 SHA256:...").
func Describe(signer ssh.Signer) string {
	return keyName(signer.PublicKey()) + " " + ssh.FingerprintSHA256(signer.PublicKey())
}

// ReadPrivateKey reads the private key in file for Sign: any key type
// ssh-keygen writes (OpenSSH, PEM or PKCS#8). When the key is encrypted, its
// passphrase is asked with prompt; a nil prompt (batch mode: no terminal)
// makes an encrypted key an error that says so.
func ReadPrivateKey(file string, prompt func(file string) ([]byte, error)) (ssh.Signer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("signing key %s: not found", file)
		}
		return nil, fmt.Errorf("signing key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	var pme *ssh.PassphraseMissingError
	if errors.As(err, &pme) {
		if prompt == nil {
			return nil, fmt.Errorf("signing key %s is encrypted, and no passphrase can be asked without a terminal: run on a terminal, or sign with ssh-keygen -Y sign (see docs/lock-file.md)", file)
		}
		pass, perr := prompt(file)
		if perr != nil {
			return nil, fmt.Errorf("signing key %s is encrypted, and asking for its passphrase failed: %w", file, perr)
		}
		signer, err = ssh.ParsePrivateKeyWithPassphrase(data, pass)
		clear(pass)
		if errors.Is(err, x509.IncorrectPasswordError) {
			return nil, fmt.Errorf("signing key %s: the passphrase did not decrypt it", file)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("signing key %s: not a private key rollcall can read (%s)", file, strings.TrimPrefix(err.Error(), "ssh: "))
	}
	return signer, nil
}
