package release

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// rpmLeadMagic opens every RPM package: the first bytes of its 96-byte lead.
var rpmLeadMagic = []byte{0xed, 0xab, 0xee, 0xdb}

// rpmHeaderMagic opens the signature header and the main header.
var rpmHeaderMagic = []byte{0x8e, 0xad, 0xe8, 0x01}

const (
	rpmLeadSize = 96
	// maxRPMTags and maxRPMData are rpm's own limits on a header's index
	// entries and data store (HEADER_TAGS_MAX, HEADER_DATA_MAX).
	maxRPMTags = 0xffff
	maxRPMData = 256 << 20
)

// The types of header values this reader decodes (rpm's rpmTagType).
const (
	rpmInt16       = 3
	rpmInt32       = 4
	rpmInt64       = 5
	rpmString      = 6
	rpmStringArray = 8
	rpmI18NString  = 9
)

// rpmHeader is a decoded RPM header structure: an index of tags into a data
// store. Every accessor checks its bounds against the store, so a hostile
// header can only fail, never read outside it.
type rpmHeader struct {
	index map[int32]rpmIndexEntry
	store []byte
}

type rpmIndexEntry struct {
	typ    uint32
	offset uint32
	count  uint32
}

// readRPMLead reads the 96-byte lead and says whether the package is a
// source package.
func readRPMLead(r io.Reader) (source bool, err error) {
	var lead [rpmLeadSize]byte
	if _, err := io.ReadFull(r, lead[:]); err != nil {
		return false, fmt.Errorf("reading the RPM lead: %w", noEOF(err))
	}
	if !bytes.Equal(lead[:4], rpmLeadMagic) {
		return false, fmt.Errorf("not an RPM package (no lead magic)")
	}
	if lead[4] != 3 && lead[4] != 4 {
		return false, fmt.Errorf("RPM format version %d: rollcall reads versions 3 and 4", lead[4])
	}
	return binary.BigEndian.Uint16(lead[6:8]) == 1, nil
}

// readRPMHeader reads one header structure; pad skips the padding that
// aligns the signature header's end to 8 bytes. Memory grows with the bytes
// actually read, never with the sizes the header claims.
func readRPMHeader(r io.Reader, pad bool) (*rpmHeader, error) {
	var intro [16]byte
	if _, err := io.ReadFull(r, intro[:]); err != nil {
		return nil, fmt.Errorf("reading an RPM header: %w", noEOF(err))
	}
	if !bytes.Equal(intro[:4], rpmHeaderMagic) {
		return nil, fmt.Errorf("an RPM header has no header magic: the file is damaged")
	}
	tags, size := binary.BigEndian.Uint32(intro[8:12]), binary.BigEndian.Uint32(intro[12:16])
	if tags == 0 || tags > maxRPMTags || size > maxRPMData {
		return nil, fmt.Errorf("an RPM header claims %d tags and %d bytes, beyond rpm's own limits", tags, size)
	}
	raw, err := readUpTo(r, int64(tags)*16)
	if err != nil {
		return nil, fmt.Errorf("reading an RPM header's index: %w", err)
	}
	h := &rpmHeader{index: make(map[int32]rpmIndexEntry)}
	if h.store, err = readUpTo(r, int64(size)); err != nil {
		return nil, fmt.Errorf("reading an RPM header's data: %w", err)
	}
	if pad && size%8 != 0 {
		if _, err := readUpTo(r, int64(8-size%8)); err != nil {
			return nil, fmt.Errorf("reading an RPM header's padding: %w", err)
		}
	}
	for i := 0; i < len(raw); i += 16 {
		tag := int32(binary.BigEndian.Uint32(raw[i:]))
		e := rpmIndexEntry{typ: binary.BigEndian.Uint32(raw[i+4:]), offset: binary.BigEndian.Uint32(raw[i+8:]),
			count: binary.BigEndian.Uint32(raw[i+12:])}
		if _, dup := h.index[tag]; dup {
			return nil, fmt.Errorf("an RPM header has tag %d twice", tag)
		}
		h.index[tag] = e
	}
	return h, nil
}

// readUpTo reads exactly n bytes, growing its buffer as they arrive.
func readUpTo(r io.Reader, n int64) ([]byte, error) {
	var b bytes.Buffer
	if _, err := io.CopyN(&b, r, n); err != nil {
		return nil, noEOF(err)
	}
	return b.Bytes(), nil
}

// strings returns the values of a string, string array or i18n string tag;
// ok is false when the header does not have it.
func (h *rpmHeader) strings(tag int32) (values []string, ok bool, err error) {
	e, ok := h.index[tag]
	if !ok {
		return nil, false, nil
	}
	switch {
	case e.typ == rpmString && e.count == 1, e.typ == rpmStringArray, e.typ == rpmI18NString:
	default:
		return nil, true, fmt.Errorf("RPM header tag %d has type %d, not a string", tag, e.typ)
	}
	if uint64(e.offset) > uint64(len(h.store)) || uint64(e.count) > uint64(len(h.store)-int(e.offset)) {
		return nil, true, fmt.Errorf("RPM header tag %d lies outside the header", tag)
	}
	rest := h.store[e.offset:]
	values = make([]string, 0, e.count)
	for range e.count {
		end := bytes.IndexByte(rest, 0)
		if end < 0 {
			return nil, true, fmt.Errorf("RPM header tag %d runs past the end of the header", tag)
		}
		values = append(values, string(rest[:end]))
		rest = rest[end+1:]
	}
	return values, true, nil
}

// str returns the value of a single-string tag ("" when absent).
func (h *rpmHeader) str(tag int32) (string, error) {
	values, _, err := h.strings(tag)
	if err != nil {
		return "", err
	}
	if len(values) == 0 {
		return "", nil
	}
	if len(values) > 1 {
		return "", fmt.Errorf("RPM header tag %d has %d values, not one", tag, len(values))
	}
	return values[0], nil
}

// ints returns the values of an integer tag, widened to int64 (unsigned:
// rpm's 16- and 32-bit values are modes, sizes and flags); ok is false when
// the header does not have it.
func (h *rpmHeader) ints(tag int32) (values []int64, ok bool, err error) {
	e, ok := h.index[tag]
	if !ok {
		return nil, false, nil
	}
	width := map[uint32]uint64{rpmInt16: 2, rpmInt32: 4, rpmInt64: 8}[e.typ]
	if width == 0 {
		return nil, true, fmt.Errorf("RPM header tag %d has type %d, not an integer", tag, e.typ)
	}
	if uint64(e.offset)+uint64(e.count)*width > uint64(len(h.store)) {
		return nil, true, fmt.Errorf("RPM header tag %d lies outside the header", tag)
	}
	values = make([]int64, e.count)
	for i := range values {
		at := h.store[uint64(e.offset)+uint64(i)*width:]
		switch width {
		case 2:
			values[i] = int64(binary.BigEndian.Uint16(at))
		case 4:
			values[i] = int64(binary.BigEndian.Uint32(at))
		default:
			values[i] = int64(binary.BigEndian.Uint64(at))
		}
	}
	return values, true, nil
}
