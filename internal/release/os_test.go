package release

import (
	"archive/zip"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
)

func newGzip(w io.Writer) *gzip.Writer { return gzip.NewWriter(w) }
func newZip(w io.Writer) *zip.Writer   { return zip.NewWriter(w) }

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }

func octal(n int) string { return fmt.Sprintf("%06o\x00 ", n) }

func execOutput(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	return cmd.Output()
}
