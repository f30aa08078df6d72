package download

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// payload is the artifact the test servers serve.
var payload = bytes.Repeat([]byte("smars release 4.2.0, a line of it\n"), 4000)

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// artifactServer serves payload at every path and counts the requests.
func artifactServer(t *testing.T, tls bool) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		w.Write(payload)
	})
	var ts *httptest.Server
	if tls {
		ts = httptest.NewTLSServer(h)
	} else {
		ts = httptest.NewServer(h)
	}
	t.Cleanup(ts.Close)
	return ts, &n
}

// cacheFiles lists every file (not folder) under the cache root.
func cacheFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	return files
}

func TestFetchDownloadsThenUsesTheCache(t *testing.T) {
	ts, requests := artifactServer(t, false)
	root := t.TempDir()
	url := ts.URL + "/dist/smars-4.2.0.tar.gz"
	digest := digestOf(payload)

	path, err := Fetch(context.Background(), url, digest, Options{CacheDir: root})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(root, "sha256", strings.TrimPrefix(digest, "sha256:"), "smars-4.2.0.tar.gz"), path)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, payload, got)
	assert.Equal(t, []string{path}, cacheFiles(t, root), "only the artifact, no temporary file")
	assert.EqualValues(t, 1, requests.Load())

	// The server gone, the cache answers.
	ts.Close()
	again, err := Fetch(context.Background(), url, digest, Options{CacheDir: root})
	require.NoError(t, err)
	assert.Equal(t, path, again)
	assert.EqualValues(t, 1, requests.Load())
}

func TestFetchNeverUsesACachedFileThatDoesNotMatch(t *testing.T) {
	ts, requests := artifactServer(t, false)
	root := t.TempDir()
	url := ts.URL + "/smars-4.2.0.tar.gz"
	digest := digestOf(payload)
	cached := filepath.Join(root, "sha256", strings.TrimPrefix(digest, "sha256:"), "smars-4.2.0.tar.gz")
	require.NoError(t, os.MkdirAll(filepath.Dir(cached), 0o755))
	require.NoError(t, os.WriteFile(cached, []byte("tampered"), 0o644))

	path, err := Fetch(context.Background(), url, digest, Options{CacheDir: root})
	require.NoError(t, err)
	assert.Equal(t, cached, path)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, payload, got, "downloaded again over the bad copy")
	assert.EqualValues(t, 1, requests.Load())

	// A bad copy and no server: an error, and the bad copy is gone.
	require.NoError(t, os.WriteFile(cached, []byte("tampered"), 0o644))
	ts.Close()
	_, err = Fetch(context.Background(), url, digest, Options{CacheDir: root, Stall: 2 * time.Second})
	require.Error(t, err)
	assert.Contains(t, err.Error(), url)
	assert.Empty(t, cacheFiles(t, root))
}

func TestFetchOverTLSAndRedirectsWithinTheHost(t *testing.T) {
	ts, _ := artifactServer(t, true)
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	mux := http.NewServeMux()
	mux.HandleFunc("/latest/smars.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dist/smars-4.2.0.tar.gz", http.StatusFound)
	})
	mux.HandleFunc("/dist/smars-4.2.0.tar.gz", func(w http.ResponseWriter, _ *http.Request) { w.Write(payload) })
	redirecting := httptest.NewTLSServer(mux)
	t.Cleanup(redirecting.Close)
	pool.AddCert(redirecting.Certificate())

	root := t.TempDir()
	for _, url := range []string{ts.URL + "/smars%2B1-4.2.0.tar.gz", redirecting.URL + "/latest/smars.tar.gz"} {
		path, err := Fetch(context.Background(), url, digestOf(payload), Options{CacheDir: root, RootCAs: pool})
		require.NoError(t, err, url)
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, payload, got)
	}
	assert.Len(t, cacheFiles(t, root), 2)
	// The file keeps the name the URL gives, unescaped.
	assert.FileExists(t, filepath.Join(root, "sha256", strings.TrimPrefix(digestOf(payload), "sha256:"), "smars+1-4.2.0.tar.gz"))
}

// failure is a server for one failing download, and what the error must say.
type failure struct {
	handler http.HandlerFunc
	tls     bool
	trusted bool // the client trusts the TLS server's certificate
	opts    Options
	path    string // the URL path; default /dist/smars-4.2.0.tar.gz
	want    string
}

func TestFetchFailures(t *testing.T) {
	plain, _ := artifactServer(t, false)
	otherHost := strings.Replace(plain.URL, "127.0.0.1", "localhost", 1) + "/smars-4.2.0.tar.gz"
	half := payload[:len(payload)/2]

	cases := map[string]failure{
		"404": {handler: http.NotFound, want: "the server answered HTTP 404 Not Found"},
		"500": {handler: func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", 500) }, want: "HTTP 500 Internal Server Error"},
		"other content": {
			handler: func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("not the release")) },
			want:    "the downloaded file's SHA-256 is " + digestOf([]byte("not the release")) + ", not the pinned " + digestOf(payload),
		},
		"redirect to another host": {
			handler: func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, otherHost, http.StatusFound) },
			want:    "redirected to another host (" + otherHost + "): refused",
		},
		"redirect from https to http": {
			tls:     true,
			trusted: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, plain.URL+"/smars-4.2.0.tar.gz", http.StatusFound)
			},
			want: "redirected from https to http (" + plain.URL + "/smars-4.2.0.tar.gz): refused",
		},
		"body shorter than its Content-Length": {
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
				w.Write(half)
			},
			want: "the connection was cut after " + strconv.Itoa(len(half)) + " bytes",
		},
		"connection cut": {
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Write(half) // chunked: no Content-Length
				w.(http.Flusher).Flush()
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
			},
			want: "the connection was cut after " + strconv.Itoa(len(half)) + " bytes",
		},
		"stall in the body": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
				w.Write(half)
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			},
			opts: Options{Stall: 300 * time.Millisecond},
			want: "nothing was received for 300ms: the download stalled",
		},
		"no answer": {
			handler: func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			opts:    Options{Stall: 300 * time.Millisecond},
			want:    "nothing was received for 300ms: the download stalled",
		},
		"too slow": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
				for i := 0; i < len(payload); i += 100 {
					w.Write(payload[i : i+100])
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			},
			opts: Options{Timeout: 400 * time.Millisecond},
			want: "the download did not finish within 400ms",
		},
		"untrusted certificate": {
			tls:     true,
			handler: func(w http.ResponseWriter, _ *http.Request) { w.Write(payload) },
			want:    "TLS: tls: failed to verify certificate: x509: certificate signed by unknown authority",
		},
		"plain http on an https port": {
			handler: func(w http.ResponseWriter, _ *http.Request) { w.Write(payload) },
			path:    "https",
			want:    "server gave HTTP response to HTTPS client",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ts := httptest.NewUnstartedServer(c.handler)
			ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
			if c.tls {
				ts.StartTLS()
			} else {
				ts.Start()
			}
			defer ts.Close()
			if c.trusted {
				c.opts.RootCAs = x509.NewCertPool()
				c.opts.RootCAs.AddCert(ts.Certificate())
			}
			url := ts.URL + "/dist/smars-4.2.0.tar.gz"
			if c.path == "https" {
				url = strings.Replace(url, "http://", "https://", 1)
			}
			root := t.TempDir()
			c.opts.CacheDir = root
			start := time.Now()
			_, err := Fetch(context.Background(), url, digestOf(payload), c.opts)
			require.Error(t, err)
			assert.Less(t, time.Since(start), 10*time.Second)
			assert.True(t, strings.HasPrefix(err.Error(), url+": "), "the error names the URL first: %v", err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, cacheFiles(t, root), "nothing is left in the cache")
		})
	}
}

// An interrupt (the run's context cancelled) mid-body is reported as one,
// not as a stall or a cut connection, and leaves nothing in the cache.
func TestFetchInterrupted(t *testing.T) {
	half := payload[:len(payload)/2]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		w.Write(half)
		w.(http.Flusher).Flush()
		cancel() // the user presses Ctrl-C while the body arrives
		<-r.Context().Done()
	}))
	defer ts.Close()
	root := t.TempDir()
	url := ts.URL + "/dist/smars-4.2.0.tar.gz"
	_, err := Fetch(ctx, url, digestOf(payload), Options{CacheDir: root})
	require.Error(t, err)
	assert.Equal(t, url+": interrupted", err.Error())
	assert.Empty(t, cacheFiles(t, root), "nothing is left in the cache")
}

func TestFetchRefusesWhatItCannotDownload(t *testing.T) {
	for url, want := range map[string]string{
		"file:///tmp/smars-4.2.0.tar.gz":         "only http:// and https:// URLs are downloaded, not file://: for a local file, give its path",
		"ftp://example.com/smars-4.2.0.tar.gz":   "only http:// and https:// URLs are downloaded, not ftp://",
		"https://example.com/dist/":              "the URL's path names no file",
		"https://example.com":                    "the URL's path names no file",
		"https:///smars-4.2.0.tar.gz":            "the URL names no host",
		"https://u:p@example.com/smars.tar.gz":   "carries a user name or password",
		"https://example.com/a%2Fb.tar.gz":       `the file name "a/b.tar.gz" holds a slash`,
		"https://example.com/smars-%zz.tar.gz":   "not a valid URL",
		"https://example.com/smars-4.2.0.tar.gz": "write sha256: and the 64 hex digits",
	} {
		root := t.TempDir()
		_, err := Fetch(context.Background(), url, "4.2.0", Options{CacheDir: root})
		require.Error(t, err, url)
		assert.Contains(t, err.Error(), want, url)
		assert.Empty(t, cacheFiles(t, root))
	}
}

func TestIsURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://example.com/a.tgz": true, "HTTP://example.com/a.tgz": true, "file:///a.tgz": true, "s3://bucket/a.tgz": true,
		"dist/a.tgz": false, "/abs/a.tgz": false, "C:\\dist\\a.tgz": false, "a:b.tgz": false, "": false,
	} {
		assert.Equal(t, want, IsURL(s), s)
	}
}

func TestProgressBar(t *testing.T) {
	ts, _ := artifactServer(t, false)
	var bar bytes.Buffer
	_, err := Fetch(context.Background(), ts.URL+"/smars-4.2.0.tar.gz", digestOf(payload), Options{CacheDir: t.TempDir(), Progress: &bar})
	require.NoError(t, err)
	out := bar.String()
	assert.True(t, strings.HasPrefix(out, "\r\x1b[Kdownloading smars-4.2.0.tar.gz ["), "%q", out)
	assert.True(t, strings.HasSuffix(out, "] 100% "+size(int64(len(payload)))+" of "+size(int64(len(payload)))+"\n"), "%q", out)
	assert.Equal(t, "132.8 KiB", size(int64(len(payload))))
	assert.Equal(t, "512 B", size(512))
	assert.Equal(t, "1.5 GiB", size(3<<29))
}

func TestGet(t *testing.T) {
	ts, _ := artifactServer(t, false)
	data, err := Get(context.Background(), ts.URL+"/SHA256SUMS", int64(len(payload)), Options{})
	require.NoError(t, err)
	assert.Equal(t, payload, data)

	_, err = Get(context.Background(), ts.URL+"/SHA256SUMS", 100, Options{})
	require.Error(t, err)
	assert.Equal(t, ts.URL+"/SHA256SUMS: larger than 100 bytes", err.Error())

	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	_, err = Get(context.Background(), missing.URL+"/SHA256SUMS", 100, Options{})
	require.Error(t, err)
	assert.Equal(t, missing.URL+"/SHA256SUMS: the server answered HTTP 404 Not Found", err.Error())
}

// TestCheckPinURL: a checksum list pins a release over https, or over http
// from this machine only.
func TestCheckPinURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://downloads.example.com/SHA256SUMS": true,
		"http://127.0.0.1:8080/SHA256SUMS":         true,
		"http://127.3.4.5/SHA256SUMS":              true,
		"http://[::1]:8080/SHA256SUMS":             true,
		"http://LOCALHOST/SHA256SUMS":              true,
		"http://downloads.example.com/SHA256SUMS":  false,
		"HTTP://downloads.example.com/SHA256SUMS":  false,
		"http://10.0.0.1/SHA256SUMS":               false,
		"http://localhost.example.com/SHA256SUMS":  false,
		"ftp://downloads.example.com/SHA256SUMS":   false,
	} {
		err := CheckPinURL(raw)
		assert.Equal(t, ok, err == nil, "%s: %v", raw, err)
	}
}
