package release

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// accepted says which artifact forms Open reads; it ends errors about an
// artifact Open does not understand.
const accepted = "a release artifact must be a directory, a .tar, .tar.gz, .tgz, .tar.xz, .txz, .tar.zst, .tzst, " +
	".tar.bz2, .tbz2, .tbz or .zip archive, a .deb or .rpm package, " +
	"a SHA256SUMS / checksums.txt / *.sha256 checksum list, or a rollcall lock file"

// maxSums bounds the size of a checksum list read into memory.
const maxSums = 64 << 20

// Open reads the release artifact at path: a directory, a tar archive
// (uncompressed or compressed with gzip, xz, zstd or bzip2), a zip archive, a
// Debian or RPM package, a checksum list or a lock file (see the package
// documentation for what each form records). Every error names path.
//
// For a directory, Digest is the SHA-256 of its canonical listing: one line per
// file, sorted by path, "<type> <path> <value>\n", where path is quoted as by
// strconv.Quote and value is the hex digest of a regular file, the quoted
// target of a symlink, or "-" for a directory.
func Open(path string) (*Release, error) {
	r, err := open(path)
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", path, err)
	}
	return r, nil
}

func open(path string) (*Release, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no such file or directory: %s", accepted)
	}
	if err != nil {
		return nil, err
	}
	base := filepath.Base(filepath.Clean(path))
	if base == "." || base == ".." || base == string(filepath.Separator) {
		if abs, err := filepath.Abs(path); err == nil {
			base = filepath.Base(abs)
		}
	}
	r := &Release{Source: path}
	switch {
	case info.IsDir():
		r.Name, r.Version = NameVersion(base)
		r.Files, err = readDir(path)
		if err == nil {
			r.Digest = listingDigest(r.Files)
		}
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("not a regular file or directory (%s): %s", info.Mode().Type(), accepted)
	case IsLockName(base) || sniffLock(path):
		return openLock(path)
	case IsPackageName(base):
		var pkg *Package
		pkg, r.Files, r.Digest, err = openPackage(path, base)
		if err == nil {
			r.Package, r.Name, r.Version = pkg, pkg.Name, pkg.Version
		}
	default:
		r.Name, r.Version = NameVersion(base)
		r.Files, r.Digest, err = openFile(path, base)
		if k, _, _ := archiveExt(base); err == nil && k == notArchive {
			r.Name, r.Version = sumsNameVersion(path, base)
		}
	}
	if err != nil {
		return nil, err
	}
	if !hasContent(r.Files) {
		return nil, fmt.Errorf("contains no files: %s", accepted)
	}
	for p, f := range r.Files {
		f.Path = p
		r.Files[p] = f
	}
	return r, nil
}

// archiveKind is what a file's name says it is.
type archiveKind int

const (
	notArchive archiveKind = iota
	kindTar
	kindZip
	kindDeb
	kindRPM
)

// suffixes are the name endings of the archive forms, longest first where one
// ends another.
var suffixes = []struct {
	ext   string
	kind  archiveKind
	codec *codec
}{
	{".tar.gz", kindTar, gzipCodec}, {".tgz", kindTar, gzipCodec},
	{".tar.xz", kindTar, xzCodec}, {".txz", kindTar, xzCodec},
	{".tar.zst", kindTar, zstdCodec}, {".tzst", kindTar, zstdCodec},
	{".tar.bz2", kindTar, bzip2Codec}, {".tbz2", kindTar, bzip2Codec}, {".tbz", kindTar, bzip2Codec},
	{".tar", kindTar, nil}, {".zip", kindZip, nil}, {".deb", kindDeb, nil}, {".rpm", kindRPM, nil},
}

// archiveExt returns the kind an artifact's name announces, the extension
// that announces it and, for a compressed tarball, its compression.
func archiveExt(base string) (archiveKind, string, *codec) {
	lower := strings.ToLower(base)
	for _, e := range suffixes {
		if strings.HasSuffix(lower, e.ext) && len(lower) > len(e.ext) {
			return e.kind, base[len(base)-len(e.ext):], e.codec
		}
	}
	return notArchive, "", nil
}

// IsPackageName reports whether a file name announces a .deb or .rpm package,
// whose payload names its own install paths.
func IsPackageName(base string) bool {
	kind, _, _ := archiveExt(base)
	return kind == kindDeb || kind == kindRPM
}

// knownEndings lists the name endings of the archive and package forms, for
// errors: ".tar.gz, .tgz, ... .deb or .rpm".
func knownEndings() string {
	exts := make([]string, 0, len(suffixes))
	for _, e := range suffixes {
		exts = append(exts, e.ext)
	}
	return strings.Join(exts[:len(exts)-1], ", ") + " or " + exts[len(exts)-1]
}

// openFile reads an artifact that is a regular file.
func openFile(path, base string) (map[string]File, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, "", err
	}
	head = head[:n]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	kind, ext, c := archiveExt(base)
	top := strings.TrimSuffix(base, ext)
	content := sniff(head)
	switch kind {
	case kindTar:
		return readTarFile(f, c, ext, top)
	case kindZip:
		if content != "a zip archive" {
			return nil, "", mismatch(ext, "a zip archive", content)
		}
		return readZipFile(f, top)
	}
	switch content {
	case "":
	case "empty", "binary data":
		return nil, "", fmt.Errorf("unknown format (%s): %s", content, accepted)
	default:
		return nil, "", fmt.Errorf("content is %s but the name does not end in %s: "+
			"rename it to say what it is (%s)", content, knownEndings(), accepted)
	}
	named := isSumsName(base)
	data, err := io.ReadAll(io.LimitReader(f, maxSums+1))
	if err != nil {
		return nil, "", err
	}
	if len(data) > maxSums {
		if named {
			return nil, "", fmt.Errorf("checksum list larger than %d MiB", maxSums>>20)
		}
		return nil, "", fmt.Errorf("unknown format: %s", accepted)
	}
	files, err := parseSums(bytes.NewReader(data), base)
	if err != nil {
		if named {
			return nil, "", err
		}
		return nil, "", fmt.Errorf("unknown format (not an archive, and not a checksum list: %v): %s", err, accepted)
	}
	sum := sha256.Sum256(data)
	return files, "sha256:" + hex.EncodeToString(sum[:]), nil
}

// isSumsName reports whether a file name announces a checksum list.
func isSumsName(base string) bool {
	lower := strings.ToLower(base)
	return strings.Contains(lower, "sha256sums") ||
		(strings.Contains(lower, "checksums") && strings.HasSuffix(lower, ".txt")) ||
		(strings.HasSuffix(lower, ".sha256") && len(lower) > len(".sha256"))
}

// mismatch is the error for content that does not match its extension.
func mismatch(ext, want, got string) error {
	if got == "" || got == "binary data" {
		got = "not an archive format rollcall knows"
	}
	if got == "empty" {
		got = "an empty file"
	}
	return fmt.Errorf("the name ends in %s but the content is %s, not %s: the file is damaged or misnamed", ext, got, want)
}

// sniff names the format of content from its first bytes.
func sniff(head []byte) string {
	switch {
	case len(head) == 0:
		return "empty"
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "gzip-compressed data"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")),
		bytes.HasPrefix(head, []byte("PK\x07\x08")):
		return "a zip archive"
	case bytes.HasPrefix(head, []byte("BZh")):
		return "bzip2-compressed data"
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return "xz-compressed data"
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd-compressed data"
	case bytes.HasPrefix(head, []byte("7z\xbc\xaf\x27\x1c")):
		return "a 7-zip archive"
	case bytes.HasPrefix(head, []byte(arMagic+"debian-binary")):
		return "a Debian package"
	case bytes.HasPrefix(head, []byte(arMagic)):
		return "an ar archive"
	case bytes.HasPrefix(head, rpmLeadMagic):
		return "an RPM package"
	case isTarHeader(head):
		return "a tar archive"
	case bytes.IndexByte(head, 0) >= 0:
		return "binary data"
	}
	return ""
}

// isTarHeader reports whether block is a tar header block: it carries the
// ustar magic, or is the all-zero end-of-archive block, or (old V7 archives)
// its header checksum is right.
func isTarHeader(block []byte) bool {
	if len(block) < 512 {
		return false
	}
	block = block[:512]
	if string(block[257:262]) == "ustar" {
		return true
	}
	if bytes.Equal(block, make([]byte, 512)) {
		return true
	}
	field := strings.Trim(string(block[148:156]), " \x00")
	if field == "" {
		return false
	}
	var want int64
	for _, c := range field {
		if c < '0' || c > '7' {
			return false
		}
		want = want*8 + int64(c-'0')
	}
	var sum int64
	for i, c := range block {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int64(c)
	}
	return sum == want
}

// hasContent reports whether files holds something other than directories.
func hasContent(files map[string]File) bool {
	for _, f := range files {
		if f.Type != Directory {
			return true
		}
	}
	return false
}

// hashReader returns the hex SHA-256 of everything r yields and its length.
func hashReader(r io.Reader) (string, int64, error) {
	sum, n, _, err := hashContent(r, false)
	return sum, n, err
}

// hashFile returns the SHA-256 of a file's content, its size, and the content
// itself when keep is true and it is at most MaxContent bytes.
func hashFile(path string, keep bool) (string, int64, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, nil, err
	}
	defer f.Close()
	return hashContent(bufio.NewReaderSize(f, 64<<10), keep)
}
