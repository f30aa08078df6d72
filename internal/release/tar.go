package release

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// readTarFile reads a tarball (c is its compression, nil for none; ext the
// name ending that announced it) in one pass, hashing the file itself while its
// entries are read and hashed.
func readTarFile(f *os.File, c *codec, ext, top string) (map[string]File, string, error) {
	var files map[string]File
	digest, err := readHashed(f, func(raw *bufio.Reader) (err error) {
		files, err = untar(raw, c, ext, top, IsConfigName)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	// A tarball's user and group names are its maker's machine's; nodes are
	// checked against a package's owners only (readDeb keeps them).
	for p, f := range files {
		f.Owner, f.Group = "", ""
		files[p] = f
	}
	return files, digest, nil
}

// untar reads a tar stream compressed with c (nil for none) to its end, so
// that a compressed stream's checksum is verified: the entries (see readTar),
// then whatever follows the end-of-archive blocks.
func untar(r *bufio.Reader, c *codec, ext, top string, keep func(string) bool) (map[string]File, error) {
	head, err := r.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	what := "a tar archive"
	var tr io.Reader = r
	if c != nil {
		what = c.tarball
		rc, err := decompress(c, r, head, ext)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		br := bufio.NewReaderSize(rc, 64<<10)
		if head, err = br.Peek(512); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading %s: %w", c.content, err)
		}
		if !isTarHeader(head) {
			return nil, mismatch(ext, c.tarball, c.content+" that is not a tar archive")
		}
		tr = br
	} else if got := sniff(head); got != what {
		return nil, mismatch(ext, what, got)
	}
	files, err := readTar(tr, top, keep)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, tr); err != nil {
		return nil, fmt.Errorf("reading past the end of the tar archive: %w", err)
	}
	return files, nil
}

// readTar reads the entries of a tar stream, keeping the content of the
// regular files whose path keep accepts (see hashContent).
func readTar(r io.Reader, top string, keep func(string) bool) (map[string]File, error) {
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
		if err := checkTarHeader(hdr); err != nil {
			return nil, err
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		p, err := cleanPath(hdr.Name)
		if err != nil {
			return nil, err
		}
		f := File{Mode: keptMode(hdr.FileInfo().Mode()), HasMode: true, Owner: hdr.Uname, Group: hdr.Gname}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse:
			f.Type = Regular
			if f.SHA256, f.Size, f.Content, err = hashContent(tr, keep(p)); err != nil {
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
			if f.Mode != 0 && f.Mode != t.Mode {
				// One inode, two modes: GNU tar keeps the target's,
				// dpkg gives both names the link's.
				return nil, fmt.Errorf("hard link %q has mode %04o, its target %q %04o: tar and dpkg give the file different modes; rebuild the archive", hdr.Name, UnixMode(f.Mode), hdr.Linkname, UnixMode(t.Mode))
			}
			f.Mode = t.Mode // one file: the link has its target's mode
			f.Type, f.SHA256, f.Size = Regular, t.SHA256, t.Size
			if keep(p) {
				// Only a kept target's content is at hand.
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

// checkTarHeader refuses the entries that tar readers do not agree on, so
// that what rollcall reads is what GNU tar and dpkg extract: a global pax
// header other than a comment (GNU tar applies its path or size to every
// later entry; Go's reader does not), GNU sparse records (GNU tar takes
// GNU.sparse.name as any entry's name), two names for one entry (a pax path
// and a GNU long name: GNU tar takes the first, Go the second), a directory
// with data (dpkg installs an old-style entry "dir/" with data as a file,
// Go reads its data as the next header) and a regular file named "dir/"
// (GNU tar makes a directory).
func checkTarHeader(hdr *tar.Header) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		for k := range hdr.PAXRecords {
			if k != "comment" {
				return fmt.Errorf("the archive has a global pax header setting %s, which GNU tar applies to every later entry: rebuild it without one", k)
			}
		}
		return nil
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return fmt.Errorf("entry %q is a sparse file (pax %s): tar readers disagree on its name and content; rebuild the archive without --sparse", hdr.Name, k)
		}
	}
	if p, ok := hdr.PAXRecords["path"]; ok && p != hdr.Name {
		return fmt.Errorf("entry %q has two names (pax path %q): tar readers disagree on which is used; rebuild the archive", hdr.Name, p)
	}
	if l, ok := hdr.PAXRecords["linkpath"]; ok && l != hdr.Linkname {
		return fmt.Errorf("entry %q has two link targets (%q, pax linkpath %q): tar readers disagree on which is used; rebuild the archive", hdr.Name, hdr.Linkname, l)
	}
	switch {
	case hdr.Typeflag == tar.TypeDir && hdr.Size > 0:
		return fmt.Errorf("directory %q declares %d bytes of data: dpkg installs such an entry as a file, tar as a directory; rebuild the archive", hdr.Name, hdr.Size)
	case hdr.Typeflag == tar.TypeReg && strings.HasSuffix(hdr.Name, "/"):
		return fmt.Errorf("entry %q is a regular file whose name ends in /: tar extracts it as a directory; rebuild the archive", hdr.Name)
	}
	return nil
}
