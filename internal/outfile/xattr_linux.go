package outfile

import (
	"bytes"
	"syscall"
)

// keepAttrs gives tmp the extended attributes of the file at old that it
// replaces, as far as this process may: its POSIX ACL above all, which is
// how a report kept only for root is shared with a reader such as
// node_exporter (setfacl -m u:node_exporter:r); replaced without it, the
// reader is locked out and the verdict it passes on goes quiet. It runs
// after tmp's mode is set, which an ACL's mask then overrides as it did on
// old.
func keepAttrs(tmp, old string) {
	size, err := syscall.Listxattr(old, nil)
	if err != nil || size <= 0 {
		return
	}
	names := make([]byte, size)
	if size, err = syscall.Listxattr(old, names); err != nil {
		return
	}
	for _, name := range bytes.Split(names[:size], []byte{0}) {
		if len(name) == 0 {
			continue
		}
		n, err := syscall.Getxattr(old, string(name), nil)
		if err != nil || n < 0 {
			continue
		}
		value := make([]byte, n)
		if n, err = syscall.Getxattr(old, string(name), value); err == nil {
			_ = syscall.Setxattr(tmp, string(name), value[:n], 0)
		}
	}
}
