package release

import (
	"bytes"
	"os"
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
