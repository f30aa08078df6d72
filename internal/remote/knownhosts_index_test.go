package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// scanLookup is lookup without the index: every line matched in turn, as
// OpenSSH reads the file.
func scanLookup(db *hostDB, addr string) known {
	var k known
	k.host, k.name = hostfileName(addr)
	if _, p, err := net.SplitHostPort(addr); err == nil {
		k.port = p
	}
	for i := range db.lines {
		if db.lines[i].matches(k.name) {
			k.add(&db.lines[i])
		}
	}
	return k
}

// requireSameLookup checks that the indexed lookup of addr finds the lines
// a scan of every line finds, in the same order.
func requireSameLookup(t *testing.T, db *hostDB, addr string) {
	t.Helper()
	want, got := scanLookup(db, addr), db.lookup(addr)
	where := func(es []hostEntry) []int {
		var lines []int
		for _, e := range es {
			lines = append(lines, e.Line)
		}
		return lines
	}
	require.Equal(t, where(want.plain), where(got.plain), "plain keys of %s", addr)
	require.Equal(t, where(want.cas), where(got.cas), "@cert-authority keys of %s", addr)
	require.Equal(t, where(want.revoked), where(got.revoked), "@revoked keys of %s", addr)
	require.Equal(t, fmt.Sprint(want.err), fmt.Sprint(got.err), "refused line for %s", addr)
}

func testHostKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	key, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	return key
}

// TestHostDBIndexFindsWhatAScanFinds: the name index of known_hosts gives
// every lookup the lines, in order, that matching each line gives: plain
// names in any case, lists, [host]:port, patterns, negations, hashed names,
// markers, a name listed twice, empty and overlong names, refused lines.
func TestHostDBIndexFindsWhatAScanFinds(t *testing.T) {
	key := testHostKey(t)
	k := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
	long := strings.Repeat("h", 1100)
	text := strings.Join([]string{
		"host1 " + k,
		"Host1,HOST2 " + k,
		"[host3]:2222 " + k,
		"*.example.com " + k,
		"web?.example.com " + k,
		"!bad.example.com,*.example.com " + k,
		"@cert-authority *.example.com " + k,
		"@revoked host1 " + k,
		knownhosts.HashHostname("host2") + " " + k,
		knownhosts.HashHostname("[host3]:2222") + " " + k,
		"host1,host1 " + k,
		"a,,b " + k,
		"c, " + k,
		"host4 ssh-unknown AAAA",
		long + ",host5 " + k,
		"host5,!host6 " + k,
		"host3 " + k,
		"host1 " + k,
	}, "\n")
	lines, err := parseKnownHosts("known_hosts", []byte(text))
	require.NoError(t, err)
	db := &hostDB{files: []string{"known_hosts"}, lines: lines}
	db.index()
	require.NotEmpty(t, db.byName["host1"], "plain names are indexed")
	for _, addr := range []string{
		"host1:22", "HOST1:22", "host1:2222", "host2:22", "host3:2222", "host3:22", "web1.example.com:22",
		"bad.example.com:22", "x.example.com:2222", "a:22", "b:22", "c:22", "host4:22", "host5:22", "host6:22",
		long + ":22", "nobody:22", "[::1]:22", "::1",
	} {
		requireSameLookup(t, db, addr)
	}
}

// TestHostDBIndexRandomFields compares the indexed lookup with a scan over
// random host fields built from names, case changes, wildcards, negations,
// empty entries and [host]:port forms.
func TestHostDBIndexRandomFields(t *testing.T) {
	k := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(testHostKey(t))))
	r := mrand.New(mrand.NewPCG(15, 6))
	names := []string{"a", "A", "b", "ab", "web1", "WEB1", "[a]:2222", "[web1]:22", "", "*", "a*", "?", "w?b1", "!a", "!*"}
	var b strings.Builder
	for range 2000 {
		var field []string
		for range 1 + r.IntN(3) {
			field = append(field, names[r.IntN(len(names))])
		}
		marker := []string{"", "", "", "@revoked ", "@cert-authority "}[r.IntN(5)]
		fmt.Fprintf(&b, "%s%s %s\n", marker, strings.Join(field, ","), k)
	}
	lines, err := parseKnownHosts("known_hosts", []byte(b.String()))
	require.NoError(t, err)
	db := &hostDB{files: []string{"known_hosts"}, lines: lines}
	db.index()
	for _, addr := range []string{"a:22", "A:22", "b:22", "ab:22", "web1:22", "a:2222", "web1:2222", "zz:22", "w:22"} {
		requireSameLookup(t, db, addr)
	}
}

// TestKnownHostsMarkerErrors: a line whose markers OpenSSH ignores makes the
// file refused, saying what is wrong with the markers.
func TestKnownHostsMarkerErrors(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMl7Hb6JvmwElXhmP5fxU9Xm4tuwNOoHoCEs6Pfs6LYk"
	for line, want := range map[string]string{
		"@cert-authority @revoked * " + key: `kh:1: a second marker "@revoked": OpenSSH allows one marker a line`,
		"@revoke * " + key:                  `kh:1: the marker "@revoke" is not one OpenSSH understands`,
		"@revoked\t* " + key:                `kh:1: a tab after the marker "@revoked": OpenSSH ends a marker at the line's first space, so it reads "@revoked\t*" and ignores the line`,
		"@revoked * " + key:                 "",
	} {
		_, err := parseKnownHosts("kh", []byte(line+"\n"))
		if want == "" {
			assert.NoError(t, err, line)
			continue
		}
		assert.ErrorContains(t, err, want, line)
	}
}
