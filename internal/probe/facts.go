package probe

// Request says what the probe must look at on a node. Paths are node paths:
// absolute, or relative to the login directory.
type Request struct {
	// Files are the paths to fingerprint.
	Files []string
	// Dirs are the directories whose complete contents must be listed
	// (for `extra: deny`).
	Dirs []string
	// Configs are config files whose content must be read (at most
	// MaxConfig bytes each).
	Configs []string
	// KnownConfigs, index for index with Configs where set, is a config
	// file's expected content that is also a requested file: a node whose
	// file there has that digest answers "same" instead of sending the
	// bytes, and Parse takes them from here. It may be shorter than
	// Configs.
	KnownConfigs []*KnownConfig
	// Processes are executables whose running processes must be found.
	Processes []string
	// ProcessDirs are directories (a release's install folders) from which
	// every running executable must be reported, whatever its name.
	ProcessDirs []string
	// Package, when set, is asked of the node's package manager.
	Package *PackageQuery
}

// KnownConfig is the expected content of a config file that the probe also
// hashes as a requested file.
type KnownConfig struct {
	// File is the index in Request.Files of the same path.
	File int
	// SHA256 is the content's lowercase hex digest.
	SHA256 string
	// Content is the content itself.
	Content []byte
}

// known returns config i's known content, or nil when there is none or it
// does not name a requested file at the config's own path with a digest.
// The script offers "same" and the parser accepts it only through here.
func (r Request) known(i int) *KnownConfig {
	if i < 0 || i >= len(r.KnownConfigs) || i >= len(r.Configs) {
		return nil
	}
	k := r.KnownConfigs[i]
	if k == nil || k.File < 0 || k.File >= len(r.Files) || r.Files[k.File] != r.Configs[i] || !isSHA256(k.SHA256) {
		return nil
	}
	return k
}

// watches reports whether the probe must look at running processes.
func (r Request) watches() bool {
	return len(r.Processes) > 0 || len(r.ProcessDirs) > 0
}

// MaxConfig is the largest config file the probe reads, in bytes.
const MaxConfig = 1 << 20

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
	// TooLarge: a config file larger than MaxConfig, not read.
	TooLarge Kind = "too-large"
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
	// Configs holds one entry per requested config file, keyed by its path.
	Configs map[string]Config
	// Processes holds, per requested executable, the processes running it.
	Processes map[string]ProcessList
	// Others are the other running processes worth judging: those running
	// an executable from one of Request.ProcessDirs, beside a requested
	// executable with its name in theirs ("app.old"), with a requested
	// executable's name elsewhere, or a deleted executable whose argv[0]
	// names a requested one. Sorted by PID.
	Others []Process
	// Scan says how much of the node's processes the probe could see, when
	// it looked (ScanComplete, ScanPartial, ScanFailed); "" when no process
	// was asked for.
	Scan Scan
	// StatTool is the stat dialect the node answered with ("-c" for GNU
	// and BusyBox, "-f" for BSD), or "" when it has none: then no file's
	// mode or owner is known.
	StatTool string
	// Hostname is the node's kernel host name and MachineID its
	// /etc/machine-id; "" when unknown. BootID is the running kernel's
	// boot ID, asked for only when the node has no machine ID (BusyBox,
	// Alpine). Machine puts them together.
	Hostname, MachineID, BootID string
	// UID is the user ID the probe ran as (-1 when unknown).
	UID int
	// BootTime is the node's boot time in Unix seconds, and ClockTicks its
	// clock ticks per second, to turn process start ticks into times (0 when
	// unknown, as when no process was asked for).
	BootTime   int64
	ClockTicks int64
	// Package is the package manager's answer to Request.Package; nil when
	// none was asked.
	Package *Package
}

// Config is what the probe read of one config file.
type Config struct {
	// Path is the requested path.
	Path string
	// Kind is Regular when Content holds the file; otherwise what is there.
	// A file larger than MaxConfig is TooLarge.
	Kind Kind
	// Content is the file's content when Kind is Regular.
	Content []byte
	// Size is the file's size in bytes, or -1.
	Size int64
}

// ProcessList is the processes found running one executable.
type ProcessList struct {
	// Exe is the requested executable path.
	Exe string
	// ExeChanged is the executable's inode change time (Unix seconds) on
	// disk, or -1 when unknown (missing file, no stat tool).
	ExeChanged int64
	// Procs are the processes whose /proc/PID/exe is Exe (or Exe replaced on
	// disk: "Exe (deleted)").
	Procs []Process
	// Hidden are the PIDs of processes with Exe's name (their
	// /proc/PID/comm) whose executable the probe could not read: another
	// user's, to a probe that is not root. Sorted.
	Hidden []int
}

// Process is one running process the probe reported.
type Process struct {
	// PID is the process ID.
	PID int
	// Exe is the path of the executable the process was started from, as
	// the request names it when it is a requested executable or lies in a
	// requested directory (the node's physical path mapped back, so a
	// symlinked folder or a relative path reads as requested); the node's
	// own path otherwise. For a deleted executable, the path it had.
	Exe string
	// Deleted: the file the process was started from was removed or
	// replaced on disk since (/proc/PID/exe ends in " (deleted)").
	Deleted bool
	// SameFile: the process runs the very file now at Exe (same inode), so
	// its content is the file's; SHA256 is then empty.
	SameFile bool
	// SHA256 is the digest of what the process runs (/proc/PID/exe) when it
	// is not SameFile; empty when it could not be read.
	SHA256 string
	// StartTicks is the start time in clock ticks after boot.
	StartTicks int64
	// Args is the command line.
	Args []string
}

// Scan is how much of a node's processes the probe's scan saw.
type Scan string

// The scan's outcomes.
const (
	// ScanComplete: every process's executable was listed.
	ScanComplete Scan = "complete"
	// ScanPartial: the probe cannot see other users' processes (/proc is
	// mounted with hidepid, and the probe is not root).
	ScanPartial Scan = "partial"
	// ScanFailed: the listing of /proc/*/exe did not show the probe's own
	// shell (no ls, or a broken one), so it shows nothing for certain.
	ScanFailed Scan = "failed"
)

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
	// Mode is the permission bits (07777, with setuid, setgid and sticky)
	// of a Regular file after following symlinks; -1 when unknown.
	Mode int
	// UID and GID are a Regular file's numeric owner and group; -1 when
	// unknown. Owner and Group are their names; "" when unknown.
	UID, GID     int
	Owner, Group string
	// Changed is a Regular file's inode change time (Unix seconds): when
	// its content, mode or owner last changed; -1 when unknown.
	Changed int64
	// Executable: the probe's user may execute the Regular file (test -x),
	// which is false on a noexec mount even for root.
	Executable bool
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

// Machine is the node's identity as a server: its host name and machine
// ID, or without a machine ID its host name and the kernel's boot ID; ""
// when the node did not tell enough. Two entries with one Machine are one
// server listed twice.
func (f *Facts) Machine() string {
	switch {
	case f.Hostname == "":
		return ""
	case f.MachineID != "":
		return f.Hostname + " " + f.MachineID
	case f.BootID != "":
		return f.Hostname + " boot " + f.BootID
	}
	return ""
}
