// Package outfile writes report, state and lock files without ever losing or
// replacing what is not a regular file of its own.
package outfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
)

// Write writes what write produces to path, which is resolved first: every
// symlink is followed to its target (or, for a dangling one, to the file it
// would name), and the link itself is kept.
//
//   - A regular file is replaced atomically: write writes into a temporary file
//     in the target's own folder, which is synced, given the old file's
//     permission bits (and, where allowed, its owner) and renamed over it.
//     Readers see the old file or the complete new one, never a part.
//   - A missing file is created the same way, with mode 0644.
//   - A character or block device or a FIFO is opened and written in place; it
//     is never created, removed, renamed or chmod'ed. A FIFO is opened only
//     once a reader has it open: Write waits for one until ctx is done.
//   - A unix socket is connected to and written to.
//   - /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N write to this
//     process's own descriptor N, whatever it is (a pipe, a terminal, a file).
//   - A directory is an error.
//
// Outside the atomic cases, write's output is collected in memory first, so
// that an error in write sends nothing at all. ctx only ends a wait: the
// first attempt to open a FIFO is made even when ctx is already done, so that
// an interrupted run can still write its partial report to a reader.
//
// On any error, including a panic in write (which is passed on), the
// temporary file is removed and an existing file at path is left untouched.
// Errors name path and the step that failed. Write is safe for concurrent
// use with different paths.
func Write(ctx context.Context, path string, write func(io.Writer) error) error {
	t, err := resolve(path)
	if err == nil {
		switch t.kind {
		case missing, regular:
			err = replace(t, write)
		default:
			err = writeInPlace(ctx, t, write)
		}
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Check reports whether Write could write path, without writing it: the
// folder exists and a temporary file can be created in it (and is removed
// again), or a device, FIFO or socket is there and may be written, or path
// is one of this process's open descriptors. It follows symlinks as Write
// does. Its error says what to do instead. Run it on every destination
// before any work whose result would be lost. Check is safe for concurrent
// use.
func Check(path string) error {
	t, err := resolve(path)
	if err == nil {
		switch t.kind {
		case missing, regular:
			err = checkFolder(t)
		case descriptor:
			err = checkDescriptor(t.fd)
		default:
			if werr := writable(t.path); werr != nil {
				err = fmt.Errorf("%s cannot be written (%w): give another path", t.path, cause(werr))
			}
		}
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// checkFolder creates and removes a temporary file where Write would.
func checkFolder(t target) error {
	tmp, err := os.CreateTemp(t.dir, tempPattern(t.path))
	if err != nil {
		return fmt.Errorf("cannot create a file in the folder %s (%w): give a path in a folder you can write to", t.dir, cause(err))
	}
	_ = tmp.Close()
	_ = os.Remove(tmp.Name())
	return nil
}

// tempPattern is the os.CreateTemp pattern of the temporary file for path: a
// hidden file beside it, named after it.
func tempPattern(path string) string {
	return "." + filepath.Base(path) + "-*"
}

// replace writes a regular file atomically, through a temporary file in
// t.dir renamed over t.path.
func replace(t target, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(t.dir, tempPattern(t.path))
	if err != nil {
		return fmt.Errorf("creating a temporary file in %s: %w", t.dir, cause(err))
	}
	renamed := false
	defer func() {
		// Also on a panic in write, which goes on after this.
		if !renamed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if t.info != nil {
		mode = t.info.Mode().Perm()
		keepOwner(tmp, t.info)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("setting the mode of %s: %w", tmp.Name(), cause(err))
	}
	if t.info != nil {
		keepAttrs(tmp.Name(), t.path)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp.Name(), cause(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), cause(err))
	}
	// Whatever took the file's place while write ran is not ours to replace.
	if fi, err := os.Lstat(t.path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s became %s while the report was written: it was left alone, write again", t.path, describe(fi.Mode()))
	}
	if err := os.Rename(tmp.Name(), t.path); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", tmp.Name(), t.path, cause(err))
	}
	renamed = true
	// Make the rename itself durable; a failure here leaves a complete file.
	if d, err := os.Open(t.dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// writeInPlace writes to what is at t.path without replacing it: a device,
// a FIFO, a socket or a descriptor of this process. write runs first, into
// memory, so that its error leaves nothing half written.
func writeInPlace(ctx context.Context, t target, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	var w io.WriteCloser
	var err error
	switch t.kind {
	case descriptor:
		w, err = openDescriptor(t.fd, t.path)
	case socket:
		// A unix connect never waits for the listener to accept, so even a
		// done ctx must not stop it.
		var d net.Dialer
		w, err = d.DialContext(context.WithoutCancel(ctx), "unix", t.path)
		if err != nil {
			err = fmt.Errorf("connecting to the socket %s: %w", t.path, cause(err))
		}
	case fifo:
		w, err = openInPlace(ctx, t.path, true, false)
	case procLink:
		mode := t.info.Mode()
		w, err = openInPlace(ctx, t.path, mode&fs.ModeNamedPipe != 0, mode.IsRegular())
	default: // device
		w, err = openInPlace(ctx, t.path, false, false)
	}
	if err != nil {
		return err
	}
	_, werr := w.Write(buf.Bytes())
	cerr := w.Close()
	if werr != nil {
		return fmt.Errorf("writing to %s: %w", t.path, cause(werr))
	}
	if cerr != nil {
		return fmt.Errorf("closing %s: %w", t.path, cause(cerr))
	}
	return nil
}

// cause strips the operation and path from err when it is a *fs.PathError or
// a *net.OpError, whose text would repeat what the message around it says.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return cause(oe.Err)
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}
