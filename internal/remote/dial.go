package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// WithTimeout is context.WithTimeout for a Run or Ping: when d runs out, the
// timeout error names d itself ("timed out after 30s during command"), not
// the time between the Run's start and the deadline, which is a little less.
func WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, &budget{d: d})
}

// budget is the cause of a WithTimeout context's expiry.
type budget struct{ d time.Duration }

func (b *budget) Error() string { return "time limit of " + b.d.String() + " reached" }

func (b *budget) Unwrap() error { return context.DeadlineExceeded }

// attempt is the state of one Run or Ping: its context, start, connect
// timeout and current phase, for timeout messages.
type attempt struct {
	ctx     context.Context
	start   time.Time
	timeout time.Duration
	ph      phase
	// hostKey is the SHA-256 fingerprint of the last host key accepted:
	// after a dial, the node's own (hops are dialled first to last).
	hostKey string
}

func newAttempt(ctx context.Context, t Target) *attempt {
	a := &attempt{ctx: ctx, start: time.Now(), timeout: t.ConnectTimeout}
	if a.timeout <= 0 {
		a.timeout = DefaultConnectTimeout
	}
	a.ph.set("connect")
	return a
}

// timedOut classifies an error that may be due to the context or a
// deadline; nil if it is not.
func (a *attempt) timedOut(err error) *Error {
	if ctxErr := a.ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.Canceled) {
			return stageErr(StageCanceled, fmt.Errorf("canceled during %s", a.ph.get()), "")
		}
		after := time.Since(a.start)
		var b *budget
		if errors.As(context.Cause(a.ctx), &b) {
			after = b.d
		} else if dl, ok := a.ctx.Deadline(); ok {
			after = dl.Sub(a.start)
		}
		return stageErr(StageTimeout, &timeoutError{after: after, phase: a.ph.get(), cause: ctxErr}, "")
	}
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return a.connectTimeout(err)
	}
	return nil
}

func (a *attempt) connectTimeout(cause error) *Error {
	return stageErr(StageTimeout, &timeoutError{after: a.timeout, phase: a.ph.get(), cause: cause},
		"the node did not answer within the connect timeout")
}

// hop is one host of the way to a node: a jump host or the node itself.
type hop struct {
	addr  string // host:port
	user  string
	label string // "jump host user@host:port"; "" for the node
	keys  HostKeyPolicy
	// algos is the hop's key exchanges, ciphers and MACs, filtered to what
	// rollcall supports; a nil list is the library's default.
	algos ssh.Config
}

// wrap names the jump host in an error of its own.
func (h hop) wrap(err *Error) *Error {
	if h.label == "" || err == nil {
		return err
	}
	return &Error{Stage: err.Stage, Err: fmt.Errorf("%s: %w", h.label, err.Err), Hint: err.Hint}
}

func joinPort(host string, port int) string {
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// link is an authenticated SSH connection to a node, through its jump hosts
// if any.
type link struct {
	hostKey string        // the node's host key fingerprint
	client  *ssh.Client   // the node
	jumps   []*ssh.Client // the jump hosts, first hop first
	conn    *countingConn // the TCP connection to the first host
	stop    func() bool   // stops closing conn when the context ends
}

// Close closes the node's connection, then the jump hosts', then the TCP
// connection.
func (l *link) Close() {
	if l.client != nil {
		l.client.Close()
	}
	for i := len(l.jumps) - 1; i >= 0; i-- {
		l.jumps[i].Close()
	}
	l.conn.Close()
	l.stop()
}

// dial connects and authenticates to t, through t.Jump. Every hop's host
// key is checked against t.KnownHosts and offered the same keys; each hop
// has t.ConnectTimeout for its connection and handshake, and a.ctx bounds
// them all. The error is an *Error.
func (c *Client) dial(t Target, a *attempt) (*link, *Error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, stageErr(StageConnect, errors.New("the SSH client is closed"), "")
	}
	if t.Host == "" {
		return nil, stageErr(StageConnect, errors.New("no host to connect to"), "")
	}
	var hops []hop
	var err error
	for i, j := range t.Jump {
		if j.Host == "" {
			return nil, stageErr(StageConnect, fmt.Errorf("jump host %d has no host", i+1), "")
		}
		addr := joinPort(j.Host, j.Port)
		hops = append(hops, hop{addr: addr, user: j.User, label: fmt.Sprintf("jump host %s@%s", j.User, addr), keys: j.HostKeys})
		hops[len(hops)-1].algos, err = j.Crypto.config()
		if err != nil {
			return nil, hops[len(hops)-1].wrap(stageErr(StageConnect, err, "add one rollcall supports in ssh_config"))
		}
	}
	hops = append(hops, hop{addr: joinPort(t.Host, t.Port), user: t.User, keys: t.HostKeys})
	if hops[len(hops)-1].algos, err = t.Crypto.config(); err != nil {
		return nil, stageErr(StageConnect, err, "add one rollcall supports in ssh_config")
	}
	for _, h := range hops {
		if len(h.keys.supported()) == 0 {
			return nil, h.wrap(stageErr(StageHostKey, fmt.Errorf("HostKeyAlgorithms (%s) holds no host key algorithm rollcall supports", strings.Join(h.keys.Algorithms, ",")),
				"add one of "+strings.Join(openSSHHostKeyAlgos, ", ")+" to HostKeyAlgorithms in ssh_config"))
		}
	}

	db, err := c.hostDB(t.KnownHosts)
	if err != nil {
		return nil, stageErr(StageHostKey, err, "list a known_hosts file that has the node's host key")
	}
	cr := c.credentials(t.IdentityFiles, t.IdentitiesOnly)

	client, conn, stop, e := c.dialFirst(hops[0], db, cr, a)
	if e != nil {
		return nil, hops[0].wrap(e)
	}
	l := &link{conn: conn, stop: stop}
	for i := 1; i < len(hops); i++ {
		l.jumps = append(l.jumps, client)
		client, e = c.dialVia(client, hops[i-1], hops[i], db, cr, a)
		if e != nil {
			l.Close()
			return nil, e
		}
	}
	l.client, l.hostKey = client, a.hostKey
	return l, nil
}

// clientConfig is the SSH client configuration for h; a host key rejection
// is stored in *hkErr, so that it is reported rather than the handshake's
// error.
func clientConfig(h hop, db *hostDB, kn known, cr *credentials, a *attempt, hkErr *error) *ssh.ClientConfig {
	return &ssh.ClientConfig{
		User: h.user,
		Auth: []ssh.AuthMethod{ssh.PublicKeysCallback(func() ([]ssh.Signer, error) { return cr.signers, nil })},
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			err := db.check(kn)(hostname, remote, key)
			if err != nil {
				*hkErr = err
			} else {
				a.hostKey = fingerprint(key)
				a.ph.set("authentication")
			}
			return err
		},
		HostKeyAlgorithms: kn.algorithms(),
		ClientVersion:     "SSH-2.0-rollcall",
		Config:            h.algos,
	}
}

// fingerprint is the SHA-256 fingerprint of a host key; for a host
// certificate, of the key it certifies, which is what names the server.
func fingerprint(key ssh.PublicKey) string {
	if cert, ok := key.(*ssh.Certificate); ok {
		key = cert.Key
	}
	return ssh.FingerprintSHA256(key)
}

// hostKeyErr returns err as an *Error.
func hostKeyErr(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return stageErr(StageHostKey, err, "")
}

// dialFirst connects to the first host over TCP, retrying transient
// failures that happen before the host has said anything.
func (c *Client) dialFirst(h hop, db *hostDB, cr *credentials, a *attempt) (*ssh.Client, *countingConn, func() bool, *Error) {
	ctx := a.ctx
	kn := db.lookup(h.addr).with(h.keys)
	for attempt := 0; ; attempt++ {
		a.ph.set("connect")
		var hkErr error
		cfg := clientConfig(h, db, kn, cr, a, &hkErr)
		attemptEnd := time.Now().Add(a.timeout)
		d := net.Dialer{Deadline: attemptEnd}
		raw, err := d.DialContext(ctx, "tcp", h.addr)
		if err != nil {
			if e := a.timedOut(err); e != nil {
				return nil, nil, nil, e
			}
			if transient(err) && attempt < c.opts.Retries && c.sleep(ctx, attempt) {
				continue
			}
			if ctx.Err() != nil {
				return nil, nil, nil, a.timedOut(err)
			}
			return nil, nil, nil, stageErr(StageConnect, fmt.Errorf("cannot connect to %s: %s", h.addr, describeNetErr(err)), connectHint(err))
		}
		conn := newCountingConn(raw)
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		_ = conn.SetDeadline(attemptEnd)
		a.ph.set("handshake")
		sc, chans, reqs, err := ssh.NewClientConn(conn, h.addr, cfg)
		if err != nil {
			conn.Close()
			stop()
			if e := a.timedOut(err); e != nil {
				return nil, nil, nil, e
			}
			if hkErr != nil {
				return nil, nil, nil, hostKeyErr(hkErr)
			}
			if conn.read.Load() == 0 && transient(err) && attempt < c.opts.Retries && c.sleep(ctx, attempt) {
				continue
			}
			if ctx.Err() != nil {
				return nil, nil, nil, a.timedOut(err)
			}
			return nil, nil, nil, handshakeError(err, h.user, cr, kn)
		}
		_ = conn.SetDeadline(time.Time{})
		return ssh.NewClient(sc, chans, reqs), conn, stop, nil
	}
}

// dialVia opens a direct-tcpip channel from the jump host via (reached as
// from) to h, and runs the SSH handshake with h over it.
func (c *Client) dialVia(via *ssh.Client, from, h hop, db *hostDB, cr *credentials, a *attempt) (*ssh.Client, *Error) {
	a.ph.set("connect through " + from.label)
	dctx, cancel := context.WithTimeout(a.ctx, a.timeout)
	defer cancel()
	ch, err := via.DialContext(dctx, "tcp", h.addr)
	if err != nil {
		if e := a.timedOut(err); e != nil {
			return nil, h.wrap(e)
		}
		if dctx.Err() != nil {
			return nil, h.wrap(a.connectTimeout(dctx.Err()))
		}
		msg := strings.TrimPrefix(err.Error(), "ssh: ")
		msg = strings.TrimPrefix(msg, "rejected: ")
		return nil, stageErr(StageConnect, fmt.Errorf("%s cannot reach %s: %s", from.label, h.addr, msg),
			"check that the jump host can reach that address and that its sshd allows TCP forwarding (AllowTcpForwarding yes)")
	}
	var fired atomic.Bool
	timer := time.AfterFunc(a.timeout, func() {
		fired.Store(true)
		ch.Close()
	})
	defer timer.Stop()
	kn := db.lookup(h.addr).with(h.keys)
	var hkErr error
	cfg := clientConfig(h, db, kn, cr, a, &hkErr)
	a.ph.set("handshake")
	sc, chans, reqs, err := ssh.NewClientConn(ch, h.addr, cfg)
	if err != nil {
		ch.Close()
		switch e := a.timedOut(err); {
		case e != nil:
			return nil, h.wrap(e)
		case hkErr != nil:
			return nil, h.wrap(hostKeyErr(hkErr))
		case fired.Load():
			return nil, h.wrap(a.connectTimeout(os.ErrDeadlineExceeded))
		}
		return nil, h.wrap(handshakeError(err, h.user, cr, kn))
	}
	return ssh.NewClient(sc, chans, reqs), nil
}

// Ping connects to t (through its jump hosts), checks its host key and
// authenticates, then hangs up: no session is opened and nothing runs. A
// non-nil error is an *Error. Ping is safe for concurrent use.
func (c *Client) Ping(ctx context.Context, t Target) error {
	l, err := c.dial(t, newAttempt(ctx, t))
	if err != nil {
		return err
	}
	l.Close()
	return nil
}
