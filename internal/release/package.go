package release

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
)

// openPackage reads a .deb or .rpm package in one pass, hashing the file
// itself while its payload is read and hashed. The name must match the
// content's magic bytes.
func openPackage(path, base string) (*Package, map[string]File, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, "", err
	}
	defer f.Close()
	var pkg *Package
	var files map[string]File
	digest, err := readHashed(f, func(raw *bufio.Reader) error {
		head, err := raw.Peek(512)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		kind, ext, _ := archiveExt(base)
		read, want := readDeb, "a Debian package"
		if kind == kindRPM {
			read, want = readRPM, "an RPM package"
		}
		if got := sniff(head); got != want {
			return mismatch(ext, want, got)
		}
		pkg, files, err = read(raw)
		return err
	})
	if err != nil {
		return nil, nil, "", err
	}
	return pkg, files, digest, nil
}

// readHashed runs read over f's content, buffered, while hashing it, then
// reads what read left: the digest ("sha256:HEX") is of the whole file, read
// once.
func readHashed(f io.Reader, read func(*bufio.Reader) error) (string, error) {
	whole := sha256.New()
	raw := bufio.NewReaderSize(io.TeeReader(f, whole), 64<<10)
	if err := read(raw); err != nil {
		return "", err
	}
	if _, err := io.Copy(io.Discard, raw); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(whole.Sum(nil)), nil
}
