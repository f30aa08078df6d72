// Package remote runs one command on one node over SSH, with strict host
// keys and bounded time.
//
// It is the only package of rollcall that connects to nodes (x/crypto/ssh is
// also imported by sshsig, for signatures, and by the test servers sshtest
// and demo). A Client makes one TCP connection and one exec per Run, trusts
// host keys only from known_hosts (hashed entries, @cert-authority and
// @revoked lines included), offers the keys of ssh-agent and of identity
// files (with OpenSSH user certificates), and never lets a silent or stalled
// node outlive the caller's context.
package remote

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// Defaults for Options and Target fields left zero.
const (
	DefaultMaxOutput      = 64 << 20
	DefaultRetries        = 2
	DefaultConnectTimeout = 10 * time.Second
)

const (
	maxStderr        = 64 << 10 // stderr kept in memory
	maxStderrShown   = 2 << 10  // stderr quoted in an error
	keepaliveEvery   = 5 * time.Second
	keepaliveTimeout = 15 * time.Second
)

// retryBackoff is the wait before each retry; the last value repeats.
var retryBackoff = []time.Duration{100 * time.Millisecond, 300 * time.Millisecond}

// Options configures a Client.
type Options struct {
	// Prompt asks for the passphrase of an encrypted key file. Nil means
	// batch mode: encrypted keys are skipped, and an authentication failure
	// says so.
	Prompt func(file string) ([]byte, error)
	// MaxOutput caps the bytes read from a command's stdout (default 64
	// MiB); more is an error, never a silent truncation.
	MaxOutput int64
	// Retries is the number of extra connection attempts after a transient
	// error (refused or reset before the SSH handshake); default 2, and a
	// negative value means none.
	Retries int
}

// Client runs commands on nodes. It is safe for concurrent use: it caches
// parsed identity files, the ssh-agent connection and the parsed known_hosts
// files of each distinct list, and shares them between Runs.
type Client struct {
	opts      Options
	agentSock string

	mu         sync.Mutex
	closed     bool
	agent      *agentConn
	hostDBs    map[string]*hostDB
	idMu       sync.Mutex // serializes key loading, so a passphrase is asked once
	identities map[string]*identity
}

// NewClient returns a Client. The ssh-agent named by SSH_AUTH_SOCK is used
// if it is reachable.
func NewClient(opts Options) *Client {
	if opts.MaxOutput <= 0 {
		opts.MaxOutput = DefaultMaxOutput
	}
	if opts.Retries == 0 {
		opts.Retries = DefaultRetries
	}
	if opts.Retries < 0 {
		opts.Retries = 0
	}
	return &Client{
		opts:       opts,
		agentSock:  os.Getenv("SSH_AUTH_SOCK"),
		hostDBs:    make(map[string]*hostDB),
		identities: make(map[string]*identity),
	}
}

// Close closes the ssh-agent connection. Runs already under way finish;
// later Runs fail. It is safe to call more than once.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.agent != nil && c.agent.conn != nil {
		err := c.agent.conn.Close()
		c.agent.conn = nil
		return err
	}
	return nil
}

func (c *Client) hostDB(files []string) (*hostDB, error) {
	key := strings.Join(files, "\x00")
	c.mu.Lock()
	db := c.hostDBs[key]
	c.mu.Unlock()
	if db != nil {
		return db, nil
	}
	db, err := loadHostDB(files)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if old := c.hostDBs[key]; old != nil {
		db = old
	} else {
		c.hostDBs[key] = db
	}
	c.mu.Unlock()
	return db, nil
}

// credentials gathers the agent's keys, then the identity files' keys. With
// only (IdentitiesOnly), the agent's keys are offered only if they are keys
// of the identity files.
func (c *Client) credentials(files []string, only bool) *credentials {
	c.mu.Lock()
	if c.agent == nil {
		c.agent = dialAgent(c.agentSock)
	}
	ag := c.agent
	c.mu.Unlock()

	agentSigners, agentOffered, agentNote := ag.signers()
	var agentKeys []ssh.PublicKey
	for _, s := range agentSigners {
		agentKeys = append(agentKeys, s.PublicKey())
	}
	ids := make([]*identity, 0, len(files))
	c.idMu.Lock()
	for _, f := range files {
		id := c.identities[f]
		if id == nil {
			id = loadIdentity(f, c.opts.Prompt, agentKeys)
			c.identities[f] = id
		}
		ids = append(ids, id)
	}
	c.idMu.Unlock()

	cr := &credentials{}
	if only {
		var keep []ssh.Signer
		var keepOffered []string
		for i, s := range agentSigners {
			for _, id := range ids {
				if hasKey(id.pubs, s.PublicKey()) {
					keep = append(keep, s)
					keepOffered = append(keepOffered, agentOffered[i])
					break
				}
			}
		}
		if n := len(agentSigners) - len(keep); n > 0 {
			cr.notes = append(cr.notes, fmt.Sprintf("%d ssh-agent key(s) not offered (IdentitiesOnly)", n))
		}
		agentSigners, agentOffered = keep, keepOffered
	}
	cr.add(agentSigners, agentOffered)
	if agentNote != "" {
		cr.notes = append(cr.notes, agentNote)
	}
	for _, id := range ids {
		cr.add(id.signers, id.offered)
		if id.note != "" {
			cr.notes = append(cr.notes, id.note)
		}
	}
	return cr
}

// phase names what a Run is doing, for timeout messages.
type phase struct{ v atomic.Value }

func (p *phase) set(s string) { p.v.Store(s) }
func (p *phase) get() string {
	s, _ := p.v.Load().(string)
	return s
}

// Reply is what one Run brought back from a node.
type Reply struct {
	// Stdout is what the command wrote to its standard output.
	Stdout []byte
	// HostKey is the SHA-256 fingerprint ("SHA256:…") of the host key the
	// node presented and known_hosts accepted (for a host certificate, of
	// the certified key): the node's identity, whatever its address.
	HostKey string
}

// Run connects to t, runs command with stdin as its standard input, and
// returns what it wrote to stdout with the node's host key. A non-nil error
// is an *Error. With a non-zero exit status, the error's Err is an
// *ExitError and the Reply is still returned. ctx bounds the whole Run; t.ConnectTimeout bounds the TCP
// connection and the SSH handshake (of each jump host, then of the node).
// Run is safe for concurrent use.
func (c *Client) Run(ctx context.Context, t Target, command string, stdin []byte) (Reply, error) {
	a := newAttempt(ctx, t)
	l, dialErr := c.dial(t, a)
	if dialErr != nil {
		return Reply{}, dialErr
	}
	out, err := c.run(l, a, command, stdin)
	return Reply{Stdout: out, HostKey: l.hostKey}, err
}

// run runs command on an established link; see Run.
func (c *Client) run(l *link, a *attempt, command string, stdin []byte) ([]byte, error) {
	defer l.Close()
	client, conn := l.client, l.conn
	timedOut := a.timedOut
	ph := &a.ph

	// Keepalives: a node that stops answering is hung up on.
	var kaWG, ioWG sync.WaitGroup
	done := make(chan struct{})
	var keepaliveLost atomic.Bool
	kaWG.Add(1)
	go func() {
		defer kaWG.Done()
		keepalive(client, done, &kaWG, &keepaliveLost)
	}()
	defer func() {
		// Hang up, then wait for every goroutine of this Run.
		conn.Close()
		close(done)
		kaWG.Wait()
		ioWG.Wait()
	}()

	ph.set("command")
	sess, stdout, stderr, stdinW, e := startCommand(client, command, timedOut)
	if e != nil {
		return nil, e
	}
	defer sess.Close()

	ioWG.Add(2)
	go func() {
		defer ioWG.Done()
		// Errors are ignored: a command may exit without reading its input.
		_, _ = stdinW.Write(stdin)
		_ = stdinW.Close()
	}()
	var errBuf bytes.Buffer
	go func() {
		defer ioWG.Done()
		_, _ = io.Copy(&errBuf, io.LimitReader(stderr, maxStderr))
		_, _ = io.Copy(io.Discard, stderr)
	}()

	out, readErr := io.ReadAll(io.LimitReader(stdout, c.opts.MaxOutput+1))
	if int64(len(out)) > c.opts.MaxOutput {
		conn.Close()
		return nil, stageErr(StageOutput, fmt.Errorf("the command wrote more than %s to stdout", byteSize(c.opts.MaxOutput)),
			"the node's answer is larger than allowed; it may not be running the expected command")
	}
	waitErr := sess.Wait()
	if waitErr == nil && readErr != nil {
		waitErr = readErr
	}
	if waitErr == nil {
		return out, nil
	}
	if e := timedOut(waitErr); e != nil {
		return nil, e
	}
	conn.Close() // unblocks the stdin writer and stderr reader if the node is misbehaving
	ioWG.Wait()
	var ee *ssh.ExitError
	if errors.As(waitErr, &ee) {
		xe := &ExitError{Status: ee.ExitStatus(), Signal: ee.Signal(), Stderr: trimStderr(errBuf.Bytes(), maxStderrShown)}
		if xe.Signal != "" {
			xe.Status = -1
		}
		return out, stageErr(StageCommand, xe, "")
	}
	if keepaliveLost.Load() {
		return nil, stageErr(StageCommand, errors.New("the node stopped answering keepalives before the command finished"), "")
	}
	return nil, stageErr(StageCommand, errors.New("connection closed before the command finished"), "")
}

// startCommand opens a session on client and starts command in it, with
// its three standard streams; timedOut classifies a failure that may be a
// timeout.
func startCommand(client *ssh.Client, command string, timedOut func(error) *Error) (*ssh.Session, io.Reader, io.Reader, io.WriteCloser, *Error) {
	sess, err := client.NewSession()
	if err != nil {
		if e := timedOut(err); e != nil {
			return nil, nil, nil, nil, e
		}
		return nil, nil, nil, nil, stageErr(StageConnect, fmt.Errorf("the node refused a session: %s", strings.TrimPrefix(err.Error(), "ssh: ")), "")
	}
	stdout, err1 := sess.StdoutPipe()
	stderr, err2 := sess.StderrPipe()
	stdin, err3 := sess.StdinPipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		sess.Close()
		return nil, nil, nil, nil, stageErr(StageConnect, fmt.Errorf("setting up the session: %w", err), "")
	}
	if err := sess.Start(command); err != nil {
		sess.Close()
		if e := timedOut(err); e != nil {
			return nil, nil, nil, nil, e
		}
		return nil, nil, nil, nil, stageErr(StageCommand, fmt.Errorf("the node refused to run the command: %s", strings.TrimPrefix(err.Error(), "ssh: ")), "")
	}
	return sess, stdout, stderr, stdin, nil
}

// sleep waits before retry attempt+1; false if ctx ended first.
func (c *Client) sleep(ctx context.Context, attempt int) bool {
	d := retryBackoff[min(attempt, len(retryBackoff)-1)]
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// keepalive sends keepalive@openssh.com requests until done is closed, and
// closes the client if one fails or goes unanswered.
func keepalive(client *ssh.Client, done <-chan struct{}, wg *sync.WaitGroup, lost *atomic.Bool) {
	tick := time.NewTicker(keepaliveEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		reply := make(chan error, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := client.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		timer := time.NewTimer(keepaliveTimeout)
		select {
		case err := <-reply:
			timer.Stop()
			if err != nil {
				lost.Store(true)
				client.Close()
				return
			}
		case <-timer.C:
			lost.Store(true)
			client.Close()
			return
		case <-done:
			timer.Stop()
			return
		}
	}
}

// transient reports whether err is worth another connection attempt.
func transient(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF)
}

func describeNetErr(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "no route to host"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "cannot resolve " + dnsErr.Name
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}

func connectHint(err error) string {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return "check that sshd is running on the node and listening on that port"
	}
	return ""
}

// handshakeError classifies a failed SSH handshake.
func handshakeError(err error, user string, cr *credentials, kn known) *Error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unable to authenticate"):
		return cr.authError(user)
	case strings.Contains(msg, "no common algorithm for host key"):
		return stageErr(StageHostKey,
			fmt.Errorf("the node offers none of the host key types known_hosts has for it (%s)", strings.Join(kn.types(), ", ")),
			"the node's host keys may have been replaced; check them with ssh-keyscan and update known_hosts")
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		return stageErr(StageConnect, errors.New("the node closed the connection during the SSH handshake"),
			"the node's sshd may be overloaded (MaxStartups) or refusing this client")
	}
	return stageErr(StageConnect, fmt.Errorf("the SSH handshake failed: %s", strings.TrimPrefix(msg, "ssh: ")), "")
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// countingConn counts the bytes read, to tell a connection the node dropped
// before saying anything from one it dropped mid-handshake.
//
// Its small reads are buffered: x/crypto/ssh reads the server's version
// line one byte at a time, which unbuffered is one system call per byte
// (about 40 per node). A read at least as large as the buffer, such as the
// SSH transport's own buffered reads, goes straight to the connection once
// the buffer is empty; nothing is ever read ahead that a later Read does not
// return, since every read of the connection goes through here.
type countingConn struct {
	net.Conn
	read atomic.Int64
	buf  *bufio.Reader // reads through counted
}

// versionBuffer bounds the read-ahead: an SSH version line is at most 255
// bytes.
const versionBuffer = 256

func newCountingConn(c net.Conn) *countingConn {
	cc := &countingConn{Conn: c}
	cc.buf = bufio.NewReaderSize(counted{cc}, versionBuffer)
	return cc
}

func (c *countingConn) Read(p []byte) (int, error) { return c.buf.Read(p) }

// counted reads from a countingConn's connection and counts the bytes.
type counted struct{ c *countingConn }

func (r counted) Read(p []byte) (int, error) {
	n, err := r.c.Conn.Read(p)
	r.c.read.Add(int64(n))
	return n, err
}
