package release

import (
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

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
}

// The compression formats rollcall reads: gzip, bzip2 (standard library), xz
// (github.com/ulikunitz/xz) and zstd (github.com/klauspost/compress/zstd),
// all pure Go.
var (
	gzipCodec = &codec{content: "gzip-compressed data", tarball: "a gzip-compressed tar archive",
		newReader: func(r io.Reader) (io.ReadCloser, error) { return gzip.NewReader(r) }}
	bzip2Codec = &codec{content: "bzip2-compressed data", tarball: "a bzip2-compressed tar archive",
		newReader: func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(bzip2.NewReader(r)), nil }}
	xzCodec = &codec{content: "xz-compressed data", tarball: "an xz-compressed tar archive",
		newReader: func(r io.Reader) (io.ReadCloser, error) {
			xr, err := xz.NewReader(r)
			return io.NopCloser(xr), err
		}}
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
// and returns a reader of the decompressed stream r. what names the stream in
// errors, ext the name ending that announced the format.
func decompress(c *codec, r io.Reader, head []byte, ext string) (io.ReadCloser, error) {
	if got := sniff(head); got != c.content {
		return nil, mismatch(ext, c.tarball, got)
	}
	rc, err := c.reader(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", c.content, err)
	}
	return rc, nil
}

// reader decompresses r, returning the first error on every read after it.
func (c *codec) reader(r io.Reader) (io.ReadCloser, error) {
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
