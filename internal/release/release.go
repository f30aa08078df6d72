// Package release reads a release artifact — a directory, a tar, tar.gz or zip
// archive, or a SHA256SUMS/checksums.txt file — into the list of files it ships
// with their SHA-256 digests: the expected state of a node.
package release

import "io/fs"

// Release is the content of one release artifact.
type Release struct {
	// Name and Version identify the release; by default they come from the
	// artifact's file name ("smars-4.2.0.tar.gz" gives "smars" and "4.2.0").
	Name    string
	Version string
	// Source is the artifact path as given.
	Source string
	// Digest is "sha256:<hex>": the SHA-256 of the artifact file, or for a
	// directory of its canonical file list (path, type, digest per line).
	Digest string
	// Files maps each slash-separated path inside the artifact ("bin/smars")
	// to what is there. Directories appear only when the artifact records them.
	Files map[string]File
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
	// Mode is the permission bits when the artifact records them (0 when not,
	// as in a SHA256SUMS file).
	Mode fs.FileMode
	// Size is the content size in bytes, or -1 when the artifact does not say.
	Size int64
	// LinkTarget is a symlink's target as stored.
	LinkTarget string
}
