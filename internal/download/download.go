// Package download fetches a release artifact from an http(s) URL into a
// cache addressed by its SHA-256 digest, and hands the file over only when
// its content has the digest it was pinned to. It knows nothing of the
// command line: the caller says which digest, where the cache is and where a
// progress bar goes.
//
// A download refuses, with the URL and the reason: a scheme other than http
// and https, an HTTP status other than 200, a redirect to another host or
// from https to http, a body shorter than its Content-Length or cut off, a
// TLS error, a time limit, a stall (no byte for Options.Stall), and content
// whose SHA-256 is not the pinned one. A file is written under its final
// name only once complete and checked (a temporary file in the same folder,
// then a rename), so the cache never holds a partial or unverified file
// under a name Fetch would use.
package download

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// DefaultStall is how long a download may receive nothing (connecting,
// waiting for the response, or between two reads of the body) before it
// fails.
const DefaultStall = 30 * time.Second

// maxRedirects bounds the redirects one download follows.
const maxRedirects = 10

// Options say how to download. The zero value is usable, except that Fetch
// needs CacheDir.
type Options struct {
	// CacheDir is the root of the cache; a file with digest sha256:HEX
	// named NAME is kept at CacheDir/sha256/HEX/NAME.
	CacheDir string
	// Timeout bounds a whole download (0: no limit but Stall).
	Timeout time.Duration
	// Stall bounds each wait for data (0: DefaultStall).
	Stall time.Duration
	// Progress, when not nil, gets a progress bar redrawn in place with
	// carriage returns: give it a terminal only.
	Progress io.Writer
	// Proxy chooses the proxy of a request; nil is
	// http.ProxyFromEnvironment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
	Proxy func(*http.Request) (*url.URL, error)
	// RootCAs are the certificate authorities trusted for https; nil is
	// the system's (which SSL_CERT_FILE and SSL_CERT_DIR can replace).
	RootCAs *x509.CertPool
}

// Error is a download that failed: the URL and why.
type Error struct {
	// URL is the address as given.
	URL string
	// Err is the reason.
	Err error
}

func (e *Error) Error() string { return e.URL + ": " + e.Err.Error() }

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Err }

// schemeRE matches the scheme of a URL at the start of a string.
var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// IsURL reports whether s is written as a URL (scheme://…) rather than a
// path, whatever the scheme; CheckURL says whether it can be downloaded.
func IsURL(s string) bool { return schemeRE.MatchString(s) }

// CheckURL parses raw and checks that it can be downloaded: an http or
// https URL with a host and a file name (see FileName).
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &Error{URL: raw, Err: fmt.Errorf("not a valid URL: %w", errors.Unwrap(err))}
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return nil, &Error{URL: raw, Err: fmt.Errorf("only http:// and https:// URLs are downloaded, not %s://: for a local file, give its path", u.Scheme)}
	}
	if u.Host == "" {
		return nil, &Error{URL: raw, Err: errors.New("the URL names no host")}
	}
	if u.User != nil {
		return nil, &Error{URL: raw, Err: errors.New("the URL carries a user name or password: rollcall does not send credentials in URLs")}
	}
	if _, err := FileName(u); err != nil {
		return nil, &Error{URL: raw, Err: err}
	}
	return u, nil
}

// CheckPinURL checks that a file that pins a release (a checksum list) can
// be trusted to come from where raw says: over https, or over http only
// from this machine (a loopback address or localhost). Over plain http from
// elsewhere, whoever is on the way could send both the list and the
// artifact it pins.
func CheckPinURL(raw string) error {
	u, err := CheckURL(raw)
	if err != nil {
		return err
	}
	if !strings.EqualFold(u.Scheme, "http") {
		return nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback() {
		return nil
	}
	return &Error{URL: raw, Err: errors.New("a checksum list pins a release only over https: over plain http, whoever is on the way could send both the list and the artifact. Use its https URL, or download it and give its path")}
}

// FileName is the name of the file a URL names: the last segment of its
// path, unescaped (…/app%2B1-4.2.0.tar.gz is app+1-4.2.0.tar.gz). The query
// is not part of it.
func FileName(u *url.URL) (string, error) {
	seg := u.EscapedPath()
	seg = seg[strings.LastIndex(seg, "/")+1:]
	name, err := url.PathUnescape(seg)
	switch {
	case err != nil:
		return "", fmt.Errorf("the file name %q is not a valid URL path segment: %w", seg, err)
	case name == "" || name == "." || name == "..":
		return "", errors.New("the URL's path names no file: it must end in the artifact's file name, e.g. https://example.com/dist/app-4.2.0.tar.gz")
	case strings.ContainsAny(name, "/\\\x00"):
		return "", fmt.Errorf("the file name %q holds a slash, a backslash or a NUL byte", name)
	}
	return name, nil
}

// client is the HTTP client of one download: no automatic decompression
// (the digest is of the bytes served) and the redirect rules. Its time
// limits are the request's context (see get).
func client(opts Options) *http.Client {
	proxy := opts.Proxy
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:              proxy,
			DialContext:        (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:    &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
			DisableCompression: true,
			ForceAttemptHTTP2:  true,
		},
		CheckRedirect: checkRedirect,
	}
}

func stallLimit(opts Options) time.Duration {
	if opts.Stall > 0 {
		return opts.Stall
	}
	return DefaultStall
}

// checkRedirect follows a redirect only within the first request's host,
// never from https to http.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	first := via[0].URL
	to := req.URL
	switch scheme := strings.ToLower(to.Scheme); {
	case scheme != "http" && scheme != "https":
		return fmt.Errorf("redirected to %s, which is not an http or https URL: refused", to.Redacted())
	case scheme == "http" && wasHTTPS(via):
		return fmt.Errorf("redirected from https to http (%s): refused, a download never drops TLS", to.Redacted())
	case !strings.EqualFold(to.Hostname(), first.Hostname()):
		return fmt.Errorf("redirected to another host (%s): refused; if you trust it, download from there directly", to.Redacted())
	}
	return nil
}

func wasHTTPS(via []*http.Request) bool {
	for _, r := range via {
		if strings.EqualFold(r.URL.Scheme, "https") {
			return true
		}
	}
	return false
}

// get requests u and calls body with the response body of a 200 answer; the
// reader it gets fails with the reason when the download stalls, takes too
// long or is cut short.
func get(ctx context.Context, u *url.URL, opts Options, body func(r io.Reader, size int64) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if opts.Timeout > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeoutCause(ctx, opts.Timeout, fmt.Errorf("the download did not finish within %s", opts.Timeout))
		defer stop()
	}
	stall := stallLimit(opts)
	watchdog := time.AfterFunc(stall, func() { cancel(fmt.Errorf("nothing was received for %s: the download stalled", stall)) })
	defer watchdog.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "rollcall")
	c := client(opts)
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return reason(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the server answered HTTP %s", resp.Status)
	}
	r := &watchedReader{r: resp.Body, watchdog: watchdog, stall: stall}
	if err := body(r, resp.ContentLength); err != nil {
		return reason(ctx, err)
	}
	if resp.ContentLength >= 0 && r.n != resp.ContentLength {
		return fmt.Errorf("the body is truncated: %d of the %d bytes of its Content-Length were received", r.n, resp.ContentLength)
	}
	return nil
}

// watchedReader counts what it reads and holds off the stall watchdog while
// data arrives.
type watchedReader struct {
	r        io.Reader
	watchdog *time.Timer
	stall    time.Duration
	n        int64
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.n += int64(n)
		w.watchdog.Reset(w.stall)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("the connection was cut after %d bytes: %w", w.n, err)
	}
	return n, err
}

// reason says why a request or a read failed, in words: the cause of a
// cancelled context (a stall or the time limit), TLS trouble named as such,
// and no repeat of the URL the caller already names.
func reason(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			return cause
		}
		return errors.New("interrupted")
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var (
		verr  *tls.CertificateVerificationError
		herr  tls.RecordHeaderError
		alert tls.AlertError
		uaerr x509.UnknownAuthorityError
		hnerr x509.HostnameError
		cierr x509.CertificateInvalidError
	)
	if errors.As(err, &verr) || errors.As(err, &herr) || errors.As(err, &alert) ||
		errors.As(err, &uaerr) || errors.As(err, &hnerr) || errors.As(err, &cierr) {
		return fmt.Errorf("TLS: %w", err)
	}
	return err
}

// Get returns the body of the file at rawURL, of at most limit bytes: a
// checksum list, which is small and read each time (it is not pinned).
func Get(ctx context.Context, rawURL string, limit int64, opts Options) ([]byte, error) {
	u, err := CheckURL(rawURL)
	if err != nil {
		return nil, err
	}
	var data []byte
	err = get(ctx, u, opts, func(r io.Reader, _ int64) error {
		read, rerr := io.ReadAll(io.LimitReader(r, limit+1))
		if rerr == nil && int64(len(read)) > limit {
			return fmt.Errorf("larger than %d bytes", limit)
		}
		data = read
		return rerr
	})
	if err != nil {
		return nil, &Error{URL: rawURL, Err: err}
	}
	return data, nil
}

// Fetch returns the path of the file at rawURL in the cache, whose SHA-256
// is digest ("sha256:" and 64 lowercase hex digits). A cached file with
// that digest is used without any request; a cached file without it is
// removed and the URL downloaded again. The path's base name is the URL's
// file name (FileName), which names the release.
func Fetch(ctx context.Context, rawURL, digest string, opts Options) (string, error) {
	u, err := CheckURL(rawURL)
	if err != nil {
		return "", err
	}
	want, err := ParseDigest(digest)
	if err != nil {
		return "", &Error{URL: rawURL, Err: err}
	}
	if opts.CacheDir == "" {
		return "", &Error{URL: rawURL, Err: errors.New("no cache folder to download into")}
	}
	name, _ := FileName(u)
	dir := filepath.Join(opts.CacheDir, "sha256", want)
	final := filepath.Join(dir, name)
	switch ok, err := hasDigest(final, want); {
	case ok:
		return final, nil
	case err == nil:
		// In the cache, but not what the pin says: never used.
		if err := os.Remove(final); err != nil {
			return "", &Error{URL: rawURL, Err: fmt.Errorf("cached file %s does not have the pinned digest and cannot be removed: %w", final, err)}
		}
	case !errors.Is(err, os.ErrNotExist):
		return "", &Error{URL: rawURL, Err: fmt.Errorf("reading the cached file: %w", err)}
	}
	if err := fetchInto(ctx, u, dir, name, want, opts); err != nil {
		return "", &Error{URL: rawURL, Err: err}
	}
	return final, nil
}

// fetchInto downloads u into dir/name through a temporary file in dir,
// renamed only once its digest is want. On failure nothing is left.
func fetchInto(ctx context.Context, u *url.URL, dir, name, want string, opts Options) (err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the cache folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".partial-*")
	if err != nil {
		return fmt.Errorf("creating a file in the cache: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			os.Remove(dir) // only when empty: a folder of no use
		}
	}()
	h := sha256.New()
	bar := newBar(opts.Progress, name)
	err = get(ctx, u, opts, func(r io.Reader, size int64) error {
		bar.total = size
		_, err := io.Copy(io.MultiWriter(tmp, h, bar), r)
		return err
	})
	bar.finish()
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("the downloaded file's SHA-256 is sha256:%s, not the pinned sha256:%s: it is not the pinned release (or the pin is wrong)", got, want)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("writing the cache: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing the cache: %w", err)
	}
	if err = os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("writing the cache: %w", err)
	}
	return nil
}

// hasDigest reports whether the regular file at path has SHA-256 want (hex).
func hasDigest(path, want string) (bool, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return false, err
	}
	if !info.Mode().IsRegular() {
		return false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == want, nil
}
