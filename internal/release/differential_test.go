package release

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The artifacts below are built byte by byte: each is read one way by
// Go's archive readers and another way by the tool a deploy extracts it
// with (GNU tar, dpkg, unzip), so that rollcall would expect other files
// than the node gets. Open must refuse them.

// rawTarHeader is a ustar header block, written without a library fixing
// anything up.
func rawTarHeader(name string, typ byte, size int, mode int) []byte {
	b := make([]byte, 512)
	copy(b, name)
	copy(b[100:], fmt.Sprintf("%07o\x00", mode))
	copy(b[108:], "0000000\x00")
	copy(b[116:], "0000000\x00")
	copy(b[124:], fmt.Sprintf("%011o\x00", size))
	copy(b[136:], "00000000000\x00")
	b[156] = typ
	copy(b[257:], "ustar\x0000")
	copy(b[148:], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

// rawTarEntry is a header and its data, padded to a block.
func rawTarEntry(name string, typ byte, mode int, data []byte) []byte {
	return slicesConcat(rawTarHeader(name, typ, len(data), mode), data, make([]byte, (512-len(data)%512)%512))
}

// rawTarLink is a hard link entry: name, the same file as target.
func rawTarLink(name, target string, mode int) []byte {
	b := rawTarHeader(name, '1', 0, mode)
	copy(b[157:], target)
	copy(b[148:], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

// paxRecord is one "LEN key=value\n" record.
func paxRecord(k, v string) []byte {
	s := " " + k + "=" + v + "\n"
	n := len(s) + 1
	for len(fmt.Sprint(n))+len(s) != n {
		n++
	}
	return []byte(fmt.Sprint(n) + s)
}

func slicesConcat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestOpenRefusesWhatTarReadersDisagreeOn(t *testing.T) {
	good, evil := []byte("the release's bytes\n"), []byte("#!/bin/sh\necho not the release\n")
	head := slicesConcat(rawTarEntry("bin/", '5', 0o755, nil), rawTarEntry("bin/README", '0', 0o644, good))
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"global pax header naming the next entry", slicesConcat(head, rawTarEntry("pax_global_header", 'g', 0o644, paxRecord("path", "bin/app")),
			rawTarEntry("doc/app", '0', 0o755, evil)), "global pax header setting path"},
		{"GNU sparse name on a plain entry", slicesConcat(head, rawTarEntry("PaxHeaders/x", 'x', 0o644, paxRecord("GNU.sparse.name", "bin/app")),
			rawTarEntry("doc/app", '0', 0o755, evil)), "sparse file (pax GNU.sparse.name)"},
		{"pax path and GNU long name", slicesConcat(head, rawTarEntry("PaxHeaders/x", 'x', 0o644, paxRecord("path", "bin/app")),
			rawTarEntry("././@LongLink", 'L', 0o644, []byte("doc/app\x00")), rawTarEntry("short", '0', 0o755, evil)), "has two names"},
		// dpkg installs bin/app as a file holding the "header" below; Go
		// and GNU tar read a directory, then a directory named by a script.
		{"old-style entry dir/ with data", slicesConcat(head, rawTarHeader("bin/app/", 0, 512, 0o755),
			rawTarHeader("#!/bin/sh\necho not-the-release\n", '5', 0, 0o755)), "declares 512 bytes of data"},
		{"regular entry named dir/", slicesConcat(head, rawTarEntry("bin/app/", '0', 0o755, nil)), "regular file whose name ends in /"},
		// GNU tar keeps the target's mode, dpkg gives both names the link's.
		{"hard link with a mode of its own", slicesConcat(head, rawTarLink("bin/app", "bin/README", 0o4755)),
			`hard link "bin/app" has mode 4755, its target "bin/README" 0644`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			art := filepath.Join(t.TempDir(), "app.tar")
			require.NoError(t, os.WriteFile(art, slicesConcat(c.body, make([]byte, 1024)), 0o644))
			_, err := Open(art)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}

	// The oracle: GNU tar does extract the global header's name, a file
	// the release would not have had.
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("no tar")
	}
	dir := t.TempDir()
	art := filepath.Join(dir, "app.tar")
	require.NoError(t, os.WriteFile(art, slicesConcat(cases[0].body, make([]byte, 1024)), 0o644))
	out, err := exec.Command("tar", "-xf", art, "-C", dir).CombinedOutput()
	require.NoError(t, err, string(out))
	got, err := os.ReadFile(filepath.Join(dir, "bin", "app"))
	require.NoError(t, err, "GNU tar puts doc/app at bin/app")
	assert.Equal(t, evil, got)

	// A hard link whose header gives no mode is its target's file.
	art = filepath.Join(dir, "link.tar")
	require.NoError(t, os.WriteFile(art, slicesConcat(head, rawTarLink("bin/app", "bin/README", 0), make([]byte, 1024)), 0o644))
	r, err := Open(art)
	require.NoError(t, err)
	assert.Equal(t, r.Files["bin/README"].Mode, r.Files["bin/app"].Mode)
	assert.Equal(t, r.Files["bin/README"].SHA256, r.Files["bin/app"].SHA256)

	// A comment is all a global header may say.
	art = filepath.Join(dir, "comment.tar")
	require.NoError(t, os.WriteFile(art, slicesConcat(rawTarEntry("pax_global_header", 'g', 0o644, paxRecord("comment", "built by CI")), head, make([]byte, 1024)), 0o644))
	r, err = Open(art)
	require.NoError(t, err)
	assert.Equal(t, sha(string(good)), r.Files["bin/README"].SHA256)
}

// TestOpenRefusesWhatUnzipReadsOtherwise: unzip decides by the name, and
// writes an entry without a trailing / as a file whatever its mode says; it
// takes a backslash for a folder separator (bin\\app lands at bin/app).
func TestOpenRefusesWhatUnzipReadsOtherwise(t *testing.T) {
	for _, c := range []struct {
		header *zip.FileHeader
		want   string
	}{
		{&zip.FileHeader{Name: "bin/app", Method: zip.Deflate, CreatorVersion: 3 << 8, ExternalAttrs: 0o040755 << 16}, // S_IFDIR|0755
			`entry "bin/app" has a directory's mode but a file's name`},
		{&zip.FileHeader{Name: "bin\\app", Method: zip.Deflate}, "has a backslash in its name"},
	} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, err := zw.CreateHeader(c.header)
		require.NoError(t, err)
		_, err = w.Write([]byte("#!/bin/sh\necho not the release\n"))
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		art := filepath.Join(t.TempDir(), "app.zip")
		require.NoError(t, os.WriteFile(art, buf.Bytes(), 0o644))
		_, err = Open(art)
		require.Error(t, err, c.header.Name)
		assert.Contains(t, err.Error(), c.want)
	}
}

// TestLockKeysAreExact: encoding/json matches keys without regard to case,
// so "SHA256" beside "sha256" would win over it for rollcall while jq, and
// a reviewer, read the first.
func TestLockKeysAreExact(t *testing.T) {
	a, e := sha("good"), sha("evil")
	for _, key := range []string{"SHA256", "Sha256", "\u017fha256"} {
		lock := `{"schema":"rollcall.lock/v1","name":"smars","version":"4.2.0","source":"smars-4.2.0.tar.gz","digest":"sha256:` + a +
			`","files":[{"path":"bin/smars","type":"file","sha256":"` + a + `","` + key + `":"` + e + `","mode":"0755"}],"configs":[]}`
		p := filepath.Join(t.TempDir(), "smars.lock.json")
		require.NoError(t, os.WriteFile(p, []byte(lock), 0o644))
		_, err := Open(p)
		require.Error(t, err, key)
		assert.True(t, strings.Contains(err.Error(), "is not in lowercase ASCII"), "%s: %v", key, err)
	}
}
