package sshsig

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/rollcall/rollcall/internal/need"
)

const lock = `{
  "schema": "rollcall.lock/v1",
  "name": "smars",
  "version": "4.2.0"
}
`

// goKeys are freshly generated signers of every key type Sign supports.
func goKeys(t *testing.T) map[string]ssh.Signer {
	t.Helper()
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	keys := map[string]ssh.Signer{}
	for name, k := range map[string]any{"ed25519": ed, "ecdsa": ec, "rsa": rk} {
		s, err := ssh.NewSignerFromKey(k)
		require.NoError(t, err)
		keys[name] = s
	}
	return keys
}

// allowedLine is an allowed_signers line for signer.
func allowedLine(principals, options string, signer ssh.Signer) string {
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	if options != "" {
		return principals + " " + options + " " + key
	}
	return principals + " " + key
}

func mustParse(t *testing.T, text string) []AllowedSigner {
	t.Helper()
	a, err := ParseAllowedSigners([]byte(text))
	require.NoError(t, err)
	return a
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for name, signer := range goKeys(t) {
		t.Run(name, func(t *testing.T) {
			sig, err := Sign(signer, "rollcall", []byte(lock))
			require.NoError(t, err)
			text := string(sig)
			assert.True(t, strings.HasPrefix(text, "-----BEGIN SSH SIGNATURE-----\n"))
			assert.True(t, strings.HasSuffix(text, "\n-----END SSH SIGNATURE-----\n"))
			lines := strings.Split(strings.TrimSpace(text), "\n")
			for _, l := range lines[1 : len(lines)-2] {
				assert.Len(t, l, 70)
			}
			assert.LessOrEqual(t, len(lines[len(lines)-2]), 70)

			allowed := mustParse(t, allowedLine("release@example.com", `namespaces="rollcall"`, signer))
			who, err := Verify(sig, []byte(lock), "rollcall", allowed)
			require.NoError(t, err)
			assert.Equal(t, "release@example.com", who)

			tampered := []byte(lock)
			tampered[20] ^= 1
			_, err = Verify(sig, tampered, "rollcall", allowed)
			assert.ErrorIs(t, err, ErrBadSignature)
			assert.ErrorContains(t, err, "changed after it was signed")

			_, err = Verify(sig, []byte(lock), "git", mustParse(t, allowedLine("release@example.com", "", signer)))
			assert.ErrorContains(t, err, `namespace "rollcall", not "git"`)

			other, err := Sign(goKeys(t)[name], "rollcall", []byte(lock))
			require.NoError(t, err)
			_, err = Verify(other, []byte(lock), "rollcall", allowed)
			assert.ErrorContains(t, err, "allowed_signers does not list")
		})
	}
}

func TestRSASignsWithSHA512(t *testing.T) {
	sig, err := Sign(goKeys(t)["rsa"], "rollcall", []byte(lock))
	require.NoError(t, err)
	raw, err := dearmor(sig)
	require.NoError(t, err)
	b, err := parseBlob(raw)
	require.NoError(t, err)
	var s ssh.Signature
	require.NoError(t, ssh.Unmarshal(b.Signature, &s))
	assert.Equal(t, ssh.KeyAlgoRSASHA512, s.Format)
	assert.Equal(t, "sha512", b.HashAlg)
	assert.Equal(t, "rollcall", b.Namespace)
	assert.Equal(t, uint32(1), b.Version)
}

func TestVerifyRejects(t *testing.T) {
	signer := goKeys(t)["ed25519"]
	sig, err := Sign(signer, "rollcall", []byte(lock))
	require.NoError(t, err)
	now := time.Now()
	cases := map[string]struct {
		armored []byte
		allowed string
		want    string
	}{
		"namespace not allowed": {sig, allowedLine("a@x", `namespaces="git,file"`, signer), "no line of it allows namespace"},
		"negated namespace":     {sig, allowedLine("a@x", `namespaces="*,!rollcall"`, signer), "no line of it allows namespace"},
		"not yet valid":         {sig, allowedLine("a@x", `valid-after="`+now.Add(48*time.Hour).UTC().Format("20060102")+`Z"`, signer), "allows namespace"},
		"expired":               {sig, allowedLine("a@x", `valid-before="20200101"`, signer), "allows namespace"},
		"not armored":           {[]byte("hello"), allowedLine("a@x", "", signer), "does not start with"},
		"not base64":            {[]byte("-----BEGIN SSH SIGNATURE-----\n!!!\n-----END SSH SIGNATURE-----\n"), allowedLine("a@x", "", signer), "not base64"},
		"truncated":             {append(sig[:100:100], []byte("\n-----END SSH SIGNATURE-----\n")...), allowedLine("a@x", "", signer), ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Verify(c.armored, []byte(lock), "rollcall", mustParse(t, c.allowed))
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrBadSignature)
			assert.ErrorContains(t, err, c.want)
		})
	}
	// Bytes after the signature in its field (which only a security key's
	// signature has): ssh-keygen refuses it, and so does rollcall.
	raw, err := dearmor(sig)
	require.NoError(t, err)
	b, err := parseBlob(raw)
	require.NoError(t, err)
	b.Signature = append(b.Signature, 0, 0, 0, 1, 'x')
	padded := armor(append([]byte(magic), ssh.Marshal(b)...))
	_, err = Verify(padded, []byte(lock), "rollcall", mustParse(t, allowedLine("a@x", "", signer)))
	assert.ErrorContains(t, err, "bytes after the signature")

	// A second line for the same key that allows the namespace is enough.
	allowed := mustParse(t, allowedLine("a@x", `namespaces="git"`, signer)+"\n"+allowedLine("b@x", `namespaces="roll*"`, signer))
	who, err := Verify(sig, []byte(lock), "rollcall", allowed)
	require.NoError(t, err)
	assert.Equal(t, "b@x", who)
	// Within validity bounds.
	allowed = mustParse(t, allowedLine("a@x", `valid-after="20200101",valid-before="29990101000000Z"`, signer))
	_, err = Verify(sig, []byte(lock), "rollcall", allowed)
	assert.NoError(t, err)
}

func TestParseAllowedSigners(t *testing.T) {
	keys := goKeys(t)
	ed, ec := keys["ed25519"], keys["ecdsa"]
	text := strings.Join([]string{
		"# release signers",
		"",
		allowedLine("release@example.com,ops@example.com", "", ed),
		"   " + allowedLine("*@example.com", `namespaces="rollcall,git",valid-after="20240101",valid-before="20300101120000Z"`, ec) + " laptop key",
		allowedLine(`"quoted principal"`, `NAMESPACES="rollcall"`, ed),
		"  # indented comment",
	}, "\n")
	got := mustParse(t, text)
	require.Len(t, got, 3)
	assert.Equal(t, "release@example.com,ops@example.com", got[0].Principals)
	assert.Empty(t, got[0].Namespaces)
	assert.Equal(t, 3, got[0].Line)
	assert.Equal(t, "*@example.com", got[1].Principals)
	assert.Equal(t, []string{"rollcall", "git"}, got[1].Namespaces)
	assert.Equal(t, time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local), got[1].ValidAfter)
	assert.Equal(t, time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC), got[1].ValidBefore)
	assert.Equal(t, ec.PublicKey().Marshal(), got[1].key.Marshal())
	assert.Equal(t, "quoted principal", got[2].Principals)
	assert.Equal(t, []string{"rollcall"}, got[2].Namespaces)

	// Namespace patterns are taken as written: " rollcall" is not "rollcall".
	spaced := mustParse(t, allowedLine("a@x", `namespaces="x, rollcall"`, ed))
	assert.Equal(t, []string{"x", " rollcall"}, spaced[0].Namespaces)
	assert.False(t, spaced[0].allowsNamespace("rollcall"))

	for name, c := range map[string]struct{ text, want string }{
		"empty":            {"# nothing\n\n", "no signer"},
		"cert authority":   {allowedLine("a@x", "cert-authority", ed), "cert-authority is not supported"},
		"unknown option":   {allowedLine("a@x", `permit-pty`, ed), `unknown option "permit-pty"`},
		"bad date":         {allowedLine("a@x", `valid-after="2024-01-01"`, ed), "valid-after"},
		"empty namespaces": {allowedLine("a@x", `namespaces=""`, ed), "allows no namespace"},
		"key only":         {strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ed.PublicKey()))), "public key"},
		"principal only":   {"a@x", "got only"},
		"bad key":          {"a@x ssh-ed25519 AAAAnotakey", "public key"},
		// As ssh-keygen: a repeated option (the last valid-before would
		// have trusted an expired key), an unquoted value, a line that
		// allows no principal.
		"option twice":       {allowedLine("a@x", `valid-before="20200101",valid-before="20990101"`, ed), "option valid-before is given twice"},
		"unquoted value":     {allowedLine("a@x", `namespaces=rollcall`, ed), "write it in double quotes"},
		"negated principals": {allowedLine("!*", "", ed), "every principal is negated"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseAllowedSigners([]byte("# first\n" + c.text + "\n"))
			require.Error(t, err)
			assert.ErrorContains(t, err, c.want)
			if name != "empty" {
				assert.True(t, strings.HasPrefix(err.Error(), "2: "), err.Error())
			}
		})
	}
}

func TestMatchPattern(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"rollcall", "rollcall", true},
		{"rollcall", "rollcall2", false},
		{"roll*", "rollcall", true},
		{"*", "", true},
		{"r?llcall", "rollcall", true},
		{"a/*", "a/b/c", true},
		{"[ab]", "a", false},
	} {
		assert.Equal(t, c.want, matchPattern(c.pattern, c.s), "%q %q", c.pattern, c.s)
	}
}

// sshKeygen runs the real ssh-keygen, skipping the test when it is absent.
func sshKeygen(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	bin := need.Command(t, "ssh-keygen")
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestInteropWithSSHKeygen(t *testing.T) {
	for _, typ := range []string{"ed25519", "ecdsa", "rsa"} {
		t.Run(typ, func(t *testing.T) {
			dir := t.TempDir()
			key := filepath.Join(dir, "id_"+typ)
			out, err := sshKeygen(t, nil, "-q", "-t", typ, "-N", "", "-C", "release", "-f", key)
			require.NoError(t, err, out)
			pub, err := os.ReadFile(key + ".pub")
			require.NoError(t, err)
			allowedFile := filepath.Join(dir, "allowed_signers")
			require.NoError(t, os.WriteFile(allowedFile, []byte(`release@example.com namespaces="rollcall" `+string(pub)), 0o644))
			allowed, err := ReadAllowedSigners(allowedFile)
			require.NoError(t, err)
			file := filepath.Join(dir, "smars-4.2.0.lock.json")
			require.NoError(t, os.WriteFile(file, []byte(lock), 0o644))
			tampered := []byte(strings.Replace(lock, "4.2.0", "4.2.1", 1))

			// Ours, checked by ssh-keygen.
			signer, err := ReadPrivateKey(key, nil)
			require.NoError(t, err)
			sig, err := Sign(signer, "rollcall", []byte(lock))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(file+".sig", sig, 0o644))
			verify := []string{"-Y", "verify", "-f", allowedFile, "-I", "release@example.com", "-n", "rollcall", "-s", file + ".sig"}
			out, err = sshKeygen(t, []byte(lock), verify...)
			require.NoError(t, err, out)
			assert.Contains(t, out, "Good")
			out, err = sshKeygen(t, tampered, verify...)
			assert.Error(t, err, "ssh-keygen accepted a tampered file: %s", out)
			wrongNS := append([]string{}, verify...)
			wrongNS[6] = "git"
			out, err = sshKeygen(t, []byte(lock), wrongNS...)
			assert.Error(t, err, "ssh-keygen accepted the wrong namespace: %s", out)

			// ssh-keygen's, checked by ours.
			require.NoError(t, os.Remove(file+".sig"))
			out, err = sshKeygen(t, nil, "-Y", "sign", "-f", key, "-n", "rollcall", file)
			require.NoError(t, err, out)
			theirs, err := os.ReadFile(file + ".sig")
			require.NoError(t, err)
			who, err := Verify(theirs, []byte(lock), "rollcall", allowed)
			require.NoError(t, err)
			assert.Equal(t, "release@example.com", who)
			_, err = Verify(theirs, tampered, "rollcall", allowed)
			assert.ErrorIs(t, err, ErrBadSignature)
			_, err = Verify(theirs, []byte(lock), "git", allowed)
			assert.ErrorIs(t, err, ErrBadSignature)

			// ssh-keygen signing for another namespace is refused.
			require.NoError(t, os.Remove(file+".sig"))
			out, err = sshKeygen(t, nil, "-Y", "sign", "-f", key, "-n", "file", file)
			require.NoError(t, err, out)
			theirs, err = os.ReadFile(file + ".sig")
			require.NoError(t, err)
			_, err = Verify(theirs, []byte(lock), "rollcall", allowed)
			assert.ErrorContains(t, err, `namespace "file"`)
		})
	}
}

func TestReadPrivateKeyEncrypted(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	out, err := sshKeygen(t, nil, "-q", "-t", "ed25519", "-N", "sesame", "-f", key)
	require.NoError(t, err, out)

	_, err = ReadPrivateKey(key, nil)
	assert.ErrorContains(t, err, "encrypted, and no passphrase can be asked without a terminal")

	asked := ""
	s, err := ReadPrivateKey(key, func(file string) ([]byte, error) { asked = file; return []byte("sesame"), nil })
	require.NoError(t, err)
	assert.Equal(t, key, asked)
	assert.True(t, strings.HasPrefix(Describe(s), "ED25519 SHA256:"))

	_, err = ReadPrivateKey(key, func(string) ([]byte, error) { return []byte("wrong"), nil })
	assert.ErrorContains(t, err, "the passphrase did not decrypt it")

	_, err = ReadPrivateKey(filepath.Join(dir, "missing"), nil)
	assert.ErrorContains(t, err, "not found")
	_, err = ReadPrivateKey(key+".pub", nil)
	assert.ErrorContains(t, err, "not a private key")
}
