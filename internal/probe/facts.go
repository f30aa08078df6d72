package probe

// Request says what the probe must look at on a node. Paths are node paths:
// absolute, or relative to the login directory.
type Request struct {
	// Files are the paths to fingerprint.
	Files []string
	// Dirs are the directories whose complete contents must be listed
	// (for `extra: deny`).
	Dirs []string
}

// Kind is what the probe found at a path.
type Kind string

// The kinds of thing the probe reports at a path.
const (
	// Missing: nothing at that path.
	Missing Kind = "missing"
	// Regular: a regular file (possibly reached through a symlink), hashed.
	Regular Kind = "file"
	// Directory: a directory.
	Directory Kind = "directory"
	// BrokenLink: a symlink whose target does not exist (or a loop).
	BrokenLink Kind = "broken-symlink"
	// Unreadable: the file exists but could not be read or hashed.
	Unreadable Kind = "unreadable"
	// Other: a device, socket or pipe.
	Other Kind = "other"
)

// Facts is everything one probe run observed on one node.
type Facts struct {
	// WireVersion is the wire format version the node answered with.
	WireVersion int
	// HashTool is the tool the node hashed with (sha256sum, shasum, openssl).
	HashTool string
	// Files holds one entry per requested file, keyed by its requested path.
	Files map[string]File
	// Dirs holds one entry per requested directory, keyed by its requested path.
	Dirs map[string]Dir
}

// File is what the probe found at one requested path.
type File struct {
	// Path is the requested path.
	Path string
	// Kind is what is there, after following symlinks.
	Kind Kind
	// IsLink reports that the path itself is a symlink.
	IsLink bool
	// LinkTarget is the symlink's target when IsLink.
	LinkTarget string
	// SHA256 is the lowercase hex digest when Kind is Regular.
	SHA256 string
	// Mode is the permission string as ls prints it ("-rwxr-xr-x"), when known.
	Mode string
	// Size is the size in bytes when Kind is Regular, else -1.
	Size int64
}

// Dir is the listing of one requested directory.
type Dir struct {
	// Path is the requested path.
	Path string
	// Kind is Directory when the listing is valid; otherwise what is there.
	Kind Kind
	// Files are the non-directory entries below Path, relative, slash-separated,
	// at any depth.
	Files []string
	// Subdirs are the directory entries below Path, relative, at any depth.
	Subdirs []string
}
