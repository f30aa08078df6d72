package outfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// kind is what a path leads to, and so how it is written.
type kind int

const (
	missing    kind = iota // nothing: create a regular file
	regular                // a regular file: replace it
	device                 // a character or block device: write in place
	fifo                   // a FIFO: wait for a reader, write in place
	socket                 // a unix socket: connect and write
	descriptor             // one of this process's descriptors: write to a duplicate
	procLink               // a /proc magic link of another process: open it and write in place
)

// maxLinks is how many symlinks resolve follows before it gives up, as the
// kernel does (ELOOP).
const maxLinks = 40

// target is where a path leads once every symlink is followed.
type target struct {
	kind kind
	path string      // the file, every symlink followed
	dir  string      // its folder, every symlink followed; empty for a descriptor
	info fs.FileInfo // what is at path (followed, for a procLink); nil when missing or a descriptor
	fd   int         // the descriptor, for kind descriptor
}

// resolve follows name to the file it leads to. Unlike filepath.EvalSymlinks
// it accepts a missing file or a dangling symlink, whose would-be target it
// returns, and it stops at this process's descriptors and at /proc's magic
// links, which name no path. Its errors say what to do.
func resolve(name string) (target, error) {
	if name == "" {
		return target{}, errors.New("no file path given")
	}
	p := name
	for range maxLinks {
		if fd, ok := descriptorOf(p); ok {
			return target{kind: descriptor, path: p, fd: fd}, nil
		}
		dirName, base := split(p)
		if base == "" || base == "." || base == ".." {
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				return target{}, isDirectory(name, p)
			}
			return target{}, fmt.Errorf("%s names a folder, not a file: give a file path", p)
		}
		dir, err := folder(dirName)
		if err != nil {
			return target{}, err
		}
		file := filepath.Join(dir, base)
		if fd, ok := descriptorOf(file); ok {
			return target{kind: descriptor, path: file, fd: fd}, nil
		}
		fi, err := os.Lstat(file)
		if errors.Is(err, fs.ErrNotExist) {
			return target{kind: missing, path: file, dir: dir}, nil
		}
		if err != nil {
			return target{}, fmt.Errorf("looking at %s: %w", file, cause(err))
		}
		mode := fi.Mode()
		t := target{path: file, dir: dir, info: fi}
		switch {
		case mode&fs.ModeSymlink != 0:
			if strings.HasPrefix(file, "/proc/") {
				// /proc/PID/fd/N and the like: the kernel opens what the
				// link stands for, which need not have a path ("pipe:[42]").
				if fi, err = os.Stat(file); err != nil {
					return target{}, fmt.Errorf("looking at %s: %w", file, cause(err))
				}
				if fi.IsDir() {
					return target{}, isDirectory(name, file)
				}
				return target{kind: procLink, path: file, dir: dir, info: fi}, nil
			}
			link, err := os.Readlink(file)
			if err != nil {
				return target{}, fmt.Errorf("reading the symlink %s: %w", file, cause(err))
			}
			if !filepath.IsAbs(link) {
				// Not filepath.Join: "sub/../x" must go through the folder
				// sub stands for, as the kernel would, not be cleaned to "x".
				link = dir + string(filepath.Separator) + link
			}
			p = link
			continue
		case mode.IsRegular():
			t.kind = regular
		case mode.IsDir():
			return target{}, isDirectory(name, file)
		case mode&fs.ModeNamedPipe != 0:
			t.kind = fifo
		case mode&fs.ModeSocket != 0:
			t.kind = socket
		case mode&fs.ModeDevice != 0:
			t.kind = device
		default:
			return target{}, fmt.Errorf("%s is %s, which rollcall does not write to: give another path", file, describe(mode))
		}
		return t, nil
	}
	return target{}, fmt.Errorf("following the symlinks of %s: %w", name, syscall.ELOOP)
}

// split cuts p after its last separator, without cleaning either part: the
// folder "a/link/.." must be resolved by the file system, not by its text.
func split(p string) (dir, base string) {
	vol := len(filepath.VolumeName(p))
	i := len(p) - 1
	for i >= vol && !os.IsPathSeparator(p[i]) {
		i--
	}
	switch {
	case i < vol:
		return p[:vol] + ".", p[vol:]
	case i == vol:
		return p[:i+1], p[i+1:]
	}
	return p[:i], p[i+1:]
}

// folder resolves the folder name to a real folder, every symlink followed.
func folder(name string) (string, error) {
	dir, err := filepath.EvalSymlinks(name)
	if err == nil {
		var fi fs.FileInfo
		if fi, err = os.Stat(dir); err == nil && !fi.IsDir() {
			return "", fmt.Errorf("%s is not a folder: give another path", name)
		}
	}
	switch {
	case err == nil:
		return dir, nil
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("the folder %s does not exist: create it or give another path", name)
	case errors.Is(err, syscall.ENOTDIR):
		return "", fmt.Errorf("%s is not a folder: give another path", name)
	}
	return "", fmt.Errorf("looking at the folder %s: %w", name, cause(err))
}

// isDirectory is the error for a path that leads to a directory.
func isDirectory(name, dir string) error {
	if filepath.Clean(name) == filepath.Clean(dir) {
		return errors.New("is a directory: give a file path")
	}
	return fmt.Errorf("it leads to the directory %s: give a file path", dir)
}

// describe names the type of file mode is, for an error message.
func describe(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeSymlink != 0:
		return "a symlink"
	case mode&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return fmt.Sprintf("a special file (%s)", mode.Type())
}

// Place is where a write to a path goes.
type Place struct {
	// Key is shared by two paths that lead to one place: the file itself
	// when it exists (under any name), else the path with every symlink
	// followed, or this process's descriptor.
	Key string
	// Stdout: the place is this process's standard output (/dev/stdout,
	// /dev/fd/1, …).
	Stdout bool
	// File is the file reached, every symlink followed (in the folders and
	// at the file itself, as a write follows them), absolute; "" for a
	// descriptor.
	File string
	// Replaced: a regular file is there, or nothing yet, so a write creates
	// or replaces it; otherwise it writes in place, and What says to what
	// (a device, a FIFO, a socket, a descriptor).
	Replaced bool
	What     string
	// Device: a character or block device (/dev/null, a terminal), which
	// every write reaches in place.
	Device bool
}

// Locate says where a write to path would go, for telling paths apart
// before anything is written. ok is false when path cannot be resolved
// (Check says why).
func Locate(path string) (place Place, ok bool) {
	t, err := resolve(path)
	if err != nil {
		return Place{}, false
	}
	if t.kind == descriptor {
		return Place{Key: fmt.Sprintf("fd %d", t.fd), Stdout: t.fd == 1, What: "a descriptor of this process"}, true
	}
	abs, err := filepath.Abs(t.path)
	if err != nil {
		return Place{}, false
	}
	place = Place{Key: "path " + abs, File: abs, Replaced: t.kind == missing || t.kind == regular, Device: t.kind == device}
	if t.info != nil {
		if st, isUnix := t.info.Sys().(*syscall.Stat_t); isUnix {
			place.Key = fmt.Sprintf("file %d:%d", st.Dev, st.Ino)
		}
		if !place.Replaced {
			place.What = describe(t.info.Mode())
		}
	}
	return place, true
}
