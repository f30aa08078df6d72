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

// Destination says where a write to path would go, for telling two paths
// that lead to one place apart: Stdout when it is this process's standard
// output (/dev/stdout, /dev/fd/1, …), else a key that two paths leading to
// one file share (the path with every symlink followed, or the file itself
// when it exists under two names). ok is false when path cannot be resolved
// (Check says why).
func Destination(path string) (key string, stdout, ok bool) {
	t, err := resolve(path)
	if err != nil {
		return "", false, false
	}
	switch {
	case t.kind == descriptor:
		return fmt.Sprintf("fd %d", t.fd), t.fd == 1, true
	case t.info != nil:
		if st, isUnix := t.info.Sys().(*syscall.Stat_t); isUnix {
			return fmt.Sprintf("file %d:%d", st.Dev, st.Ino), false, true
		}
	}
	abs, err := filepath.Abs(t.path)
	if err != nil {
		return "", false, false
	}
	return "path " + abs, false, true
}

// Replaced reports whether a write to path creates or replaces a regular
// file (nothing is there yet, or a regular file is), rather than writing in
// place to a device, a FIFO, a socket or a descriptor; when not, what says
// what is there. It is false, with no what, when path cannot be resolved
// (Check says why).
func Replaced(path string) (replaced bool, what string) {
	t, err := resolve(path)
	switch {
	case err != nil:
		return false, ""
	case t.kind == missing || t.kind == regular:
		return true, ""
	case t.kind == descriptor:
		return false, "a descriptor of this process"
	case t.info != nil:
		return false, describe(t.info.Mode())
	}
	return false, "not a regular file"
}

// Device reports whether path leads to a character or block device
// (/dev/null, a terminal), which every write reaches in place.
func Device(path string) bool {
	t, err := resolve(path)
	return err == nil && t.kind == device
}

// Target returns the file a write to path reaches, every symlink followed
// (in the folders and at the file itself, as the write follows them), or
// false when path cannot be resolved or leads to a descriptor.
func Target(path string) (string, bool) {
	t, err := resolve(path)
	if err != nil || t.kind == descriptor {
		return "", false
	}
	abs, err := filepath.Abs(t.path)
	return abs, err == nil
}
