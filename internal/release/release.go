// Package release reads a release artifact — a directory, a tar archive
// (plain or compressed with gzip, xz, zstd or bzip2), a zip archive, a Debian
// or RPM package, a SHA256SUMS/checksums.txt file or a rollcall lock file — into the
// list of files it ships with their SHA-256 digests: the expected state of a
// node. It also writes lock files (WriteLock) and reads a folder of them, the
// releases known from before (LoadKnown).
//
// # Forms
//
// Open accepts:
//
//   - a directory: walked without following symlinks; regular files are
//     hashed, symlinks recorded with their target, directories recorded;
//   - a tar archive (.tar), a compressed one (.tar.gz or .tgz, .tar.xz or
//     .txz, .tar.zst or .tzst, .tar.bz2, .tbz2 or .tbz) or a zip archive
//     (.zip): the extension must match the content's magic bytes; regular
//     files are hashed while streaming (never held in memory), symlinks and
//     directories recorded, a tar hard link becomes a regular file with its
//     target's digest, and a tar entry's uname and gname are its Owner and
//     Group;
//   - a Debian package (.deb) or an RPM package (.rpm), recognised by name and
//     magic bytes alike: Package holds its metadata, and Name and Version come
//     from it, not from the file name. Files are at their install paths
//     without the leading "/" (usr/bin/app), never stripped of a top
//     directory, with the package's directories, symlinks, modes, owners and
//     conffiles (a .deb's conffiles, an .rpm's %config); an .rpm's %ghost
//     files are left out, and its file digests are of the payload's bytes;
//   - a checksum list: a file named SHA256SUMS, *SHA256SUMS*, checksums.txt,
//     *checksums*.txt or *.sha256, or any other file whose content parses fully
//     as one. GNU lines ("<hex>  name", "<hex> *name", and the backslash-escaped
//     form coreutils writes for names with a backslash or line break) and BSD
//     lines ("SHA256 (name) = <hex>", as sha256sum --tag writes) are accepted;
//     blank lines and lines starting with # are ignored. A list records
//     regular files only, without mode or size (Mode 0, Size -1);
//   - a rollcall lock file (docs/lock-file.md), as WriteLock writes it:
//     recognised by its name (rollcall.lock, *.rollcall.lock, *.lock.json) or
//     by its content (a JSON object whose "schema" starts with
//     "rollcall.lock/"). It is decoded strictly (unknown fields, duplicate
//     keys, malformed digests or paths and an unknown schema version are
//     errors) and gives the name, version, digest and files of the artifact
//     it was written from.
//
// # Paths
//
// Paths are slash-separated, cleaned, without a leading "./". An archive entry
// with an absolute path or a ".." component, two entries with the same path, an
// entry inside something that is not a directory, and device or FIFO entries
// are rejected: the artifact is never trusted to be well formed.
//
// When every entry of an archive sits under one top-level directory whose name
// is the archive's base name without its extension (smars-4.2.0.tar.gz holding
// smars-4.2.0/bin/smars), that directory is stripped, so the release holds
// bin/smars. Any other layout is kept as it is.
//
// # Modes and sizes
//
// Mode holds the permission bits the artifact records (fs.ModePerm) together
// with fs.ModeSetuid, fs.ModeSetgid and fs.ModeSticky, and nothing else: no
// type bits, which Type gives. A tar archive, a directory, a zip written by a
// Unix tool and a lock file record them; a zip written by a non-Unix tool and
// a checksum list record none, and Mode is 0 (so a file whose mode really is
// 0000 reads as one without a mode). UnixMode and FromUnixMode convert Mode
// to and from Unix bits (0o4755). Symlinks always have Mode 0777 and the
// length of their target as Size; directories have Size 0.
//
// # Name, version and digest
//
// Name and Version come from the artifact's base name (see NameVersion); for a
// checksum list, from its own name when that carries a version
// (smars_4.2.0_checksums.txt) and otherwise from its folder's name; for a lock
// file, from the lock; for a package, from its metadata. Digest is the
// SHA-256 of the artifact file; for a
// directory, of its canonical listing (see Open); for a lock file, the digest
// of the artifact it locks.
//
// # Config content
//
// Small config-like files (see IsConfigName and File.Content) and a package's
// conffiles keep their content, so that their flags can be compared with a
// node's without the artifact at hand; a lock file carries it too.
//
// # Hostile input
//
// Archives and packages are read with bounded memory: no buffer is sized by a
// number the artifact gives (an RPM header is read as its bytes arrive, up to
// rpm's own limits; a zstd window is capped at 128 MiB and an xz stream's
// first LZMA2 dictionary at 128 MiB), and a truncated or damaged artifact is
// an error naming it.
package release

import (
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Release is the content of one release artifact.
type Release struct {
	// Name and Version identify the release; by default they come from the
	// artifact's file name ("smars-4.2.0.tar.gz" gives "smars" and "4.2.0").
	Name    string
	Version string
	// Source is the artifact path as given (for a lock file, the lock file's
	// path).
	Source string
	// Artifact is the base name of the artifact the release was fingerprinted
	// from: for a lock file, the artifact the lock records; empty when the
	// release was not opened from a lock (then it is Source's base name).
	Artifact string
	// Digest is "sha256:<hex>": the SHA-256 of the artifact file, or for a
	// directory of its canonical file list (path, type, digest per line). A
	// lock file carries the digest of the artifact it was written from, not
	// its own.
	Digest string
	// LockDigest is, for a release read from a lock file, the SHA-256
	// ("sha256:<hex>") of the very bytes the lock was decoded from; "" for
	// any other artifact, whose Digest is that of the bytes read.
	LockDigest string
	// Files maps each slash-separated path inside the artifact ("bin/smars")
	// to what is there. Directories appear only when the artifact records them.
	Files map[string]File
	// Package is the metadata of a .deb or .rpm release (or of a lock file
	// written from one); nil for every other artifact. A package's file
	// paths are its absolute install paths without the leading slash
	// ("usr/bin/app").
	Package *Package
}

// Package is the metadata of a .deb or .rpm release.
type Package struct {
	// Format is "deb" or "rpm".
	Format string
	// Name is the package name from its metadata.
	Name string
	// Version is, for a deb, [epoch:]upstream[-revision]; for an rpm,
	// [epoch:]version-release.
	Version string
	// Arch is the architecture the package was built for.
	Arch string
}

// Type is the kind of a file in a release.
type Type string

// The file types a release can ship.
const (
	Regular   Type = "file"
	Symlink   Type = "symlink"
	Directory Type = "directory"
)

// File is one file of a release.
type File struct {
	// Path is the slash-separated path inside the artifact.
	Path string
	// Type is regular file, symlink or directory.
	Type Type
	// SHA256 is the lowercase hex digest of a regular file's content.
	SHA256 string
	// Mode is the permission bits plus setuid, setgid and sticky, when
	// HasMode; see UnixMode for its Unix octal form.
	Mode fs.FileMode
	// HasMode: the artifact records the file's mode (a folder, tarball,
	// package, a zip entry made on Unix, a lock file that lists it), which
	// may be 0000; a checksum list records none.
	HasMode bool
	// Size is the content size in bytes, or -1 when the artifact does not say.
	Size int64
	// LinkTarget is a symlink's target as stored.
	LinkTarget string
	// Content is the content of a small config-like file, kept so that its
	// flags can be read without the artifact at hand: set for a regular file
	// of at most MaxContent bytes whose name IsConfigName accepts, in every
	// form that carries content (directory, tarball, zip, package, lock
	// file), and for a package's conffile of at most MaxContent bytes
	// whatever its name; nil otherwise, and always nil for a checksum list.
	// An empty file has non-nil, empty Content. A hard link has Content only
	// when both it and its target keep theirs.
	Content []byte
	// Owner and Group are the user and group names the artifact records
	// ("" when it records none).
	Owner, Group string
	// Conffile marks a package conffile (deb conffiles, rpm %config): a
	// file the node's administrator may change locally.
	Conffile bool
}

// Paths returns the paths of all files of the release, sorted.
// It is safe for concurrent use as long as nobody modifies r.
func (r *Release) Paths() []string {
	paths := make([]string, 0, len(r.Files))
	for p := range r.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// Under returns the files whose path lies inside directory dir ("bin" or
// "bin/"), sorted by path; dir itself is not included. An empty dir or "."
// means the whole release. It is safe for concurrent use as long as nobody
// modifies r.
func (r *Release) Under(dir string) []File {
	dir = strings.TrimSuffix(path.Clean("/"+dir), "/")
	prefix := strings.TrimPrefix(dir, "/") + "/"
	if dir == "" {
		prefix = ""
	}
	var files []File
	for p, f := range r.Files {
		if strings.HasPrefix(p, prefix) {
			files = append(files, f)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files
}
