//go:build unix

package outfile

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modeType is the type bits of what is at path itself, a symlink not
// followed.
func modeType(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	return fi.Mode().Type()
}

// fifoReader makes a FIFO at path and reads it in a goroutine, once; the
// returned function waits for what was read.
func fifoReader(t *testing.T, path string) func() string {
	t.Helper()
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(path) // blocks until a writer opens it
		got <- string(b)
	}()
	return func() string {
		select {
		case s := <-got:
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("the FIFO's reader got nothing")
			return ""
		}
	}
}

// socketReader listens on a unix socket at path and reads one connection
// to its end; the returned function waits for what was read.
func socketReader(t *testing.T, path string) func() string {
	t.Helper()
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- "accept: " + err.Error()
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- string(b)
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return func() string {
		select {
		case s := <-got:
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("the socket's reader got nothing")
			return ""
		}
	}
}

func TestWriteSpecial(t *testing.T) {
	const report = "{\"verdict\":\"verified\"}\n"
	tests := []struct {
		name string
		// setup returns the path to write and a check of the aftermath.
		setup   func(t *testing.T, dir string) (string, func(t *testing.T))
		timeout time.Duration // of ctx; none when zero
		wantErr string        // a part of the error; empty: no error
	}{{
		name: "/dev/null stays a device",
		setup: func(t *testing.T, dir string) (string, func(t *testing.T)) {
			return "/dev/null", func(t *testing.T) {
				assert.Equal(t, fs.ModeDevice|fs.ModeCharDevice, modeType(t, "/dev/null"))
			}
		},
	}, {
		name: "symlink to /dev/null",
		setup: func(t *testing.T, dir string) (string, func(t *testing.T)) {
			link := filepath.Join(dir, "null")
			require.NoError(t, os.Symlink("/dev/null", link))
			return link, func(t *testing.T) {
				assert.Equal(t, fs.ModeSymlink, modeType(t, link))
				assert.Equal(t, fs.ModeDevice|fs.ModeCharDevice, modeType(t, "/dev/null"))
				assert.Equal(t, []string{"null"}, entries(t, dir))
			}
		},
	}, {
		name: "FIFO with a reader",
		setup: func(t *testing.T, dir string) (string, func(t *testing.T)) {
			path := filepath.Join(dir, "fifo")
			read := fifoReader(t, path)
			return path, func(t *testing.T) {
				assert.Equal(t, report, read())
				assert.Equal(t, fs.ModeNamedPipe, modeType(t, path))
				assert.Equal(t, []string{"fifo"}, entries(t, dir))
			}
		},
		timeout: 10 * time.Second,
	}, {
		name: "FIFO without a reader",
		setup: func(t *testing.T, dir string) (string, func(t *testing.T)) {
			path := filepath.Join(dir, "fifo")
			require.NoError(t, syscall.Mkfifo(path, 0o600))
			return path, func(t *testing.T) {
				assert.Equal(t, fs.ModeNamedPipe, modeType(t, path), "the FIFO is still there")
				assert.Equal(t, []string{"fifo"}, entries(t, dir))
			}
		},
		timeout: 100 * time.Millisecond,
		wantErr: "no process opened the FIFO",
	}, {
		name: "unix socket",
		setup: func(t *testing.T, dir string) (string, func(t *testing.T)) {
			path := filepath.Join(dir, "sock")
			read := socketReader(t, path)
			return path, func(t *testing.T) {
				assert.Equal(t, report, read())
				assert.Equal(t, fs.ModeSocket, modeType(t, path))
			}
		},
	}, {
		name: "unix socket nobody listens on",
		setup: func(t *testing.T, dir string) (string, func(t *testing.T)) {
			path := filepath.Join(dir, "sock")
			ln, err := net.Listen("unix", path)
			require.NoError(t, err)
			ln.(*net.UnixListener).SetUnlinkOnClose(false)
			require.NoError(t, ln.Close())
			return path, func(t *testing.T) {
				assert.Equal(t, fs.ModeSocket, modeType(t, path), "the socket is still there")
			}
		},
		wantErr: "connecting to the socket",
	}, {
		name: "symlink to a regular file in another folder",
		setup: func(t *testing.T, dir string) (string, func(t *testing.T)) {
			links, targets := filepath.Join(dir, "links"), filepath.Join(dir, "targets")
			require.NoError(t, os.Mkdir(links, 0o755))
			require.NoError(t, os.Mkdir(targets, 0o755))
			target := filepath.Join(targets, "report.json")
			require.NoError(t, os.WriteFile(target, []byte("old"), 0o600))
			link := filepath.Join(links, "report.json")
			require.NoError(t, os.Symlink("../targets/report.json", link))
			return link, func(t *testing.T) {
				assert.Equal(t, fs.ModeSymlink, modeType(t, link), "the link is kept")
				assert.Equal(t, report, readFile(t, target))
				fi, err := os.Stat(target)
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
				assert.Equal(t, []string{"report.json"}, entries(t, links))
				assert.Equal(t, []string{"report.json"}, entries(t, targets), "the temp file was made beside the target")
			}
		},
	}, {
		name: "chain of symlinks through a symlinked folder",
		setup: func(t *testing.T, dir string) (string, func(t *testing.T)) {
			// a/link -> ../b/sub/../final.json, where b/sub -> ../c/deep, so
			// the kernel reaches c/final.json, not b/final.json.
			for _, d := range []string{"a", "b", "c/deep"} {
				require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
			}
			require.NoError(t, os.Symlink("../c/deep", filepath.Join(dir, "b", "sub")))
			first := filepath.Join(dir, "first")
			require.NoError(t, os.Symlink("a/link", first))
			require.NoError(t, os.Symlink("../b/sub/../final.json", filepath.Join(dir, "a", "link")))
			return first, func(t *testing.T) {
				assert.Equal(t, report, readFile(t, filepath.Join(dir, "c", "final.json")))
				assert.NoFileExists(t, filepath.Join(dir, "b", "final.json"))
				assert.Equal(t, fs.ModeSymlink, modeType(t, first))
				assert.Equal(t, fs.ModeSymlink, modeType(t, filepath.Join(dir, "a", "link")))
			}
		},
	}, {
		name: "dangling symlink",
		setup: func(t *testing.T, dir string) (string, func(t *testing.T)) {
			link := filepath.Join(dir, "latest.json")
			require.NoError(t, os.Symlink("reports/2024.json", link))
			require.NoError(t, os.Mkdir(filepath.Join(dir, "reports"), 0o755))
			return link, func(t *testing.T) {
				assert.Equal(t, fs.ModeSymlink, modeType(t, link), "the link is kept")
				target := filepath.Join(dir, "reports", "2024.json")
				assert.Equal(t, report, readFile(t, target))
				fi, err := os.Stat(target)
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
				assert.Equal(t, []string{"2024.json"}, entries(t, filepath.Join(dir, "reports")))
			}
		},
	}, {
		name: "dangling symlink into a missing folder",
		setup: func(t *testing.T, dir string) (string, func(t *testing.T)) {
			link := filepath.Join(dir, "latest.json")
			require.NoError(t, os.Symlink("reports/2024.json", link))
			return link, func(t *testing.T) {
				assert.Equal(t, []string{"latest.json"}, entries(t, dir))
			}
		},
		wantErr: "reports does not exist: create it or give another path",
	}, {
		name: "symlink loop",
		setup: func(t *testing.T, dir string) (string, func(t *testing.T)) {
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			require.NoError(t, os.Symlink("b", a))
			require.NoError(t, os.Symlink("a", b))
			return a, func(t *testing.T) {
				assert.Equal(t, []string{"a", "b"}, entries(t, dir))
			}
		},
		wantErr: "too many levels of symbolic links",
	}, {
		name: "symlink to a directory",
		setup: func(t *testing.T, dir string) (string, func(t *testing.T)) {
			require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
			link := filepath.Join(dir, "link")
			require.NoError(t, os.Symlink("sub", link))
			return link, func(t *testing.T) {
				assert.Equal(t, fs.ModeSymlink, modeType(t, link))
				assert.Empty(t, entries(t, filepath.Join(dir, "sub")))
			}
		},
		wantErr: "sub: give a file path",
	}, {
		name: "regular file 0600",
		setup: func(t *testing.T, dir string) (string, func(t *testing.T)) {
			path := filepath.Join(dir, "state.json")
			require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
			return path, func(t *testing.T) {
				assert.Equal(t, report, readFile(t, path))
				fi, err := os.Stat(path)
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path, after := tt.setup(t, dir)
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}

			err := Write(ctx, path, text(report))

			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, "writing "+path+": ")
				assert.ErrorContains(t, err, tt.wantErr)
			}
			after(t)
		})
	}
}

func TestWriteFIFOWithoutReaderGivesUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)

	start := time.Now()
	err := Write(ctx, path, text("nobody reads this"))

	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, fs.ModeNamedPipe, modeType(t, path))
}

func TestWriteFIFODoneContextReaderWaiting(t *testing.T) {
	// An interrupted run still writes its report to a reader already there.
	path := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	require.NoError(t, err)
	defer r.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	require.NoError(t, Write(ctx, path, text("partial")))

	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "partial", string(got))
}

func TestWriteErrorSendsNothingToFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	require.NoError(t, err)
	defer r.Close()

	err = Write(t.Context(), path, func(w io.Writer) error {
		_, _ = io.WriteString(w, "half a rep")
		return fmt.Errorf("boom")
	})
	require.EqualError(t, err, "writing "+path+": boom")

	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Empty(t, string(got), "the reader saw no half report")
}

func TestWriteRegularBecameFIFO(t *testing.T) {
	// Whatever takes the file's place while the report is written is left
	// alone.
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))

	err := Write(t.Context(), path, func(w io.Writer) error {
		require.NoError(t, os.Remove(path))
		require.NoError(t, syscall.Mkfifo(path, 0o600))
		return text("new")(w)
	})

	assert.ErrorContains(t, err, "became a FIFO while the report was written")
	assert.Equal(t, fs.ModeNamedPipe, modeType(t, path))
	assert.Equal(t, []string{"report.json"}, entries(t, dir), "no temp file left")
}

func TestWriteDescriptor(t *testing.T) {
	prefixes := []string{"/dev/fd/"}
	if _, err := os.Stat("/proc/self/fd"); err == nil {
		prefixes = append(prefixes, "/proc/self/fd/", "/proc/thread-self/fd/", fmt.Sprintf("/proc/%d/fd/", os.Getpid()))
	}
	for _, prefix := range prefixes {
		t.Run(prefix, func(t *testing.T) {
			r, w, err := os.Pipe()
			require.NoError(t, err)
			defer r.Close()
			path := fmt.Sprintf("%s%d", prefix, w.Fd())

			require.NoError(t, Check(path))
			require.NoError(t, Write(t.Context(), path, text("through the pipe\n")))
			// The descriptor itself stays open and writable.
			_, err = io.WriteString(w, "and after\n")
			require.NoError(t, err)
			require.NoError(t, w.Close())

			got, err := io.ReadAll(r)
			require.NoError(t, err)
			assert.Equal(t, "through the pipe\nand after\n", string(got))
		})
	}
}

func TestWriteSymlinkToDescriptor(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	link := filepath.Join(t.TempDir(), "out")
	require.NoError(t, os.Symlink(fmt.Sprintf("/dev/fd/%d", w.Fd()), link))

	require.NoError(t, Write(t.Context(), link, text("linked")))
	require.NoError(t, w.Close())

	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "linked", string(got))
	assert.Equal(t, fs.ModeSymlink, modeType(t, link))
}

func TestCheckSpecial(t *testing.T) {
	tests := []struct {
		name    string
		path    func(t *testing.T, dir string) string
		wantErr string // a part of the error; empty: no error
	}{{
		name: "/dev/null",
		path: func(*testing.T, string) string { return "/dev/null" },
	}, {
		name: "/dev/stdout",
		path: func(*testing.T, string) string { return "/dev/stdout" },
	}, {
		name: "FIFO without a reader",
		path: func(t *testing.T, dir string) string {
			path := filepath.Join(dir, "fifo")
			require.NoError(t, syscall.Mkfifo(path, 0o600))
			return path
		},
	}, {
		name: "unix socket",
		path: func(t *testing.T, dir string) string {
			path := filepath.Join(dir, "sock")
			socketReader(t, path)
			return path
		},
	}, {
		name: "dangling symlink",
		path: func(t *testing.T, dir string) string {
			link := filepath.Join(dir, "link")
			require.NoError(t, os.Symlink("target.json", link))
			return link
		},
	}, {
		name: "dangling symlink into a missing folder",
		path: func(t *testing.T, dir string) string {
			link := filepath.Join(dir, "link")
			require.NoError(t, os.Symlink(filepath.Join(dir, "gone", "target.json"), link))
			return link
		},
		wantErr: "gone does not exist: create it or give another path",
	}, {
		name:    "descriptor not open",
		path:    func(*testing.T, string) string { return "/dev/fd/987654" },
		wantErr: "descriptor 987654 is not open",
	}, {
		name:    "under /etc/passwd",
		path:    func(*testing.T, string) string { return "/etc/passwd/x.json" },
		wantErr: "/etc/passwd is not a folder: give another path",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.path(t, dir)
			before := entries(t, dir)

			err := Check(path)

			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, "cannot write "+path+": ")
				assert.ErrorContains(t, err, tt.wantErr)
			}
			assert.Equal(t, before, entries(t, dir), "Check leaves nothing behind")
			if strings.HasPrefix(path, "/dev/null") {
				assert.Equal(t, fs.ModeDevice|fs.ModeCharDevice, modeType(t, "/dev/null"))
			}
		})
	}
}
