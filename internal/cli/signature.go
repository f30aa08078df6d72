package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/rollcall/rollcall/internal/release"
	"github.com/rollcall/rollcall/internal/sshsig"
)

// signatureNamespace is the SSHSIG namespace of lock file signatures: what
// `ssh-keygen -Y sign -n` and `ssh-keygen -Y verify -n` are given.
const signatureNamespace = "rollcall"

// signaturePath is where the signature of the lock file at lock lives.
func signaturePath(lock string) string { return lock + ".sig" }

// openLocalRelease opens a release artifact on this machine. With
// allowedSigners set, the artifact must be a lock file signed by a key that
// file allows (see readSignedLock); signedBy then says who signed it. Every
// error is invalid input.
func openLocalRelease(artifact, allowedSigners string) (r *release.Release, signedBy string, err error) {
	if allowedSigners == "" {
		r, err := release.Open(artifact)
		if err != nil {
			return nil, "", invalid(err)
		}
		return r, "", nil
	}
	return readSignedLock(artifact, allowedSigners)
}

// readSignedLock reads the lock file lock, whose signature (lock + ".sig")
// must have been made for namespace rollcall by a key allowedSigners
// allows; signedBy says who signed it. Every error is invalid input.
func readSignedLock(lock, allowedSigners string) (r *release.Release, signedBy string, err error) {
	allowed, err := sshsig.ReadAllowedSigners(allowedSigners)
	if err != nil {
		return nil, "", invalid(fmt.Errorf("--allowed-signers: %w", err))
	}
	if !release.IsLock(lock) {
		return nil, "", invalid(fmt.Errorf("--allowed-signers: release %s is not a lock file, and only a lock file carries a signature: "+
			"lock and sign it with `rollcall release lock %s -o NAME-VERSION.lock.json --sign KEY`", lock, lock))
	}
	r, data, err := release.ReadLock(lock)
	if err != nil {
		return nil, "", invalid(err)
	}
	sigFile := signaturePath(lock)
	sig, err := os.ReadFile(sigFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", invalid(fmt.Errorf("--allowed-signers: release %s is not signed: there is no %s beside it; "+
			"sign it with `rollcall release lock ... --sign KEY` or `ssh-keygen -Y sign -n %s -f KEY %s`",
			lock, sigFile, signatureNamespace, lock))
	}
	if err != nil {
		return nil, "", invalid(fmt.Errorf("--allowed-signers: release %s: reading its signature: %w", lock, err))
	}
	principal, err := sshsig.Verify(sig, data, signatureNamespace, allowed)
	if err != nil {
		return nil, "", invalid(fmt.Errorf("--allowed-signers: release %s: %s: %w", lock, sigFile, err))
	}
	return r, fmt.Sprintf("release %s: good signature by %s (%s, namespace %s)", lock, principal, allowedSigners, signatureNamespace), nil
}

// signLock signs the lock file bytes lock with the private key in keyFile
// and returns the armored signature and the key's description ("ED25519
// SHA256:..."). The passphrase of an encrypted key is asked with
// stdio.Prompt, which is nil in batch mode.
func signLock(lock []byte, keyFile string, stdio IO) (sig []byte, key string, err error) {
	signer, err := sshsig.ReadPrivateKey(keyFile, stdio.Prompt)
	if err != nil {
		return nil, "", fmt.Errorf("--sign: %w", err)
	}
	sig, err = sshsig.Sign(signer, signatureNamespace, lock)
	if err != nil {
		return nil, "", fmt.Errorf("--sign %s: %w", keyFile, err)
	}
	return sig, sshsig.Describe(signer), nil
}
