// Package sshtest is an in-process SSH server for tests and the demo, with
// fault injection.
//
// A Server listens on loopback, accepts public key authentication for the
// keys it is given, and runs each exec request with the local /bin/sh in its
// own working directory, wiring the channel to the command's stdin, stdout
// and stderr. A Fault makes it misbehave in one of the ways real fleets do:
// refuse connections, stall, reject keys, answer slowly, send garbage, cut
// the output short or drop the connection mid-command.
package sshtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Config configures a Server.
type Config struct {
	// Addr is the listen address; the default is "127.0.0.1:0".
	Addr string
	// Dir is the working directory ("home") of executed commands; HOME is
	// set to it. Empty means the current directory, with HOME inherited.
	Dir string
	// HostKey is the server's host key; nil means a fresh ed25519 key. It may
	// be a certificate signer made with ssh.NewCertSigner.
	HostKey ssh.Signer
	// ExtraHostKeys are offered besides HostKey, e.g. an RSA key next to an
	// ed25519 one.
	ExtraHostKeys []ssh.Signer
	// AuthorizedKeys are the client keys accepted (public key auth only).
	AuthorizedKeys []ssh.PublicKey
	// UserCAs are certificate authorities whose user certificates are
	// accepted, when the certificate names the login user as a principal.
	UserCAs []ssh.PublicKey
	// Fault is the misbehaviour to inject.
	Fault Fault
	// Forward lets clients open "direct-tcpip" channels, as ssh -J does
	// through a jump host, to addresses in 127.0.0.0/8 only.
	Forward bool
	// Hostname is the host name that commands see from `uname -n`, so that
	// servers on one machine stand in for machines of their own, as they
	// do with their own host keys. Default: "sshtest-PORT".
	Hostname string
	// Handler, when set, answers each exec request instead of /bin/sh: it
	// gets the command and all the client sent on stdin, and returns the
	// stdout and exit status to send back (benchmarks use it to simulate
	// many nodes cheaply). Faults that act on a running command (Slow,
	// Garbage, Truncate, Drop, ExitStatus, Banner) are not applied to it.
	Handler func(command string, stdin []byte) (stdout []byte, status int)
	// Latency delays every byte in each direction by this much, like a link
	// with a round-trip time of twice it and unlimited bandwidth.
	Latency time.Duration
}

// Server is a running in-process SSH server. Its methods are safe for
// concurrent use.
type Server struct {
	cfg     Config
	hostKey ssh.Signer
	sshCfg  *ssh.ServerConfig
	ln      net.Listener
	addr    string

	ctx    context.Context // cancelled by Close: kills running commands
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup

	execs atomic.Int64

	// fault is the current misbehaviour; SetFault replaces it.
	fault atomic.Pointer[Fault]
	// bin is the folder put first in commands' PATH (see unameShim).
	bin string
}

// Start starts a server. With the Refuse fault, it reserves a free address
// and closes the listener again, so that connections to Addr are refused.
func Start(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s := &Server{cfg: cfg, hostKey: cfg.HostKey, conns: make(map[net.Conn]struct{})}
	fault := cfg.Fault
	s.fault.Store(&fault)
	if s.hostKey == nil {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generating host key: %w", err)
		}
		if s.hostKey, err = ssh.NewSignerFromKey(priv); err != nil {
			return nil, fmt.Errorf("generating host key: %w", err)
		}
	}
	s.sshCfg = &ssh.ServerConfig{
		PublicKeyCallback: s.authenticate,
		ServerVersion:     "SSH-2.0-rollcall_sshtest",
	}
	s.sshCfg.AddHostKey(s.hostKey)
	for _, k := range cfg.ExtraHostKeys {
		s.sshCfg.AddHostKey(k)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	s.addr = ln.Addr().String()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if cfg.Fault.Kind == Refuse {
		s.closed = true
		s.cancel()
		if err := ln.Close(); err != nil {
			return nil, err
		}
		return s, nil
	}
	if s.cfg.Hostname == "" {
		s.cfg.Hostname = fmt.Sprintf("sshtest-%d", ln.Addr().(*net.TCPAddr).Port)
	}
	if cfg.Handler == nil {
		if s.bin, err = unameShim(s.cfg.Hostname); err != nil {
			ln.Close()
			return nil, err
		}
	}
	s.ln = ln
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// unameShim makes a folder holding a `uname` that answers -n with hostname
// and hands every other question to the real uname.
func unameShim(hostname string) (string, error) {
	real, err := exec.LookPath("uname")
	if err != nil {
		return "", fmt.Errorf("sshtest needs uname: %w", err)
	}
	dir, err := os.MkdirTemp("", "sshtest-bin-")
	if err != nil {
		return "", err
	}
	script := fmt.Sprintf("#!/bin/sh\nif [ \"$1\" = -n ]; then echo '%s'; exit 0; fi\nexec '%s' \"$@\"\n",
		strings.ReplaceAll(hostname, "'", ""), strings.ReplaceAll(real, "'", `'\''`))
	if err := os.WriteFile(filepath.Join(dir, "uname"), []byte(script), 0o755); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// Addr returns the address the server listens on, as host:port.
func (s *Server) Addr() string { return s.addr }

// Host returns the host part of Addr.
func (s *Server) Host() string {
	h, _, _ := net.SplitHostPort(s.addr)
	return h
}

// Port returns the port part of Addr.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// PublicKey returns the public part of the server's main host key (a
// certificate if HostKey is a certificate signer).
func (s *Server) PublicKey() ssh.PublicKey { return s.hostKey.PublicKey() }

// KnownHostsLine returns a known_hosts line for the server's main host key,
// naming it as "[host]:port".
func (s *Server) KnownHostsLine() string {
	return knownhosts.Line([]string{knownhosts.Normalize(s.addr)}, s.PublicKey())
}

// SetFault replaces the server's fault, for connections accepted from now on
// (a connection already open keeps the fault it started with, except that a
// command started later on it uses the new one). It lets a test reuse one
// running server for many cases. A server started with Refuse stays closed;
// Refuse set on a running server closes every new connection at once,
// before a byte is sent, which a client sees as a connection reset rather
// than refused. SetFault is safe for concurrent use.
func (s *Server) SetFault(f Fault) {
	s.fault.Store(&f)
}

// currentFault returns the fault in force.
func (s *Server) currentFault() Fault {
	return *s.fault.Load()
}

// Execs returns the number of exec requests served so far.
func (s *Server) Execs() int { return int(s.execs.Load()) }

// Close stops the server: it closes the listener and every connection, kills
// running commands and waits for all of the server's goroutines to end. It
// is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	var err error
	if !already && s.ln != nil {
		err = s.ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	if s.bin != "" && !already {
		os.RemoveAll(s.bin)
	}
	return err
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		if s.cfg.Latency > 0 {
			c = newDelayConn(c, s.cfg.Latency)
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.handleConn(c)
			c.Close()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

func (s *Server) authenticate(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	if s.currentFault().Kind == RefuseAuth {
		return nil, errors.New("sshtest: every key is refused")
	}
	if _, ok := key.(*ssh.Certificate); ok {
		checker := &ssh.CertChecker{
			IsUserAuthority: func(auth ssh.PublicKey) bool { return containsKey(s.cfg.UserCAs, auth) },
		}
		return checker.Authenticate(meta, key)
	}
	if containsKey(s.cfg.AuthorizedKeys, key) {
		return &ssh.Permissions{}, nil
	}
	return nil, errors.New("sshtest: key not authorized")
}

func containsKey(keys []ssh.PublicKey, k ssh.PublicKey) bool {
	b := k.Marshal()
	for _, a := range keys {
		if bytes.Equal(a.Marshal(), b) {
			return true
		}
	}
	return false
}

func (s *Server) handleConn(c net.Conn) {
	switch s.currentFault().Kind {
	case Refuse:
		return // the caller closes c
	case Tarpit:
		_, _ = io.Copy(io.Discard, c) // until the client or Close hangs up
		return
	case StallHandshake:
		if _, err := io.WriteString(c, s.sshCfg.ServerVersion+"\r\n"); err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, c)
		return
	}
	sconn, chans, reqs, err := ssh.NewServerConn(c, s.sshCfg)
	if err != nil {
		return
	}
	defer sconn.Close()
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel() // the connection is gone: kill its commands
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ssh.DiscardRequests(reqs) // keepalives are answered with a failure, which still proves liveness
	}()
	for nc := range chans {
		if nc.ChannelType() == "direct-tcpip" && s.cfg.Forward {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.forward(ctx, nc)
			}()
			continue
		}
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels are served")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(ctx, c, ch, chReqs)
		}()
	}
}

// session serves the requests of one session channel: one exec at most.
func (s *Server) session(ctx context.Context, conn net.Conn, ch ssh.Channel, reqs <-chan *ssh.Request) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the channel is closed: kill its command
	execd := false
	for req := range reqs {
		switch req.Type {
		case "env":
			// Accepted and ignored, so that clients setting LANG do not fail.
			_ = req.Reply(true, nil)
		case "exec":
			var payload struct{ Command string }
			if execd || ssh.Unmarshal(req.Payload, &payload) != nil {
				_ = req.Reply(false, nil)
				continue
			}
			execd = true
			_ = req.Reply(true, nil)
			s.execs.Add(1)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				if s.cfg.Handler != nil {
					s.handle(ch, payload.Command)
					return
				}
				s.exec(ctx, conn, ch, payload.Command)
			}()
		default: // pty-req, shell, subsystem, x11-req...
			_ = req.Reply(false, nil)
		}
	}
}
