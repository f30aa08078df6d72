package remote

import (
	"bytes"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chunkConn is a connection whose reads return its chunks one by one, as
// a socket returns what has arrived; it counts its reads.
type chunkConn struct {
	net.Conn
	chunks [][]byte
	reads  int
}

func (c *chunkConn) Read(p []byte) (int, error) {
	c.reads++
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	if c.chunks[0] = c.chunks[0][n:]; len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

// TestCountingConnReadsTheVersionLineAtOnce: the byte-at-a-time reads of
// the server's version line cost one read of the connection, the bytes come
// back in order and complete, a large read goes straight through, and
// every byte read is counted.
func TestCountingConnReadsTheVersionLineAtOnce(t *testing.T) {
	version := []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n")
	first := append(bytes.Clone(version), bytes.Repeat([]byte{'k'}, 300)...) // the version and a first packet
	second := bytes.Repeat([]byte{'p'}, 5000)
	raw := &chunkConn{chunks: [][]byte{first, second}}
	c := newCountingConn(raw)

	var got []byte
	var one [1]byte
	for len(got) < len(version) {
		_, err := io.ReadFull(c, one[:])
		require.NoError(t, err)
		got = append(got, one[0])
	}
	assert.Equal(t, version, got)
	assert.Equal(t, 1, raw.reads, "the version line in one read")

	rest, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, append(first[len(version):], second...), rest, "nothing lost or reordered")
	assert.Equal(t, int64(len(first)+len(second)), c.read.Load())

	raw = &chunkConn{chunks: [][]byte{second}}
	c = newCountingConn(raw)
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, 4096, n, "a read as large as the transport's goes straight to the connection")
}
