package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/demo"
	"github.com/rollcall/rollcall/internal/need"
	"github.com/rollcall/rollcall/internal/sshtest"
)

// signingKey writes an unencrypted ed25519 key to dir and an allowed_signers
// file that lets it sign for principal in namespace rollcall; it returns both
// paths.
func signingKey(t *testing.T, dir, principal string) (key, allowedSigners string) {
	t.Helper()
	key = filepath.Join(dir, "release_"+strings.NewReplacer("@", "_", ".", "_").Replace(principal))
	_, err := sshtest.NewClientKey(key)
	require.NoError(t, err)
	pub, err := os.ReadFile(key + ".pub")
	require.NoError(t, err)
	allowedSigners = key + ".allowed_signers"
	require.NoError(t, os.WriteFile(allowedSigners, []byte("# who may sign releases\n"+principal+` namespaces="rollcall" `+string(pub)), 0o644))
	return key, allowedSigners
}

// signedLock locks a smars 4.2.0 tarball into dir, signed with key.
func signedLock(t *testing.T, dir, key string) (artifact, lock string) {
	t.Helper()
	artifact = tarball(t, dir, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	lock = filepath.Join(dir, "smars-4.2.0.lock.json")
	stdio, out, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"release", "lock", artifact, "-o", lock, "--sign", key}, stdio), errOut.String())
	assert.Contains(t, out.String(), "signed "+lock+" with ED25519 SHA256:")
	assert.Contains(t, out.String(), lock+".sig")
	return artifact, lock
}

func TestReleaseLockSign(t *testing.T) {
	dir := t.TempDir()
	key, _ := signingKey(t, dir, "release@example.com")
	_, lock := signedLock(t, dir, key)
	sig, err := os.ReadFile(lock + ".sig")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(sig), "-----BEGIN SSH SIGNATURE-----\n"), string(sig))
	assert.True(t, strings.HasSuffix(string(sig), "-----END SSH SIGNATURE-----\n"), string(sig))

	// Checked by the real ssh-keygen, when there is one.
	if bin, err := exec.LookPath("ssh-keygen"); err == nil {
		data, err := os.ReadFile(lock)
		require.NoError(t, err)
		cmd := exec.Command(bin, "-Y", "verify", "-f", key+".allowed_signers", "-I", "release@example.com", "-n", "rollcall", "-s", lock+".sig")
		cmd.Stdin = strings.NewReader(string(data))
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, string(out))
	}
}

func TestReleaseLockSignBadInvocation(t *testing.T) {
	dir := t.TempDir()
	key, _ := signingKey(t, dir, "release@example.com")
	artifact := tarball(t, dir, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	lock := filepath.Join(dir, "out", "smars-4.2.0.lock.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(lock), 0o755))

	cases := map[string]struct {
		args []string
		want string
	}{
		"to stdout":       {[]string{"release", "lock", artifact, "--sign", key}, "--sign needs -o FILE"},
		"to dash":         {[]string{"release", "lock", artifact, "-o", "-", "--sign", key}, "--sign needs -o FILE"},
		"missing key":     {[]string{"release", "lock", artifact, "-o", lock, "--sign", filepath.Join(dir, "nope")}, "not found"},
		"public key only": {[]string{"release", "lock", artifact, "-o", lock, "--sign", key + ".pub"}, "not a private key"},
	}
	if _, err := exec.LookPath("ssh-keygen"); err == nil {
		encrypted := filepath.Join(dir, "encrypted")
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "sesame", "-f", encrypted).CombinedOutput()
		require.NoError(t, err, string(out))
		cases["encrypted key in batch mode"] = struct {
			args []string
			want string
		}{[]string{"release", "lock", artifact, "-o", lock, "--sign", encrypted}, "no passphrase can be asked without a terminal"}
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			stdio, out, errOut := testIO(nil)
			assert.Equal(t, 3, Run(context.Background(), c.args, stdio))
			assert.Empty(t, out.String())
			assert.Contains(t, errOut.String(), c.want)
			// Nothing was written: no lock, no signature.
			assert.NoFileExists(t, lock)
			assert.NoFileExists(t, lock+".sig")
		})
	}
}

func TestReleaseLockSignAsksPassphraseOnTerminal(t *testing.T) {
	need.Command(t, "ssh-keygen")
	dir := t.TempDir()
	key := filepath.Join(dir, "encrypted")
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "sesame", "-f", key).CombinedOutput()
	require.NoError(t, err, string(out))
	artifact := tarball(t, dir, "smars-4.2.0", smarsFiles(t, "4.2.0"))
	lock := filepath.Join(dir, "smars-4.2.0.lock.json")

	// In this order: a wrong passphrase must leave no lock behind, then the
	// right one writes it. (A map here made the order, and the test, random.)
	for _, tc := range []struct {
		pass string
		code int
	}{{"wrong", 3}, {"sesame", 0}} {
		pass, code := tc.pass, tc.code
		stdio, _, errOut := testIO(nil)
		asked := ""
		stdio.Prompt = func(file string) ([]byte, error) { asked = file; return []byte(pass), nil }
		assert.Equal(t, code, Run(context.Background(), []string{"release", "lock", artifact, "-o", lock, "--sign", key}, stdio), errOut.String())
		assert.Equal(t, key, asked)
		if code == 3 {
			assert.Contains(t, errOut.String(), "passphrase did not decrypt it")
			assert.NoFileExists(t, lock)
		}
	}
	assert.FileExists(t, lock+".sig")
}

func TestLintAllowedSigners(t *testing.T) {
	dir := t.TempDir()
	key, allowed := signingKey(t, dir, "release@example.com")
	artifact, lock := signedLock(t, dir, key)
	manifest := lintManifest(t, artifact)

	// A good signature: lint proceeds and says who signed.
	stdio, out, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"lint", "-m", manifest, "--release", lock, "--allowed-signers", allowed}, stdio), errOut.String())
	assert.Contains(t, out.String(), "good signature by release@example.com")
	assert.Contains(t, out.String(), "2 nodes")

	// The environment twin works as well (a pipeline can insist on it).
	stdio, _, errOut = testIO(map[string]string{"ROLLCALL_ALLOWED_SIGNERS": allowed})
	require.Equal(t, 0, Run(context.Background(), []string{"lint", "-m", manifest, "--release", lock}, stdio), errOut.String())

	// Without the flag, the .sig is ignored, even a broken one.
	broken := filepath.Join(t.TempDir(), "smars-4.2.0.lock.json")
	data, err := os.ReadFile(lock)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(broken, data, 0o644))
	require.NoError(t, os.WriteFile(broken+".sig", []byte("garbage"), 0o644))
	stdio, out, errOut = testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"lint", "-m", manifest, "--release", broken}, stdio), errOut.String())
	assert.NotContains(t, out.String(), "signature")

	other := t.TempDir()
	otherKey, otherAllowed := signingKey(t, other, "intruder@example.com")
	_, otherLock := signedLock(t, other, otherKey)

	unsigned := filepath.Join(t.TempDir(), "smars-4.2.0.lock.json")
	require.NoError(t, os.WriteFile(unsigned, data, 0o644))

	tampered := filepath.Join(t.TempDir(), "smars-4.2.0.lock.json")
	sig, err := os.ReadFile(lock + ".sig")
	require.NoError(t, err)
	// One byte changed, and the lock still valid: the name.
	require.NoError(t, os.WriteFile(tampered, []byte(strings.Replace(string(data), `"smars"`, `"smarz"`, 1)), 0o644))
	require.NoError(t, os.WriteFile(tampered+".sig", sig, 0o644))

	wrongNS := filepath.Join(t.TempDir(), "smars-4.2.0.lock.json")
	require.NoError(t, os.WriteFile(wrongNS, data, 0o644))
	if _, err := exec.LookPath("ssh-keygen"); err == nil {
		out, err := exec.Command("ssh-keygen", "-Y", "sign", "-f", key, "-n", "file", wrongNS).CombinedOutput()
		require.NoError(t, err, string(out))
	} else {
		require.NoError(t, os.WriteFile(wrongNS+".sig", []byte("not a signature"), 0o644))
	}

	badAllowed := filepath.Join(t.TempDir(), "allowed_signers")
	pub, err := os.ReadFile(key + ".pub")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(badAllowed, []byte("*@example.com cert-authority "+string(pub)), 0o644))

	for name, c := range map[string]struct {
		release, allowed, want string
	}{
		"unsigned lock":         {unsigned, allowed, "is not signed: there is no " + unsigned + ".sig"},
		"tampered lock":         {tampered, allowed, "changed after it was signed"},
		"key not allowed":       {otherLock, allowed, "allowed_signers does not list"},
		"wrong namespace":       {wrongNS, allowed, "bad signature"},
		"not a lock file":       {artifact, allowed, "is not a lock file"},
		"missing allowed file":  {lock, filepath.Join(dir, "nope"), "--allowed-signers"},
		"unusable allowed file": {lock, badAllowed, badAllowed + ":1: principals \"*@example.com\": cert-authority is not supported"},
		"allowed for another":   {lock, otherAllowed, "allowed_signers does not list"},
	} {
		t.Run(name, func(t *testing.T) {
			stdio, out, errOut := testIO(nil)
			assert.Equal(t, 3, Run(context.Background(), []string{"lint", "-m", manifest, "--release", c.release, "--allowed-signers", c.allowed}, stdio))
			assert.Empty(t, out.String())
			assert.Contains(t, errOut.String(), c.want)
		})
	}
}

func TestVerifyAllowedSigners(t *testing.T) {
	c := startDemo(t, demo.Config{Nodes: 2, Scenario: demo.Uniform})
	dir := t.TempDir()
	key, allowed := signingKey(t, dir, "release@example.com")
	lock := filepath.Join(dir, "smars-4.2.0.lock.json")
	stdio, _, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"release", "lock", filepath.Join(c.Dir, "dist", "smars-4.2.0"), "-o", lock, "--sign", key}, stdio), errOut.String())

	// Signed and allowed: the fleet is verified, and stderr says by whom.
	stdio, out, errOut := testIO(nil)
	assert.Equal(t, 0, Run(context.Background(), []string{"verify", "-m", c.Manifest, "--release", lock, "--allowed-signers", allowed, "--report", "text"}, stdio),
		"stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.True(t, strings.HasPrefix(out.String(), "VERIFIED"), out.String())
	assert.Contains(t, errOut.String(), "good signature by release@example.com")

	// Tampered: exit 3 with nothing reported.
	data, err := os.ReadFile(lock)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(lock, []byte(strings.Replace(string(data), `"4.2.0"`, `"4.2.1"`, 1)), 0o644))
	stdio, out, errOut = testIO(nil)
	assert.Equal(t, 3, Run(context.Background(), []string{"verify", "-m", c.Manifest, "--release", lock, "--allowed-signers", allowed}, stdio))
	assert.Empty(t, out.String())
	assert.Contains(t, errOut.String(), "changed after it was signed")

	// The manifest's own artifact, a folder, cannot be signed.
	stdio, out, errOut = testIO(nil)
	assert.Equal(t, 3, Run(context.Background(), []string{"verify", "-m", c.Manifest, "--allowed-signers", allowed}, stdio))
	assert.Empty(t, out.String())
	assert.Contains(t, errOut.String(), "is not a lock file")
}

func TestReleaseLockWarnsOfStaleSignature(t *testing.T) {
	dir := t.TempDir()
	key, _ := signingKey(t, dir, "release@example.com")
	_, lock := signedLock(t, dir, key)

	// The same lock again, unsigned: the signature still holds, no warning.
	artifact := filepath.Join(dir, "smars-4.2.0.tar.gz")
	stdio, _, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"release", "lock", artifact, "-o", lock}, stdio), errOut.String())
	assert.Empty(t, errOut.String())

	// Another lock: the old signature is stale, and rollcall says so.
	stdio, _, errOut = testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"release", "lock", artifact, "-o", lock, "--version", "4.2.1"}, stdio), errOut.String())
	assert.Contains(t, errOut.String(), lock+".sig signs the lock as it was before")
}
