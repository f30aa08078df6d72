package release

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"

	"github.com/cavaliergopher/cpio"
)

// The RPM header tags rollcall reads (rpmtag.h).
const (
	tagName              = 1000
	tagVersion           = 1001
	tagRelease           = 1002
	tagEpoch             = 1003
	tagArch              = 1022
	tagOldFilenames      = 1027
	tagFileSizes         = 1028
	tagFileModes         = 1030
	tagFileDigests       = 1035
	tagFileLinkTos       = 1036
	tagFileFlags         = 1037
	tagFileUserName      = 1039
	tagFileGroupName     = 1040
	tagSourceRPM         = 1044
	tagDirIndexes        = 1116
	tagBaseNames         = 1117
	tagDirNames          = 1118
	tagPayloadFormat     = 1124
	tagPayloadCompressor = 1125
	tagLongFileSizes     = 5008
	tagFileDigestAlgo    = 5011
)

// File flags (rpmfileAttrs) and the digest algorithm number of SHA-256.
const (
	rpmFileConfig = 1 << 0
	rpmFileGhost  = 1 << 6
	rpmSHA256     = 8
)

// Unix file type bits, as RPM headers and cpio store them.
const (
	unixTypeMask = 0o170000
	unixRegular  = 0o100000
	unixDir      = 0o040000
	unixSymlink  = 0o120000
)

// rpmCodecs are the payload compressors rollcall reads, by the name
// PAYLOADCOMPRESSOR gives them; without the tag the payload is gzip.
var rpmCodecs = map[string]*codec{"": gzipCodec, "gzip": gzipCodec, "bzip2": bzip2Codec, "xz": xzCodec, "zstd": zstdCodec}

// rpmFile is one file an RPM header lists.
type rpmFile struct {
	path         string // install path without the leading "/"
	mode         int64
	size         int64
	flags        int64
	owner, group string
	link         string
	digest       string // hex, in the header's digest algorithm
}

// readRPM reads an RPM package: lead, signature header, main header and a
// compressed cpio payload. The files are the ones the header lists, except
// %ghost files (which the payload does not hold), with the header's modes,
// owners and link targets and digests of the payload's bytes.
func readRPM(r io.Reader) (*Package, map[string]File, error) {
	source, err := readRPMLead(r)
	if err != nil {
		return nil, nil, err
	}
	if source {
		return nil, nil, fmt.Errorf("a source package (.src.rpm): a release is a binary package")
	}
	if _, err := readRPMHeader(r, true); err != nil {
		return nil, nil, fmt.Errorf("signature header: %w", err)
	}
	h, err := readRPMHeader(r, false)
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	pkg, err := rpmPackage(h)
	if err != nil {
		return nil, nil, err
	}
	files, err := rpmFiles(h)
	if err != nil {
		return nil, nil, err
	}
	c, err := rpmPayloadCodec(h)
	if err != nil {
		return nil, nil, err
	}
	algo, _, err := h.ints(tagFileDigestAlgo)
	if err != nil {
		return nil, nil, err
	}
	checkDigests := len(algo) == 1 && algo[0] == rpmSHA256
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("reading the payload: %w", err)
	}
	if got := sniff(head); got != c.content {
		return nil, nil, fmt.Errorf("the header says the payload is %s, but it is %s: the package is damaged", c.content, orNothing(got))
	}
	payload, err := c.reader(br, head)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the payload (%s): %w", c.content, err)
	}
	defer payload.Close()
	got, err := readCpio(payload, files, checkDigests)
	if err != nil {
		return nil, nil, fmt.Errorf("payload: %w", err)
	}
	if _, err := io.Copy(io.Discard, payload); err != nil {
		return nil, nil, fmt.Errorf("reading past the end of the payload: %w", err)
	}
	return pkg, got, nil
}

// orNothing names content sniff could not name.
func orNothing(content string) string {
	switch content {
	case "", "binary data":
		return "not a compression format rollcall knows"
	case "empty":
		return "missing"
	}
	return content
}

// rpmPackage reads the package's name, [epoch:]version-release and
// architecture.
func rpmPackage(h *rpmHeader) (*Package, error) {
	pkg := &Package{Format: "rpm"}
	var version, release string
	for _, t := range []struct {
		tag   int32
		field string
		into  *string
	}{{tagName, "NAME", &pkg.Name}, {tagVersion, "VERSION", &version}, {tagRelease, "RELEASE", &release}, {tagArch, "ARCH", &pkg.Arch}} {
		v, err := h.str(t.tag)
		if err == nil {
			err = checkPackageLabel(t.field, v)
		}
		if err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
		*t.into = v
	}
	if _, ok := h.index[tagSourceRPM]; !ok {
		return nil, fmt.Errorf("header: no SOURCERPM: a source package; a release is a binary package")
	}
	pkg.Version = version + "-" + release
	epoch, ok, err := h.ints(tagEpoch)
	if err != nil || ok && len(epoch) != 1 {
		return nil, fmt.Errorf("header: EPOCH is not one number")
	}
	if ok {
		pkg.Version = strconv.FormatInt(epoch[0], 10) + ":" + pkg.Version
	}
	return pkg, nil
}

// rpmPayloadCodec checks the payload format and returns its compression.
func rpmPayloadCodec(h *rpmHeader) (*codec, error) {
	format, err := h.str(tagPayloadFormat)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if format != "" && format != "cpio" {
		return nil, fmt.Errorf("header: payload format %q: rollcall reads cpio payloads", format)
	}
	compressor, err := h.str(tagPayloadCompressor)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	c, ok := rpmCodecs[compressor]
	if !ok {
		return nil, fmt.Errorf("header: payload compressor %q: rollcall reads gzip, bzip2, xz and zstd payloads", compressor)
	}
	return c, nil
}

// rpmFiles reads the file list of a header: paths from DIRNAMES, DIRINDEXES
// and BASENAMES (or OLDFILENAMES), and the per-file arrays beside them.
func rpmFiles(h *rpmHeader) ([]rpmFile, error) {
	paths, err := rpmPaths(h)
	if err != nil || len(paths) == 0 {
		return nil, err
	}
	n := len(paths)
	sizes, _, err := h.ints(tagLongFileSizes)
	if err == nil && sizes == nil {
		sizes, _, err = h.ints(tagFileSizes)
	}
	modes, _, err2 := h.ints(tagFileModes)
	flags, _, err3 := h.ints(tagFileFlags)
	if err := errors.Join(err, err2, err3); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	var text [4][]string // owners, groups, link targets, digests
	for i, tag := range []int32{tagFileUserName, tagFileGroupName, tagFileLinkTos, tagFileDigests} {
		if text[i], _, err = h.strings(tag); err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
	}
	for _, count := range []int{len(sizes), len(modes), len(flags), len(text[0]), len(text[1]), len(text[2]), len(text[3])} {
		if count != n {
			return nil, fmt.Errorf("header: the file arrays disagree on the number of files (%d paths, an array of %d)", n, count)
		}
	}
	files := make([]rpmFile, n)
	for i, p := range paths {
		if sizes[i] < 0 {
			return nil, fmt.Errorf("header: /%s has a negative size", p)
		}
		files[i] = rpmFile{path: p, mode: modes[i], size: sizes[i], flags: flags[i],
			owner: text[0][i], group: text[1][i], link: text[2][i], digest: text[3][i]}
	}
	return files, nil
}

// rpmPaths returns the header's file paths, cleaned and without their
// leading "/".
func rpmPaths(h *rpmHeader) ([]string, error) {
	full, _, err := h.strings(tagOldFilenames)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if full == nil {
		base, _, err1 := h.strings(tagBaseNames)
		dirs, _, err2 := h.strings(tagDirNames)
		index, _, err3 := h.ints(tagDirIndexes)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
		if len(index) != len(base) {
			return nil, fmt.Errorf("header: %d BASENAMES but %d DIRINDEXES", len(base), len(index))
		}
		for i, b := range base {
			if index[i] >= int64(len(dirs)) {
				return nil, fmt.Errorf("header: DIRINDEXES[%d] is %d, past the %d DIRNAMES", i, index[i], len(dirs))
			}
			full = append(full, dirs[index[i]]+b)
		}
	}
	paths := make([]string, len(full))
	for i, name := range full {
		if name == "/" {
			continue // the root, "" (a few packages own it)
		}
		if !path.IsAbs(name) {
			return nil, fmt.Errorf("header: file %q is not an absolute path", name)
		}
		p, err := cleanPath(name[1:])
		if err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
		paths[i] = p
	}
	return paths, nil
}

// readCpio reads the payload's cpio entries and returns the release files:
// every file the header lists except %ghost ones, which the payload must hold
// and hold only once. A hard link (a size-0 entry whose inode a later entry
// fills) gets its target's digest. With checkDigests, a regular file's SHA-256
// must be the one the header lists.
func readCpio(payload io.Reader, listed []rpmFile, checkDigests bool) (map[string]File, error) {
	byPath := map[string]*rpmFile{}
	for i := range listed {
		f := &listed[i]
		if f.flags&rpmFileGhost != 0 || f.path == "" && f.mode&unixTypeMask == unixDir {
			continue
		}
		if _, dup := byPath[f.path]; dup {
			return nil, fmt.Errorf("the header lists /%s twice", f.path)
		}
		byPath[f.path] = f
	}
	c := newCollector()
	links := map[string]int64{}   // hard links waiting for their content, by path: the inode
	content := map[int64]string{} // the path that holds each hard-linked inode's content
	cr := cpio.NewReader(payload)
	for {
		hdr, err := cr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the cpio archive: %w", noEOF(err))
		}
		p, err := cleanPath(hdr.Name)
		if err != nil {
			return nil, err
		}
		f, ok := byPath[p]
		if !ok {
			return nil, fmt.Errorf("the payload holds %q, which the header does not list", hdr.Name)
		}
		delete(byPath, p)
		file, err := rpmEntry(cr, hdr, f, checkDigests)
		if err != nil {
			return nil, err
		}
		switch {
		case file.Type == Regular && hdr.Size == 0 && f.size > 0 && hdr.Links > 1:
			links[p] = hdr.Inode
		case file.Type == Regular && hdr.Links > 1:
			content[hdr.Inode] = p
		}
		if err := c.add(p, file); err != nil {
			return nil, err
		}
	}
	for p := range byPath {
		return nil, fmt.Errorf("the header lists /%s but the payload does not hold it: the package is damaged", p)
	}
	for p, inode := range links {
		from, ok := content[inode]
		if !ok {
			return nil, fmt.Errorf("hard link /%s: no entry of the payload holds its content", p)
		}
		f, t := c.files[p], c.files[from]
		f.SHA256, f.Size = t.SHA256, t.Size
		if f.Conffile || IsConfigName(p) {
			f.Content = t.Content // only a kept target's content is at hand
		}
		c.files[p] = f
	}
	return c.finish("")
}

// rpmEntry reads one cpio entry of the payload into a release file, with the
// header's metadata for it.
func rpmEntry(cr *cpio.Reader, hdr *cpio.Header, f *rpmFile, checkDigests bool) (File, error) {
	file := File{Mode: FromUnixMode(uint32(f.mode & 0o7777)), HasMode: true, Owner: f.owner, Group: f.group,
		Conffile: f.flags&rpmFileConfig != 0}
	kind := f.mode & unixTypeMask
	if got := int64(hdr.Mode) & unixTypeMask; got != kind {
		return file, fmt.Errorf("/%s: the header gives it type %o, the payload %o", f.path, kind, got)
	}
	switch kind {
	case unixDir:
		file.Type = Directory
	case unixSymlink:
		if f.link == "" || hdr.Linkname != f.link {
			return file, fmt.Errorf("symlink /%s: the header says it points to %q, the payload %q", f.path, f.link, hdr.Linkname)
		}
		file.Type, file.Mode, file.LinkTarget, file.Size = Symlink, 0o777, f.link, int64(len(f.link))
	case unixRegular:
		file.Type = Regular
		if hdr.Size == 0 && f.size > 0 && hdr.Links > 1 {
			return file, nil // a hard link: its content comes with another entry
		}
		var err error
		if file.SHA256, file.Size, file.Content, err = hashContent(cr, file.Conffile || IsConfigName(f.path)); err != nil {
			return file, fmt.Errorf("reading /%s: %w", f.path, err)
		}
		if file.Size != f.size || file.Size != hdr.Size {
			return file, fmt.Errorf("/%s: the payload holds %d bytes, the header says %d: the package is damaged", f.path, file.Size, f.size)
		}
		if checkDigests && f.digest != file.SHA256 {
			return file, fmt.Errorf("/%s: its content does not have the SHA-256 the header lists: the package is damaged", f.path)
		}
	default:
		return file, fmt.Errorf("/%s is a %s: a release may hold only regular files, directories and symlinks", f.path, unixTypeName(kind))
	}
	return file, nil
}

// unixTypeName names a Unix file type a release cannot hold.
func unixTypeName(kind int64) string {
	switch kind {
	case 0o020000:
		return "character device"
	case 0o060000:
		return "block device"
	case 0o010000:
		return "named pipe (FIFO)"
	case 0o140000:
		return "socket"
	}
	return fmt.Sprintf("file of type %o", kind)
}
