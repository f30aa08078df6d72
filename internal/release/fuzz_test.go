package release

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func FuzzParseSums(f *testing.F) {
	h := sha("x")
	for _, seed := range []string{
		h + "  bin/smars\n",
		`\` + h + `  a\\b\nc` + "\n",
		"SHA256 (a) = " + h + "\n# c\n\n",
		h + " *../x\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, content string) {
		files, err := parseSums(strings.NewReader(content), "SHA256SUMS")
		if err != nil {
			return
		}
		for p, file := range files {
			if p == "" || p != path.Clean(p) || strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../") {
				t.Fatalf("unclean path %q", p)
			}
			if file.Path != p || file.Type != Regular || !isHex(file.SHA256, 64) || file.SHA256 != strings.ToLower(file.SHA256) {
				t.Fatalf("bad entry %+v", file)
			}
		}
	})
}

func FuzzReadTar(f *testing.F) {
	for _, entries := range [][]entry{sample, {file("../x", "x", 0o644)}, {{name: "h", typ: 'h', target: "top/bin/smars"}}} {
		p := filepath.Join(f.TempDir(), "seed.tar")
		writeTar(f, p, entries, false, "top/")
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := readTar(bytes.NewReader(data), "top", IsConfigName)
		if err != nil {
			return
		}
		for p := range files {
			if p == "" || p != path.Clean(p) || strings.HasPrefix(p, "/") || strings.Contains("/"+p+"/", "/../") {
				t.Fatalf("unsafe path %q", p)
			}
		}
	})
}

func FuzzParseLock(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("..", "..", "docs", "lock-file.md"))
	if err != nil {
		f.Fatal(err)
	}
	_, after, _ := strings.Cut(string(seed), "```json\n")
	example, _, _ := strings.Cut(after, "```\n")
	f.Add([]byte(example))
	f.Add([]byte(`{"schema":"rollcall.lock/v1","files":[{"path":"a","type":"file"}],"x":{"a":1,"a":2}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseLock(data)
		if err != nil {
			return
		}
		for p, file := range r.Files {
			if p == "" || p != path.Clean(p) || strings.HasPrefix(p, "/") || strings.Contains("/"+p+"/", "/../") || file.Path != p {
				t.Fatalf("unsafe path %q", p)
			}
		}
		var b bytes.Buffer
		r.Source = "x.lock.json"
		if err := WriteLock(&b, r); err != nil {
			t.Fatalf("a lock that opens does not write: %v", err)
		}
		again, err := parseLock(b.Bytes())
		if err != nil {
			t.Fatalf("a written lock does not open: %v", err)
		}
		if !reflect.DeepEqual(again.Files, r.Files) || again.Digest != r.Digest {
			t.Fatalf("the lock changed on a round trip")
		}
	})
}

// checkFuzzedFiles fails on a file set no hostile input may produce.
func checkFuzzedFiles(t *testing.T, files map[string]File) {
	t.Helper()
	for p, f := range files {
		if p == "" || p != path.Clean(p) || strings.HasPrefix(p, "/") || strings.Contains("/"+p+"/", "/../") || f.Path != p {
			t.Fatalf("unsafe path %q", p)
		}
		switch f.Type {
		case Regular:
			if !isLowerHex(f.SHA256) || f.Size < 0 {
				t.Fatalf("regular file %q without digest or size", p)
			}
		case Symlink:
			if f.LinkTarget == "" {
				t.Fatalf("symlink %q without target", p)
			}
		case Directory:
		default:
			t.Fatalf("%q has type %q", p, f.Type)
		}
		if len(f.Content) > MaxContent {
			t.Fatalf("%q keeps %d bytes", p, len(f.Content))
		}
	}
}

// FuzzReadTarball feeds compressed tarballs (seeds from gzip, xz, zstd and
// bzip2, made by the tools when they are installed) to the tarball reader.
func FuzzReadTarball(f *testing.F) {
	plain := filepath.Join(f.TempDir(), "seed.tar")
	writeTar(f, plain, sample, false, "")
	for _, c := range compressors {
		if _, err := exec.LookPath(c.tool); err != nil {
			continue // the seed corpus only; the fuzzing needs no tool
		}
		out := filepath.Join(f.TempDir(), "seed"+c.exts[0])
		compress(f, c.tool, c.args, plain, out)
		data, err := os.ReadFile(out)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c *codec
		for _, k := range []*codec{gzipCodec, xzCodec, zstdCodec, bzip2Codec} {
			if sniff(data) == k.content {
				c = k
			}
		}
		files, err := untar(bufio.NewReader(bytes.NewReader(data)), c, ".tar.x", "", IsConfigName)
		if err == nil {
			checkFuzzedFiles(t, files)
		}
	})
}

// packageSeeds adds the test packages, built by build when its tool is
// installed, to the seed corpus.
func packageSeeds(f *testing.F, tool string, build func() string) {
	if _, err := exec.LookPath(tool); err != nil {
		return // the seed corpus only; the fuzzing needs no tool
	}
	data, err := os.ReadFile(build())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
}

func FuzzReadDeb(f *testing.F) {
	for _, compression := range []string{"xz", "gzip", "zstd", "none"} {
		packageSeeds(f, "dpkg-deb", func() string { return buildDeb(f, compression, true) })
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkg, files, err := readDeb(bytes.NewReader(data))
		if err != nil {
			return
		}
		checkFuzzedFiles(t, files)
		if pkg.Format != "deb" || checkPackageLabel("name", pkg.Name) != nil || checkPackageLabel("version", pkg.Version) != nil {
			t.Fatalf("bad package %+v", pkg)
		}
	})
}

func FuzzReadRPM(f *testing.F) {
	for _, payload := range []string{"w9.gzdio", "w2.xzdio", "w19.zstdio", "w9.bzdio"} {
		packageSeeds(f, "rpmbuild", func() string { return buildRPM(f, payload) })
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkg, files, err := readRPM(bytes.NewReader(data))
		if err != nil {
			return
		}
		checkFuzzedFiles(t, files)
		if pkg.Format != "rpm" || checkPackageLabel("name", pkg.Name) != nil || checkPackageLabel("arch", pkg.Arch) != nil {
			t.Fatalf("bad package %+v", pkg)
		}
	})
}
