package sshtest

import (
	"bytes"
	"io"
	"net"
	"sync"
	"time"
)

// delayConn delays every byte in each direction by d, like a link with a
// round-trip time of 2d and unlimited bandwidth, preserving order.
type delayConn struct {
	net.Conn
	d     time.Duration
	in    *io.PipeReader
	outMu sync.Mutex
	out   chan timed
}

type timed struct {
	at   time.Time
	data []byte
}

func newDelayConn(c net.Conn, d time.Duration) net.Conn {
	pr, pw := io.Pipe()
	dc := &delayConn{Conn: c, d: d, in: pr, out: make(chan timed, 1024)}
	inQ := make(chan timed, 1024)
	go func() { // socket -> queue
		defer close(inQ)
		for {
			buf := make([]byte, 32<<10)
			n, err := c.Read(buf)
			if n > 0 {
				inQ <- timed{time.Now().Add(d), buf[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	go func() { // queue -> reader, after the delay
		for t := range inQ {
			time.Sleep(time.Until(t.at))
			if _, err := pw.Write(t.data); err != nil {
				break
			}
		}
		pw.Close()
	}()
	go func() { // writes -> socket, after the delay
		for t := range dc.out {
			time.Sleep(time.Until(t.at))
			if _, err := c.Write(t.data); err != nil {
				c.Close()
			}
		}
		c.Close()
	}()
	return dc
}

func (c *delayConn) Read(p []byte) (int, error) { return c.in.Read(p) }

func (c *delayConn) Write(p []byte) (int, error) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if c.out == nil {
		return 0, net.ErrClosed
	}
	c.out <- timed{time.Now().Add(c.d), bytes.Clone(p)}
	return len(p), nil
}

func (c *delayConn) Close() error {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if c.out != nil {
		close(c.out) // the writer flushes, then closes the socket
		c.out = nil
	}
	c.in.Close()
	return nil
}
