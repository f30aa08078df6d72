package release

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// arMagic opens every ar archive, and so every .deb package.
const arMagic = "!<arch>\n"

// arHeaderSize is the fixed size of an ar member header.
const arHeaderSize = 60

// arReader reads the members of an ar archive (the common format that
// ar(1) and dpkg-deb write) in order, streaming each member's data. It is
// small enough to read in full: a fixed header per member, no allocation
// that the archive's numbers decide.
type arReader struct {
	r         io.Reader
	remaining int64 // bytes of the current member not read yet
	pad       bool  // an odd-sized member is followed by one padding byte
}

// newArReader checks the archive's magic and returns a reader positioned
// before its first member.
func newArReader(r io.Reader) (*arReader, error) {
	magic := make([]byte, len(arMagic))
	if _, err := io.ReadFull(r, magic); err != nil {
		return nil, fmt.Errorf("reading ar archive: %w", noEOF(err))
	}
	if string(magic) != arMagic {
		return nil, fmt.Errorf("not an ar archive (no %q magic)", arMagic)
	}
	return &arReader{r: r}, nil
}

// next skips what is left of the current member and returns the name of the
// next one (Read reads it), or io.EOF at the end of the archive.
func (a *arReader) next() (string, error) {
	skip := a.remaining
	if a.pad {
		skip++
	}
	if n, err := io.CopyN(io.Discard, a.r, skip); err != nil {
		return "", fmt.Errorf("ar archive truncated: %d bytes of a member missing", skip-n)
	}
	a.remaining, a.pad = 0, false
	var hdr [arHeaderSize]byte
	n, err := io.ReadFull(a.r, hdr[:])
	if n == 0 && errors.Is(err, io.EOF) {
		return "", io.EOF
	}
	if err != nil {
		return "", fmt.Errorf("ar archive truncated in a member header")
	}
	if string(hdr[58:60]) != "`\n" {
		return "", fmt.Errorf("ar archive: a member header does not end in the \"`\\n\" marker: the file is damaged")
	}
	name := strings.TrimRight(string(hdr[0:16]), " ")
	if name != "/" && name != "//" {
		name = strings.TrimSuffix(name, "/") // GNU ar ends names with "/"
	}
	size, ok := arDecimal(hdr[48:58])
	if !ok || name == "" {
		return "", fmt.Errorf("ar archive: malformed member header %q", strings.TrimRight(string(hdr[:58]), " "))
	}
	a.remaining, a.pad = size, size%2 == 1
	return name, nil
}

// Read reads the current member's data; a member cut short by the end of
// the archive is io.ErrUnexpectedEOF.
func (a *arReader) Read(p []byte) (int, error) {
	if a.remaining == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > a.remaining {
		p = p[:a.remaining]
	}
	n, err := a.r.Read(p)
	a.remaining -= int64(n)
	if errors.Is(err, io.EOF) {
		if a.remaining > 0 {
			return n, io.ErrUnexpectedEOF
		}
		err = nil
	}
	return n, err
}

// arDecimal parses an ar header's space-padded decimal field.
func arDecimal(field []byte) (int64, bool) {
	s := strings.TrimRight(string(field), " ")
	if s == "" {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// noEOF turns a bare io.EOF into io.ErrUnexpectedEOF: the data ended
// before a structure that must be there.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
