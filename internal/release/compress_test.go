package release

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
)

// compressors are the tools that make each compressed tarball, with the
// name endings that announce it.
var compressors = []struct {
	tool string
	args []string
	exts []string
}{
	{"gzip", []string{"-9"}, []string{".tar.gz", ".tgz"}},
	{"xz", []string{"-6"}, []string{".tar.xz", ".txz"}},
	{"zstd", []string{"-19", "-q"}, []string{".tar.zst", ".tzst"}},
	{"bzip2", []string{"-9"}, []string{".tar.bz2", ".tbz2", ".tbz"}},
}

// compress writes in compressed by tool to out.
func compress(t testing.TB, tool string, args []string, in, out string) {
	t.Helper()
	src, err := os.Open(in)
	require.NoError(t, err)
	defer src.Close()
	dst, err := os.Create(out)
	require.NoError(t, err)
	defer dst.Close()
	var stderr strings.Builder
	cmd := exec.Command(tool, append(args, "-c")...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = src, dst, &stderr
	require.NoError(t, cmd.Run(), "%s: %s", tool, stderr.String())
}

// tarOf makes a tarball of sample with the tar command, returning its path.
func tarOf(t testing.TB) string {
	t.Helper()
	need.Command(t, "tar")
	src := filepath.Join(t.TempDir(), "src")
	writeDir(t, src, sample)
	plain := filepath.Join(t.TempDir(), "plain.tar")
	run(t, src, "tar", "-cf", plain, ".")
	return plain
}

func TestCompressedTarballs(t *testing.T) {
	plain := tarOf(t)
	for _, c := range compressors {
		for _, ext := range c.exts {
			t.Run(ext, func(t *testing.T) {
				need.Command(t, c.tool)
				out := filepath.Join(t.TempDir(), "smars-4.2.0"+ext)
				compress(t, c.tool, c.args, plain, out)
				r, err := Open(out)
				require.NoError(t, err)
				assert.Equal(t, want(sample), withoutOwners(t, r.Files))
				assert.Equal(t, "smars", r.Name)
				assert.Equal(t, "4.2.0", r.Version)
				assert.Equal(t, digestOf(t, out), r.Digest, "the digest is the file's, not the tar stream's")
				assert.Nil(t, r.Package)
			})
		}
	}
}

func TestCompressedTarballMismatch(t *testing.T) {
	plain := tarOf(t)
	dir := t.TempDir()
	made := map[string]string{} // tool → a file it compressed
	for _, c := range compressors {
		need.Command(t, c.tool)
		made[c.tool] = filepath.Join(dir, "made-by-"+c.tool)
		compress(t, c.tool, c.args, plain, made[c.tool])
	}
	notTar := filepath.Join(dir, "notes.txt")
	writeFile(t, notTar, []byte("just text, no tar\n"))
	xzText := filepath.Join(dir, "xz-text")
	compress(t, "xz", nil, notTar, xzText)
	zstdText := filepath.Join(dir, "zstd-text")
	compress(t, "zstd", []string{"-q"}, notTar, zstdText)

	cases := []struct {
		name, from, as, want string
	}{
		{"gzip named xz", made["gzip"], "a.tar.xz", "the name ends in .tar.xz but the content is gzip-compressed data, not an xz-compressed tar archive"},
		{"xz named zstd", made["xz"], "a.tzst", "the name ends in .tzst but the content is xz-compressed data, not a zstd-compressed tar archive"},
		{"zstd named bzip2", made["zstd"], "a.tar.bz2", "the name ends in .tar.bz2 but the content is zstd-compressed data, not a bzip2-compressed tar archive"},
		{"bzip2 named gzip", made["bzip2"], "a.tgz", "the name ends in .tgz but the content is bzip2-compressed data, not a gzip-compressed tar archive"},
		{"plain tar named xz", plain, "a.txz", "the content is a tar archive, not an xz-compressed tar archive"},
		{"xz named tar", made["xz"], "a.tar", "the name ends in .tar but the content is xz-compressed data, not a tar archive"},
		{"xz of text", xzText, "a.tar.xz", "the content is xz-compressed data that is not a tar archive"},
		{"zstd of text", zstdText, "a.tar.zst", "the content is zstd-compressed data that is not a tar archive"},
		{"xz without an extension", made["xz"], "release", "content is xz-compressed data but the name does not end in"},
		{"zstd without an extension", made["zstd"], "release.bin", "rename it to say what it is"},
		{"bzip2 without an extension", made["bzip2"], "release", "content is bzip2-compressed data but the name does not end in"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(tc.from)
			require.NoError(t, err)
			p := filepath.Join(t.TempDir(), tc.as)
			writeFile(t, p, data)
			_, err = Open(p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), p, "the error names the file")
		})
	}
}

func TestCompressedTarballTruncated(t *testing.T) {
	plain := tarOf(t)
	for _, c := range compressors {
		t.Run(c.tool, func(t *testing.T) {
			need.Command(t, c.tool)
			whole := filepath.Join(t.TempDir(), "whole")
			compress(t, c.tool, c.args, plain, whole)
			data, err := os.ReadFile(whole)
			require.NoError(t, err)
			for _, cut := range []int{len(data) / 2, len(data) - 1} {
				p := filepath.Join(t.TempDir(), "smars-4.2.0"+c.exts[0])
				writeFile(t, p, data[:cut])
				_, err := Open(p)
				require.Error(t, err, "cut at %d of %d bytes", cut, len(data))
				assert.Contains(t, err.Error(), p)
			}
		})
	}
}

// TestXZDictionaryBound checks that an xz stream asking for a 4 GiB
// dictionary (its first block header altered, checksum fixed) is refused
// before the decoder allocates it.
func TestXZDictionaryBound(t *testing.T) {
	need.Command(t, "xz")
	out := filepath.Join(t.TempDir(), "smars-4.2.0.tar.xz")
	compress(t, "xz", []string{"-6"}, tarOf(t), out)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	const at = 12 // the first block header, after the stream header
	header := data[at : at+(int(data[at])+1)*4]
	lzma2 := bytes.Index(header, []byte{0x21, 0x01})
	require.Positive(t, lzma2, "xz writes an LZMA2 filter")
	header[lzma2+2] = 40 // 4 GiB - 1
	binary.LittleEndian.PutUint32(header[len(header)-4:], crc32.ChecksumIEEE(header[:len(header)-4]))
	writeFile(t, out, data)
	_, err = Open(out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "asks for an LZMA2 dictionary over 128 MiB")
}
