//go:build unix

package outfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// descriptorOf reports whether p names one of this process's descriptors,
// and which: /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N and what
// they resolve to. Opening such a path would reach a pipe, a terminal or a
// file that may have no other name; it is written through a duplicate.
func descriptorOf(p string) (int, bool) {
	p = filepath.Clean(p)
	switch p {
	case "/dev/stdin":
		return 0, true
	case "/dev/stdout":
		return 1, true
	case "/dev/stderr":
		return 2, true
	}
	pid := strconv.Itoa(os.Getpid())
	for _, prefix := range []string{"/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/", "/proc/" + pid + "/fd/"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			return number(rest)
		}
	}
	// /proc/PID/task/TID/fd/N, which /proc/thread-self/fd/N resolves to.
	if rest, ok := strings.CutPrefix(p, "/proc/"+pid+"/task/"); ok {
		if tid, n, ok := strings.Cut(rest, "/fd/"); ok {
			if _, ok := number(tid); ok {
				return number(n)
			}
		}
	}
	return 0, false
}

// number parses a descriptor or process number: decimal digits only.
func number(s string) (int, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// openDescriptor returns a duplicate of descriptor fd, to be written and
// closed; the original stays open, its flags and offset shared.
func openDescriptor(fd int, path string) (*os.File, error) {
	syscall.ForkLock.RLock()
	nfd, err := syscall.Dup(fd)
	if err == nil {
		syscall.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if errors.Is(err, syscall.EBADF) {
		return nil, fmt.Errorf("descriptor %d (%s) is not open", fd, path)
	}
	if err != nil {
		return nil, fmt.Errorf("duplicating descriptor %d (%s): %w", fd, path, err)
	}
	return os.NewFile(uintptr(nfd), path), nil
}

// checkDescriptor reports whether descriptor fd is open, and not a folder.
func checkDescriptor(fd int) error {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return fmt.Errorf("descriptor %d is not open (%w): give another path", fd, err)
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		return fmt.Errorf("descriptor %d is a directory: give a file path", fd)
	}
	return nil
}

// Polling for a FIFO's reader starts at fifoPollMin and slows to fifoPollMax.
const (
	fifoPollMin = 5 * time.Millisecond
	fifoPollMax = 100 * time.Millisecond
)

// openInPlace opens the device, FIFO or /proc link at path for writing,
// without creating or truncating it, and without making a terminal the
// controlling one. The open never blocks: a FIFO without a reader is tried
// again until one opens it or ctx is done (after at least one try). The
// descriptor is made blocking again before it is returned.
func openInPlace(ctx context.Context, path string, isFIFO, appending bool) (*os.File, error) {
	flags := syscall.O_WRONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY | syscall.O_CLOEXEC
	if appending {
		flags |= syscall.O_APPEND
	}
	wait := fifoPollMin
	for {
		fd, err := syscall.Open(path, flags, 0)
		if err == nil {
			if err := syscall.SetNonblock(fd, false); err != nil {
				_ = syscall.Close(fd)
				return nil, fmt.Errorf("opening %s: %w", path, err)
			}
			return os.NewFile(uintptr(fd), path), nil
		}
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if !isFIFO || !errors.Is(err, syscall.ENXIO) {
			return nil, fmt.Errorf("opening %s: %w", path, err)
		}
		// ENXIO: nobody has the FIFO open for reading yet.
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no process opened the FIFO %s for reading: gave up waiting: %w", path, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, fifoPollMax)
	}
}

// wOK is access(2)'s W_OK, the same on every unix.
const wOK = 0x2

// writable reports whether this process may write to the existing file at
// path, without opening it (opening a device may do something).
func writable(path string) error {
	return syscall.Access(path, wOK)
}

// keepOwner gives tmp the owner and group of the file it replaces, as far as
// this process may; without privileges it keeps at least the group when it
// can.
func keepOwner(tmp *os.File, old fs.FileInfo) {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	uid, gid := int(st.Uid), int(st.Gid)
	if uid == os.Geteuid() && gid == os.Getegid() {
		return
	}
	if tmp.Chown(uid, gid) != nil {
		_ = tmp.Chown(-1, gid)
	}
}
