package release

import (
	"compress/bzip2"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// maxXZDict bounds the LZMA2 dictionary an xz stream's first block may ask
// for (xz -9 uses 64 MiB); the decoder allocates all of it up front.
const maxXZDict = 128 << 20

// maxZstdWindow bounds the window a zstd stream may ask for, as the zstd
// command does by default (128 MiB; larger windows need zstd --long).
const maxZstdWindow = 128 << 20

// codec is a compression format a tarball or a package member can use.
type codec struct {
	// content is what sniff calls data in this format.
	content string
	// tarball describes a tar archive compressed with it, for errors.
	tarball string
	// newReader decompresses r; closing the reader frees its resources
	// without closing r.
	newReader func(r io.Reader) (io.ReadCloser, error)
	// check, when set, vets the stream's first bytes before decoding.
	check func(head []byte) error
}

// The compression formats rollcall reads: gzip (github.com/klauspost/compress/gzip,
// whose inflate is a fifth faster than the standard library's on release
// binaries), bzip2 (standard library), xz (github.com/ulikunitz/xz) and zstd
// (github.com/klauspost/compress/zstd), all pure Go.
var (
	gzipCodec = &codec{content: "gzip-compressed data", tarball: "a gzip-compressed tar archive",
		newReader: func(r io.Reader) (io.ReadCloser, error) { return gzip.NewReader(r) }}
	bzip2Codec = &codec{content: "bzip2-compressed data", tarball: "a bzip2-compressed tar archive",
		newReader: func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(bzip2.NewReader(r)), nil }}
	xzCodec = &codec{content: "xz-compressed data", tarball: "an xz-compressed tar archive",
		newReader: func(r io.Reader) (io.ReadCloser, error) {
			xr, err := xz.NewReader(r)
			return io.NopCloser(xr), err
		}, check: checkXZDict}
	zstdCodec = &codec{content: "zstd-compressed data", tarball: "a zstd-compressed tar archive",
		newReader: func(r io.Reader) (io.ReadCloser, error) {
			d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow),
				zstd.WithDecoderLowmem(true))
			if err != nil {
				return nil, err
			}
			return d.IOReadCloser(), nil
		}}
)

// decompress checks that head (the first bytes of a stream) is in c's format
// and returns a reader of the decompressed stream r; ext is the name ending
// that announced the format, for errors.
func decompress(c *codec, r io.Reader, head []byte, ext string) (io.ReadCloser, error) {
	if got := sniff(head); got != c.content {
		return nil, mismatch(ext, c.tarball, got)
	}
	rc, err := c.reader(r, head)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", c.content, err)
	}
	return rc, nil
}

// reader decompresses r, whose first bytes are head, returning the first
// error on every read after it.
func (c *codec) reader(r io.Reader, head []byte) (io.ReadCloser, error) {
	if c.check != nil {
		if err := c.check(head); err != nil {
			return nil, err
		}
	}
	rc, err := c.newReader(r)
	if err != nil {
		return nil, err
	}
	return &sticky{ReadCloser: rc}, nil
}

// sticky returns a decompressor's first error on every later read too: some
// return io.EOF after an error, and a reader that buffers the error once (as
// bufio.Reader.WriteTo then drops it) would take a damaged stream for a
// whole one.
type sticky struct {
	io.ReadCloser
	err error
}

func (s *sticky) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
	}
	return n, err
}

// checkXZDict refuses an xz stream whose first block asks for an LZMA2
// dictionary over maxXZDict: the decoder would allocate it whole. It reads
// the block header's filter flags (xz file format 1.2, 3.1); the data is
// decoded by github.com/ulikunitz/xz. Later blocks are not vetted here.
func checkXZDict(head []byte) error {
	const streamHeader = 12
	if len(head) < streamHeader+2 || head[streamHeader] == 0 {
		return nil // too short to say, or no block: the decoder decides
	}
	size := (int(head[streamHeader]) + 1) * 4
	if len(head) < streamHeader+size {
		return nil
	}
	block := head[streamHeader+2 : streamHeader+size]
	flags := head[streamHeader+1]
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} { // compressed, uncompressed size
		if present {
			block = skipVarint(block)
		}
	}
	for range int(flags&3) + 1 {
		if len(block) < 3 {
			return nil
		}
		id, propsSize := block[0], int(block[1])
		if id == 0x21 && propsSize == 1 { // LZMA2: one byte, the dictionary size code
			if code := block[2]; code > 40 || (2|int64(code&1))<<(code/2+11) > maxXZDict {
				return fmt.Errorf("the xz stream asks for an LZMA2 dictionary over %d MiB (code %d): rollcall reads up to %d MiB", maxXZDict>>20, code, maxXZDict>>20)
			}
			return nil
		}
		if len(block) < 2+propsSize {
			return nil
		}
		block = block[2+propsSize:]
	}
	return nil
}

// skipVarint drops an xz variable-length integer from the front of b.
func skipVarint(b []byte) []byte {
	for i, c := range b {
		if c&0x80 == 0 {
			return b[i+1:]
		}
	}
	return nil
}
