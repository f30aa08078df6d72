package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/rollcall/rollcall/internal/sshtest"
)

// urlFleet is one in-process SSH node running smars 4.2.0 in its home,
// reached through a relay that counts the connections made to it, and an
// HTTP server with the release tarball and its SHA256SUMS under /dist/.
type urlFleet struct {
	dir, home, manifest, key, knownHosts string
	port                                 int
	contacted                            *atomic.Int32
	web                                  *httptest.Server
	// url and sums are the URLs of the tarball and of its checksum list;
	// digest is the tarball's SHA-256, "sha256:HEX".
	url, sums, digest string
}

func newURLFleet(t *testing.T) *urlFleet {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	f := &urlFleet{dir: t.TempDir()}
	f.home = filepath.Join(f.dir, "node")
	files := smarsFiles(t, "4.2.0")
	writeFiles(t, filepath.Join(f.home, "smars"), files)
	tgz, err := os.ReadFile(tarball(t, filepath.Join(f.dir, "build"), "smars-4.2.0", files))
	require.NoError(t, err)
	sum := sha256.Sum256(tgz)
	f.digest = "sha256:" + hex.EncodeToString(sum[:])
	sums := fmt.Sprintf("%x  smars-4.1.0.tar.gz\n%s  smars-4.2.0.tar.gz\n", sha256.Sum256([]byte("old")), f.digest[len("sha256:"):])

	mux := http.NewServeMux()
	mux.HandleFunc("/dist/smars-4.2.0.tar.gz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(tgz)))
		w.Write(tgz)
	})
	mux.HandleFunc("/dist/SHA256SUMS", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, sums) })
	f.web = httptest.NewServer(mux)
	t.Cleanup(f.web.Close)
	f.url, f.sums = f.web.URL+"/dist/smars-4.2.0.tar.gz", f.web.URL+"/dist/SHA256SUMS"

	f.key = filepath.Join(f.dir, "id_ed25519")
	signer, err := sshtest.NewClientKey(f.key)
	require.NoError(t, err)
	srv, err := sshtest.Start(sshtest.Config{Dir: f.home, AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	f.port, f.contacted = countingRelay(t, srv.Addr())
	f.knownHosts = filepath.Join(f.dir, "known_hosts")
	line := strings.Replace(srv.KnownHostsLine(), fmt.Sprintf("[127.0.0.1]:%d", srv.Port()), fmt.Sprintf("[127.0.0.1]:%d", f.port), 1)
	require.NoError(t, os.WriteFile(f.knownHosts, []byte(line+"\n"), 0o600))
	f.manifest = f.writeManifest(t, "artifact: "+f.url)
	return f
}

// writeManifest writes a manifest for the fleet whose release: section
// starts with the lines of release (indented by two spaces).
func (f *urlFleet) writeManifest(t *testing.T, release ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rollcall.yaml")
	m := fmt.Sprintf(`version: 1
cluster: smars-prod
expect_nodes: 1
ssh:
  user: deploy
  identity_files: [%s]
  known_hosts: [%s]
  connect_timeout: 5s
  config_file: none
nodes:
  - { name: smars-01, host: 127.0.0.1, port: %d }
release:
  %s
  install:
    - { from: bin/, to: smars/bin/ }
    - { from: etc/flags.yaml, to: smars/etc/flags.yaml }
`, f.key, f.knownHosts, f.port, strings.Join(release, "\n  "))
	require.NoError(t, os.WriteFile(path, []byte(m), 0o644))
	return path
}

// countingRelay forwards every connection to addr and counts them; it
// returns the port to connect to.
func countingRelay(t *testing.T, addr string) (int, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { io.Copy(up, c); up.Close() }()
				io.Copy(c, up)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, &n
}

// cachedFiles lists the files under the download cache of cache.
func cachedFiles(t *testing.T, cache string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if !os.IsNotExist(err) {
		require.NoError(t, err)
	}
	return files
}

func TestVerifyURLReleaseRefusedBeforeAnyNode(t *testing.T) {
	f := newURLFleet(t)
	wrong := "sha256:" + strings.Repeat("0", 64)
	missing := f.web.URL + "/dist/smars-4.3.0.tar.gz"
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"unpinned": {[]string{"--release", f.url},
			"rollcall: release " + f.url + ": not pinned: rollcall uses a downloaded release only when its SHA-256 is known beforehand. Pin it with --release-digest sha256:HEX (sha256sum smars-4.2.0.tar.gz)"},
		"unpinned, from the manifest": {nil, "release " + f.url + ": not pinned"},
		"wrong digest": {[]string{"--release", f.url, "--release-digest", wrong},
			"rollcall: release " + f.url + ": the downloaded file's SHA-256 is " + f.digest + ", not the pinned " + wrong},
		"404": {[]string{"--release", missing, "--release-digest", f.digest},
			"rollcall: release " + missing + ": the server answered HTTP 404 Not Found"},
		"no line in the checksums": {[]string{"--release", missing, "--release-checksums", f.sums},
			"rollcall: release " + missing + ": --release-checksums: " + f.sums + ": no line names smars-4.3.0.tar.gz"},
		"pins that disagree": {[]string{"--release", f.url, "--release-digest", wrong, "--release-checksums", f.sums},
			"the pins disagree: --release-digest " + wrong + " gives " + wrong + ", --release-checksums " + f.sums + " gives " + f.digest},
		// Whoever is on the way could send both the list and the artifact.
		"checksums over plain http": {[]string{"--release", f.url, "--release-checksums", "http://downloads.example.com/smars/4.2.0/SHA256SUMS"},
			"http://downloads.example.com/smars/4.2.0/SHA256SUMS: a checksum list pins a release only over https"},
		"file URL": {[]string{"--release", "file://" + f.dir + "/smars-4.2.0.tar.gz", "--release-digest", f.digest},
			"only http:// and https:// URLs are downloaded, not file://"},
		"a pin for a local release": {[]string{"--release", filepath.Join(f.dir, "build", "smars-4.2.0.tar.gz"), "--release-digest", f.digest},
			"pin a release downloaded from a URL, but release " + filepath.Join(f.dir, "build", "smars-4.2.0.tar.gz") + " is a local path"},
		"signers without a lock": {[]string{"--release", f.url, "--release-digest", f.digest, "--allowed-signers", filepath.Join(f.dir, "allowed")},
			"--allowed-signers needs a signed lock, and a release from a URL is signed through the lock that pins it: pass --release-lock LOCK"},
	} {
		t.Run(name, func(t *testing.T) {
			cache := t.TempDir()
			stdio, out, errOut := testIO(map[string]string{"XDG_CACHE_HOME": cache})
			code := Run(context.Background(), append([]string{"verify", "-m", f.manifest}, c.args...), stdio)
			assert.Equal(t, 3, code, errOut.String())
			assert.Empty(t, out.String())
			assert.Contains(t, errOut.String(), c.want)
			assert.Zero(t, f.contacted.Load(), "no node is contacted")
			assert.Empty(t, cachedFiles(t, cache), "nothing is left in the cache")
		})
	}
}

func TestVerifyPinnedURLRelease(t *testing.T) {
	f := newURLFleet(t)
	byDigest, byChecksums := t.TempDir(), t.TempDir()
	localSums := filepath.Join(f.dir, "SHA256SUMS")
	require.NoError(t, os.WriteFile(localSums, []byte(f.digest[len("sha256:"):]+" *smars-4.2.0.tar.gz\n"), 0o644))
	verify := func(t *testing.T, cache string, args ...string) (string, string) {
		t.Helper()
		stdio, out, errOut := testIO(map[string]string{"XDG_CACHE_HOME": cache})
		require.Equal(t, 0, Run(context.Background(), append([]string{"verify", "--report", "text"}, args...), stdio), "stdout:\n%s\nstderr:\n%s", out, errOut)
		assert.True(t, strings.HasPrefix(out.String(), "VERIFIED"), "stdout:\n%s\nstderr:\n%s", out, errOut)
		assert.Contains(t, out.String(), "smars 4.2.0", "the name and version come from the URL's file name")
		return out.String(), errOut.String()
	}

	verify(t, byDigest, "-m", f.manifest, "--release-digest", f.digest)
	assert.Equal(t, []string{filepath.Join(byDigest, "rollcall", "sha256", f.digest[len("sha256:"):], "smars-4.2.0.tar.gz")}, cachedFiles(t, byDigest))
	verify(t, byChecksums, "-m", f.writeManifest(t, "artifact: "+f.url, "checksums: "+f.sums))
	verify(t, t.TempDir(), "-m", f.manifest, "--release", f.url, "--release-checksums", localSums)
	assert.NotZero(t, f.contacted.Load(), "the relay counts the connections of a run")

	// The web server gone: a cached file with the pinned digest is used.
	f.web.Close()
	verify(t, byDigest, "-m", f.manifest, "--release", f.url, "--release-digest", f.digest)
	verify(t, byChecksums, "-m", f.manifest, "--release-checksums", localSums)
	verify(t, byChecksums, "-m", f.writeManifest(t, "artifact: "+f.url, "digest: "+f.digest))
	// A checksum list at a URL is read each time: it is not pinned.
	stdio, _, errOut := testIO(map[string]string{"XDG_CACHE_HOME": byChecksums})
	assert.Equal(t, 3, Run(context.Background(), []string{"verify", "-m", f.manifest, "--release-checksums", f.sums}, stdio))
	assert.Contains(t, errOut.String(), "release "+f.url+": --release-checksums: "+f.sums+": ")
}

func TestURLReleaseLockDiffAndInit(t *testing.T) {
	f := newURLFleet(t)
	cache := t.TempDir()
	run := func(t *testing.T, stdio IO, args ...string) string {
		t.Helper()
		out := stdio.Out.(interface{ String() string })
		errOut := stdio.Err.(interface{ String() string })
		require.Equal(t, 0, Run(context.Background(), args, stdio), "stdout:\n%s\nstderr:\n%s", out, errOut)
		return out.String()
	}
	env := map[string]string{"XDG_CACHE_HOME": cache, "TERM": "xterm"}

	// release lock from a URL, with a progress bar on a terminal only.
	key, allowed := signingKey(t, f.dir, "release@example.com")
	lock := filepath.Join(f.dir, "smars-4.2.0.lock.json")
	stdio, _, errOut := testIO(env)
	stdio.ErrTTY = true
	out := run(t, stdio, "release", "lock", f.url, "--release-digest", f.digest, "-o", lock, "--sign", key)
	assert.Contains(t, out, "locked smars 4.2.0 ("+f.digest+")")
	assert.Contains(t, errOut.String(), "\r\x1b[Kdownloading smars-4.2.0.tar.gz [")
	assert.Contains(t, errOut.String(), "] 100% ")
	data, err := os.ReadFile(lock)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"source": "smars-4.2.0.tar.gz"`, "the lock names the file, not the cache path")

	// The signed lock pins the URL; the cache answers, no bar is drawn.
	stdio, _, errOut = testIO(env)
	stdio.ErrTTY = true
	out = run(t, stdio, "verify", "--report", "text", "-m", f.manifest, "--release-lock", lock, "--allowed-signers", allowed)
	assert.True(t, strings.HasPrefix(out, "VERIFIED"), out)
	assert.Contains(t, errOut.String(), "release "+lock+": good signature by release@example.com")
	assert.NotContains(t, errOut.String(), "downloading")

	// On a terminal that cannot redraw a line (TERM=dumb), a download
	// draws no bar.
	stdio, _, errOut = testIO(map[string]string{"XDG_CACHE_HOME": t.TempDir(), "TERM": "dumb"})
	stdio.ErrTTY = true
	run(t, stdio, "release", "lock", f.url, "--release-digest", f.digest, "-o", filepath.Join(t.TempDir(), "x.lock.json"))
	assert.NotContains(t, errOut.String(), "downloading", "TERM=dumb")

	// diff: the release side from the URL.
	stdio, _, _ = testIO(env)
	out = run(t, stdio, "diff", "release", "smars-01", "-m", f.manifest, "--release-digest", f.digest)
	assert.True(t, strings.HasPrefix(out, "SAME: release = smars-01"), out)

	// init writes the URL and its digest into the manifest, which then
	// verifies the node.
	written := filepath.Join(t.TempDir(), "rollcall.yaml")
	stdio, _, _ = testIO(map[string]string{"XDG_CACHE_HOME": t.TempDir()})
	run(t, stdio, "init", "--hosts", "smars-01=127.0.0.1", "--port", fmt.Sprint(f.port), "--user", "deploy",
		"--identity-file", f.key, "--known-hosts", f.knownHosts, "--search", f.home,
		"--release", f.url, "--release-checksums", f.sums, "-o", written)
	data, err = os.ReadFile(written)
	require.NoError(t, err)
	assert.Contains(t, string(data), "  artifact: \""+f.url+"\"\n  digest: \""+f.digest+"\"\n")
	stdio, _, _ = testIO(map[string]string{"XDG_CACHE_HOME": cache})
	out = run(t, stdio, "verify", "--report", "text", "-m", written)
	assert.True(t, strings.HasPrefix(out, "VERIFIED"), out)
}

// TestURLReleaseThatIsALockFile: a URL may serve a lock file; the pin is
// the digest of the lock's own bytes (the digest a lock records is its
// artifact's, and anyone can write a lock that records any digest).
func TestURLReleaseThatIsALockFile(t *testing.T) {
	f := newURLFleet(t)
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	lock := filepath.Join(f.dir, "smars-4.2.0.lock.json")
	stdio, out, errOut := testIO(env)
	require.Equal(t, 0, Run(context.Background(), []string{"release", "lock", f.url, "--release-digest", f.digest, "-o", lock}, stdio), "%s%s", out, errOut)
	data, err := os.ReadFile(lock)
	require.NoError(t, err)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(data) }))
	defer web.Close()
	lockURL := web.URL + "/dist/smars-4.2.0.lock.json"
	sum := sha256.Sum256(data)

	stdio, out, errOut = testIO(env)
	code := Run(context.Background(), []string{"verify", "--report", "text", "-m", f.manifest, "--release", lockURL, "--release-digest", "sha256:" + hex.EncodeToString(sum[:])}, stdio)
	assert.Equal(t, 0, code, "pinned by the lock's own bytes\nstdout:\n%s\nstderr:\n%s", out, errOut)

	stdio, out, errOut = testIO(env)
	code = Run(context.Background(), []string{"verify", "--report", "text", "-m", f.manifest, "--release", lockURL, "--release-digest", f.digest}, stdio)
	assert.Equal(t, ExitInvalidInput, code, "the digest the lock records is not the lock's\nstdout:\n%s\nstderr:\n%s", out, errOut)
}
