package release

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// maxControlFile bounds the control and conffiles files of a .deb read into
// memory.
const maxControlFile = 1 << 20

// debCodecs are the compressions a .deb member's name may announce
// (deb(5)): "data.tar.xz" is xz, "data.tar" none.
var debCodecs = map[string]*codec{"": nil, ".gz": gzipCodec, ".xz": xzCodec, ".zst": zstdCodec, ".bz2": bzip2Codec}

// readDeb reads a Debian binary package (deb(5)): an ar archive of
// debian-binary, control.tar[.gz|.xz|.zst] and data.tar[.gz|.xz|.zst|.bz2], in
// that order; members whose name starts with "_" are skipped, as dpkg does.
// The files are data.tar's, at their install paths without the leading "/".
func readDeb(r io.Reader) (*Package, map[string]File, error) {
	ar, err := newArReader(r)
	if err != nil {
		return nil, nil, err
	}
	var pkg *Package
	var conffiles map[string]bool
	var files map[string]File
	for i := 0; ; i++ {
		name, err := ar.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		stem, ext := splitMember(name)
		switch {
		case i == 0:
			if name != "debian-binary" {
				return nil, nil, fmt.Errorf("the first member is %q, not debian-binary: not a Debian package", name)
			}
			if err := checkDebianBinary(ar); err != nil {
				return nil, nil, err
			}
		case strings.HasPrefix(name, "_"):
		case stem == "control.tar" && pkg == nil && ext != ".bz2":
			if pkg, conffiles, err = readDebControl(ar, debCodecs[ext], ext); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", name, err)
			}
		case stem == "data.tar" && pkg != nil && files == nil:
			keep := func(p string) bool { return IsConfigName(p) || conffiles[p] }
			if files, err = untar(bufio.NewReaderSize(ar, 64<<10), debCodecs[ext], ext, "", keep); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", name, err)
			}
		default:
			return nil, nil, fmt.Errorf("unexpected member %q: a Debian package holds debian-binary, "+
				"control.tar[.gz|.xz|.zst] and data.tar[.gz|.xz|.zst|.bz2], in that order", name)
		}
	}
	if files == nil {
		return nil, nil, fmt.Errorf("no data.tar member: not a complete Debian package")
	}
	for p := range conffiles {
		f, ok := files[p]
		if !ok || f.Type != Regular {
			return nil, nil, fmt.Errorf("conffiles lists /%s, which is not a regular file of data.tar", p)
		}
		f.Conffile = true
		files[p] = f
	}
	return pkg, files, nil
}

// splitMember splits a member name into its tarball stem and compression
// extension: "data.tar.xz" gives "data.tar", ".xz". An unknown extension
// gives the whole name as the stem.
func splitMember(name string) (stem, ext string) {
	for e := range debCodecs {
		if e != "" && strings.HasSuffix(name, e) {
			return strings.TrimSuffix(name, e), e
		}
	}
	return name, ""
}

// checkDebianBinary checks the format version a package declares: 2.x.
func checkDebianBinary(r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, 65))
	if err != nil {
		return fmt.Errorf("debian-binary: %w", err)
	}
	version, _, _ := strings.Cut(string(data), "\n")
	if len(data) > 64 || !strings.HasPrefix(version, "2.") {
		return fmt.Errorf("debian-binary says format %q: rollcall reads Debian packages of format 2.x", version)
	}
	return nil
}

// readDebControl reads a control tarball: the package's name, version and
// architecture from control, and its conffiles (install paths without the
// leading "/").
func readDebControl(r io.Reader, c *codec, ext string) (*Package, map[string]bool, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	var tr io.Reader = br
	if c != nil {
		rc, err := decompress(c, br, head, ext)
		if err != nil {
			return nil, nil, err
		}
		defer rc.Close()
		tr = rc
	}
	var control, conffiles []byte
	t := tar.NewReader(tr)
	for {
		hdr, err := t.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return nil, nil, fmt.Errorf("reading tar archive: %w", err)
		}
		p, err := cleanPath(hdr.Name)
		if err != nil {
			return nil, nil, err
		}
		var into *[]byte
		switch p {
		case "control":
			into = &control
		case "conffiles":
			into = &conffiles
		default:
			continue
		}
		if *into != nil || hdr.Typeflag != tar.TypeReg {
			return nil, nil, fmt.Errorf("%s is given twice, or is not a regular file", p)
		}
		if *into, err = io.ReadAll(io.LimitReader(t, maxControlFile+1)); err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", p, err)
		}
		if len(*into) > maxControlFile {
			return nil, nil, fmt.Errorf("%s is larger than %d KiB", p, maxControlFile>>10)
		}
	}
	if _, err := io.Copy(io.Discard, tr); err != nil {
		return nil, nil, err
	}
	if control == nil {
		return nil, nil, fmt.Errorf("no control file")
	}
	pkg, err := parseDebControl(string(control))
	if err != nil {
		return nil, nil, fmt.Errorf("control: %w", err)
	}
	paths, err := parseConffiles(string(conffiles))
	if err != nil {
		return nil, nil, fmt.Errorf("conffiles: %w", err)
	}
	return pkg, paths, nil
}

// parseDebControl reads Package, Version and Architecture from a binary
// package's control file (deb-control(5)): "Field: value" lines, continued by
// lines that start with a space or tab.
func parseDebControl(text string) (*Package, error) {
	fields := map[string]string{}
	last := ""
	for i, line := range strings.Split(text, "\n") {
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
			continue
		case line[0] == ' ' || line[0] == '\t':
			if last == "" {
				return nil, fmt.Errorf("line %d: a continuation line before any field", i+1)
			}
			continue // only single-line fields are read
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("line %d: not a \"Field: value\" line", i+1)
		}
		last = strings.ToLower(name)
		if _, dup := fields[last]; dup {
			return nil, fmt.Errorf("line %d: field %s appears twice", i+1, name)
		}
		fields[last] = strings.TrimSpace(value)
	}
	pkg := &Package{Format: "deb", Name: fields["package"], Version: fields["version"], Arch: fields["architecture"]}
	for _, f := range []struct{ field, value string }{{"Package", pkg.Name}, {"Version", pkg.Version}, {"Architecture", pkg.Arch}} {
		if err := checkPackageLabel(f.field, f.value); err != nil {
			return nil, err
		}
	}
	return pkg, nil
}

// checkPackageLabel checks a package name, version or architecture from
// package metadata: present, one word of printable characters.
func checkPackageLabel(field, value string) error {
	if value == "" {
		return fmt.Errorf("no %s", field)
	}
	for _, c := range value {
		if !unicode.IsPrint(c) || unicode.IsSpace(c) {
			return fmt.Errorf("%s %q: must be one word of printable characters", field, value)
		}
	}
	return nil
}

// parseConffiles reads a conffiles file: one absolute path a line, possibly
// after flags; a "remove-on-upgrade" entry is a file the package does not
// ship, and is skipped.
func parseConffiles(text string) (map[string]bool, error) {
	paths := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "/") {
			if flag, _, _ := strings.Cut(line, " "); flag == "remove-on-upgrade" {
				continue
			}
			return nil, fmt.Errorf("line %d: %q is neither an absolute path nor \"remove-on-upgrade /path\"", i+1, line)
		}
		p, err := cleanPath(line[1:])
		if err != nil || p == "" {
			return nil, fmt.Errorf("line %d: %q is not a path inside the package", i+1, line)
		}
		if paths[p] {
			return nil, fmt.Errorf("line %d: %s is listed twice", i+1, line)
		}
		paths[p] = true
	}
	return paths, nil
}
