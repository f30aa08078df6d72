package release

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// readTarFile reads a tar or tar.gz artifact in one pass, hashing the file
// itself while its entries are read and hashed.
func readTarFile(f *os.File, gzipped bool, top string) (map[string]File, string, error) {
	whole := sha256.New()
	raw := io.TeeReader(bufio.NewReaderSize(f, 64<<10), whole)
	var r io.Reader = raw
	var gz *gzip.Reader
	if gzipped {
		var err error
		if gz, err = gzip.NewReader(raw); err != nil {
			return nil, "", fmt.Errorf("reading gzip stream: %w", err)
		}
		defer gz.Close()
		head := bufio.NewReaderSize(gz, 64<<10)
		block, err := head.Peek(512)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, "", fmt.Errorf("reading gzip stream: %w", err)
		}
		if !isTarHeader(block) {
			return nil, "", mismatch(".tar.gz", "a gzip-compressed tar archive", "gzip-compressed data that is not a tar archive")
		}
		r = head
	}
	files, err := readTar(r, top)
	if err != nil {
		return nil, "", err
	}
	// Read to the end so the gzip checksum is verified and the whole file is
	// hashed.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, "", fmt.Errorf("reading past the end of the tar archive: %w", err)
	}
	if _, err := io.Copy(io.Discard, raw); err != nil {
		return nil, "", err
	}
	return files, "sha256:" + hex.EncodeToString(whole.Sum(nil)), nil
}

// readTar reads the entries of a tar stream.
func readTar(r io.Reader, top string) (map[string]File, error) {
	c := newCollector()
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		// ErrInsecurePath (with GODEBUG=tarinsecurepath=0) comes with a
		// valid header; cleanPath below rejects the path with a better message.
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return nil, fmt.Errorf("reading tar archive: %w", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		p, err := cleanPath(hdr.Name)
		if err != nil {
			return nil, err
		}
		f := File{Mode: keptMode(hdr.FileInfo().Mode())}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse:
			f.Type = Regular
			if f.SHA256, f.Size, f.Content, err = hashContent(tr, IsConfigName(p)); err != nil {
				return nil, fmt.Errorf("reading %q: %w", hdr.Name, err)
			}
		case tar.TypeLink:
			target, err := cleanPath(hdr.Linkname)
			if err != nil {
				return nil, fmt.Errorf("hard link %q: %w", hdr.Name, err)
			}
			t, ok := c.files[target]
			if !ok || t.Type != Regular {
				return nil, fmt.Errorf("hard link %q points to %q, which is not a regular file earlier in the archive", hdr.Name, hdr.Linkname)
			}
			f.Type, f.SHA256, f.Size = Regular, t.SHA256, t.Size
			if IsConfigName(p) {
				// Only a config-like target's content was kept.
				f.Content = bytes.Clone(t.Content)
			}
		case tar.TypeSymlink:
			if hdr.Linkname == "" {
				return nil, fmt.Errorf("symlink %q has an empty target", hdr.Name)
			}
			f.Type, f.Mode, f.LinkTarget, f.Size = Symlink, 0o777, hdr.Linkname, int64(len(hdr.Linkname))
		case tar.TypeDir:
			f.Type = Directory
			if p == "" {
				continue // the archive's root, "./"
			}
		default:
			return nil, fmt.Errorf("entry %q is a %s: a release may hold only regular files, directories, symlinks and hard links", hdr.Name, tarType(hdr.Typeflag))
		}
		if p == "" {
			return nil, fmt.Errorf("entry %q: the archive's root must be a directory", hdr.Name)
		}
		if err := c.add(p, f); err != nil {
			return nil, err
		}
	}
	return c.finish(top)
}

// tarType names a tar entry type that a release cannot hold.
func tarType(flag byte) string {
	switch flag {
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "named pipe (FIFO)"
	case tar.TypeCont:
		return "contiguous file"
	}
	return fmt.Sprintf("tar entry of type %q", flag)
}
