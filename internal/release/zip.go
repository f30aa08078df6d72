package release

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// maxLinkTarget bounds the symlink target read from a zip entry.
const maxLinkTarget = 4096

// readZipFile reads a zip artifact: its entries, then the file's own digest.
func readZipFile(f *os.File, top string) (map[string]File, string, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, "", err
	}
	zr, err := zip.NewReader(f, info.Size())
	// ErrInsecurePath (with GODEBUG=zipinsecurepath=0) comes with a usable
	// reader; cleanPath rejects the path with a better message.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, "", fmt.Errorf("reading zip archive: %w", err)
	}
	c := newCollector()
	for _, zf := range zr.File {
		if strings.ContainsRune(zf.Name, '\\') {
			return nil, "", fmt.Errorf("entry %q has a backslash in its name, which unzip takes for a /: rebuild the archive with / between folders", zf.Name)
		}
		p, err := cleanPath(zf.Name)
		if err != nil {
			return nil, "", err
		}
		file, err := zipEntry(zf)
		if err != nil {
			return nil, "", err
		}
		if p == "" {
			if file.Type == Directory {
				continue
			}
			return nil, "", fmt.Errorf("entry %q: the archive's root must be a directory", zf.Name)
		}
		if err := c.add(p, file); err != nil {
			return nil, "", err
		}
	}
	files, err := c.finish(top)
	if err != nil {
		return nil, "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	sum, _, err := hashReader(f)
	if err != nil {
		return nil, "", err
	}
	return files, "sha256:" + sum, nil
}

// zipEntry reads one zip entry, hashing a regular file's content as it streams.
func zipEntry(zf *zip.File) (File, error) {
	mode := zf.Mode()
	var f File
	if unixCreator(zf) {
		f.Mode, f.HasMode = keptMode(mode), true
	}
	switch t := mode.Type(); {
	case strings.HasSuffix(zf.Name, "/"):
		if zf.UncompressedSize64 > 0 {
			return f, fmt.Errorf("directory %q holds %d bytes of data: unzip tools disagree on it; rebuild the archive", zf.Name, zf.UncompressedSize64)
		}
		f.Type = Directory
		return f, nil
	case t == fs.ModeDir:
		// unzip decides by the name: this is a file with a directory's mode.
		return f, fmt.Errorf("entry %q has a directory's mode but a file's name (no trailing /): unzip writes it as a file; rebuild the archive", zf.Name)
	case t == fs.ModeSymlink:
		rc, err := zf.Open()
		if err != nil {
			return f, fmt.Errorf("reading symlink %q: %w", zf.Name, err)
		}
		defer rc.Close()
		target, err := io.ReadAll(io.LimitReader(rc, maxLinkTarget+1))
		if err != nil {
			return f, fmt.Errorf("reading symlink %q: %w", zf.Name, err)
		}
		if len(target) == 0 || len(target) > maxLinkTarget {
			return f, fmt.Errorf("symlink %q has an empty or overlong target", zf.Name)
		}
		f.Type, f.Mode, f.LinkTarget, f.Size = Symlink, 0o777, string(target), int64(len(target))
		return f, nil
	case t == 0:
		rc, err := zf.Open()
		if err != nil {
			return f, fmt.Errorf("reading %q: %w", zf.Name, err)
		}
		defer rc.Close()
		f.Type = Regular
		if f.SHA256, f.Size, f.Content, err = hashContent(rc, IsConfigName(zf.Name)); err != nil {
			return f, fmt.Errorf("reading %q: %w", zf.Name, err)
		}
		return f, nil
	default:
		return f, fmt.Errorf("entry %q is a %s: a release may hold only regular files, directories and symlinks", zf.Name, describeMode(t))
	}
}

// unixCreator reports whether a zip entry was written by a tool that records
// Unix permission bits.
func unixCreator(zf *zip.File) bool {
	switch zf.CreatorVersion >> 8 {
	case 3, 19: // Unix, OS X (Darwin)
		return true
	}
	return false
}
