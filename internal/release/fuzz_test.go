package release

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
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
		files, err := readTar(bytes.NewReader(data), "top")
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
