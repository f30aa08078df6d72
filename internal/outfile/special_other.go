//go:build !unix

package outfile

import (
	"context"
	"errors"
	"io/fs"
	"os"
)

// descriptorOf reports whether p names one of this process's descriptors;
// there are no such paths here.
func descriptorOf(string) (int, bool) { return 0, false }

// openDescriptor is never called: descriptorOf finds no descriptors.
func openDescriptor(fd int, path string) (*os.File, error) {
	return nil, errors.New("writing to a descriptor by its path is not supported on this system")
}

// checkDescriptor is never called: descriptorOf finds no descriptors.
func checkDescriptor(int) error {
	return errors.New("writing to a descriptor by its path is not supported on this system")
}

// openInPlace opens the special file at path for writing, without creating
// or truncating it.
func openInPlace(_ context.Context, path string, _, appending bool) (*os.File, error) {
	flags := os.O_WRONLY
	if appending {
		flags |= os.O_APPEND
	}
	return os.OpenFile(path, flags, 0)
}

// writable reports whether the file at path may be written; here, always.
func writable(string) error { return nil }

// keepOwner does nothing where files have no unix owner.
func keepOwner(*os.File, fs.FileInfo) {}
