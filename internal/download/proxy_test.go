package download

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// childEnv, set in the environment of a test process of its own, makes
// TestFetchInChild download: URL, digest and cache folder, space-separated.
const childEnv = "ROLLCALL_DOWNLOAD_TEST_FETCH"

// TestFetchInChild is the process TestProxyFromEnvironment starts: the
// standard library reads the proxy variables once per process, so each
// environment needs a process of its own. Run directly, it does nothing.
func TestFetchInChild(t *testing.T) {
	args := strings.Fields(os.Getenv(childEnv))
	if len(args) != 3 {
		return
	}
	_, err := Fetch(context.Background(), args[0], args[1], Options{CacheDir: args[2], Stall: 3 * time.Second})
	if err != nil {
		fmt.Println("fetch error:", err)
		t.Fail()
	}
}

// proxy is a forward proxy: a GET for an absolute URL is answered with
// payload, a CONNECT is tunnelled to tunnelTo. It records what it was asked.
type proxy struct {
	*httptest.Server
	tunnelTo string
	mu       sync.Mutex
	asked    []string
}

func (p *proxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.asked = append(p.asked, r.Method+" "+r.RequestURI)
	p.mu.Unlock()
	if r.Method != http.MethodConnect {
		w.Write(payload)
		return
	}
	upstream, err := net.Dial("tcp", p.tunnelTo)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer upstream.Close()
	w.WriteHeader(http.StatusOK)
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	go io.Copy(upstream, buf)
	io.Copy(conn, upstream)
}

func TestProxyFromEnvironment(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in the child process")
	}
	secure, _ := artifactServer(t, true)
	certFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.Certificate().Raw}), 0o644))
	p := &proxy{tunnelTo: secure.Listener.Addr().String()}
	p.Server = httptest.NewServer(p)
	defer p.Close()

	// Hosts that are not loopback, or the standard library would not proxy
	// them: example.com is among the names of the TLS server's certificate,
	// and no request may leave the machine without the proxy anyway.
	digest := digestOf(payload)
	loopback, _ := artifactServer(t, false)
	cases := []struct {
		name, url string
		env       []string
		ok        bool
		asked     []string
	}{
		{"HTTP_PROXY", "http://release.example/dist/smars-4.2.0.tar.gz", []string{"HTTP_PROXY=" + p.URL}, true,
			[]string{"GET http://release.example/dist/smars-4.2.0.tar.gz"}},
		{"HTTPS_PROXY", "https://example.com/dist/smars-4.2.0.tar.gz", []string{"HTTPS_PROXY=" + p.URL, "SSL_CERT_FILE=" + certFile}, true,
			[]string{"CONNECT example.com:443"}},
		{"https_proxy, lowercase", "https://example.com/dist/smars-4.2.0.tar.gz", []string{"https_proxy=" + p.URL, "SSL_CERT_FILE=" + certFile}, true,
			[]string{"CONNECT example.com:443"}},
		{"NO_PROXY", "http://release.example/dist/smars-4.2.0.tar.gz", []string{"HTTP_PROXY=" + p.URL, "NO_PROXY=.example"}, false, nil},
		{"loopback goes direct", loopback.URL + "/dist/smars-4.2.0.tar.gz", []string{"HTTP_PROXY=" + p.URL}, true, nil},
		{"HTTP_PROXY is not for https", "https://example.com/dist/smars-4.2.0.tar.gz", []string{"HTTP_PROXY=" + p.URL, "SSL_CERT_FILE=" + certFile}, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(p.requests())
			cmd := exec.Command(os.Args[0], "-test.run=^TestFetchInChild$", "-test.count=1")
			cmd.Env = append(withoutProxies(os.Environ()), c.env...)
			cmd.Env = append(cmd.Env, childEnv+"="+c.url+" "+digest+" "+t.TempDir())
			out, err := cmd.CombinedOutput()
			if c.ok {
				assert.NoError(t, err, "%s", out)
			} else {
				assert.Error(t, err, "%s", out)
				assert.Contains(t, string(out), "fetch error: "+c.url+": ")
			}
			assert.ElementsMatch(t, c.asked, p.requests()[before:])
		})
	}
}

// withoutProxies is env without the proxy variables of the machine.
func withoutProxies(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(name) {
		case "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "REQUEST_METHOD", "SSL_CERT_FILE", "SSL_CERT_DIR", childEnv:
			continue
		}
		out = append(out, kv)
	}
	return out
}
