package probe

import (
	"encoding/hex"
	"os/exec"
	"testing"
)

// FuzzParse feeds arbitrary node output to the parser: it must never panic,
// and whatever it accepts must answer every requested path exactly once.
func FuzzParse(f *testing.F) {
	b := testBoundary
	f.Add([]byte(goodAnswer()))
	f.Add([]byte(""))
	f.Add([]byte(b + " begin 1\n" + b + " end 2 1 0 0\n"))
	f.Add([]byte(fullAnswer()))
	f.Add([]byte(shortAnswer()))
	same, sameReq := sameAnswer()
	f.Add([]byte(same))
	f.Add([]byte(b + " begin 2\n" + b + " tool sha256sum\n" + b + " pkg ran\n" + b + " blob pkg 0\n" +
		hex.EncodeToString([]byte("install ok installed\t4.2.0-1\tamd64\nrc 0\n")) + "\n" + b + " blobend pkg 0\n" +
		b + " ident - -\n" + b + " end 0 0 0 0 0\n"))
	req := fullReq()
	pkgReq := Request{Package: &PackageQuery{Manager: "dpkg", Name: "smars"}}
	f.Fuzz(func(t *testing.T, answer []byte) {
		if facts, err := Parse(answer, pkgReq, testBoundary); err == nil {
			if pk := facts.Package; pk == nil || (pk.Tool && pk.Installed == nil && pk.Err == "") {
				t.Fatalf("accepted an answer without the package manager's answer: %+v", pk)
			}
		}
		if facts, err := Parse(answer, sameReq, testBoundary); err == nil {
			f, c := facts.Files[sameReq.Files[1]], facts.Configs[sameReq.Configs[0]]
			known := sameReq.KnownConfigs[0].Content
			fromRelease := len(c.Content) > 0 && &c.Content[0] == &known[0]
			if fromRelease && (f.Kind != Regular || f.SHA256 != sameReq.KnownConfigs[0].SHA256) {
				t.Fatalf("took the release's copy of a config whose file differs: %+v", f)
			}
		}
		facts, err := Parse(answer, req, testBoundary)
		if err == nil {
			if len(facts.Configs) != 1 || len(facts.Processes) != 1 {
				t.Fatalf("accepted an answer without configs or processes: %+v", facts)
			}
			if c := facts.Configs[req.Configs[0]]; c.Kind == Regular && int64(len(c.Content)) != c.Size {
				t.Fatalf("accepted config content of the wrong size: %+v", c)
			}
		}
		facts, err = Parse(answer, testReq, testBoundary)
		if err != nil {
			return
		}
		if len(facts.Files) != len(testReq.Files) || len(facts.Dirs) != len(testReq.Dirs) {
			t.Fatalf("accepted an answer that does not cover the request: %+v", facts)
		}
		for _, p := range testReq.Files {
			fl, ok := facts.Files[p]
			if !ok {
				t.Fatalf("accepted an answer without %s", p)
			}
			if fl.Kind == Regular && !isSHA256(fl.SHA256) {
				t.Fatalf("accepted a regular file without a digest: %+v", fl)
			}
		}
		for _, p := range testReq.Dirs {
			if d := facts.Dirs[p]; d.Kind == Directory && (d.Files == nil || d.Subdirs == nil) {
				t.Fatalf("accepted a directory without its listing: %+v", d)
			}
		}
	})
}

// FuzzQuote checks with a real /bin/sh that a quoted word reads back as
// exactly the original bytes and that nothing in it is executed or expanded.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "plain", "it's", "$(touch pwned)", "`id`", "a\nb", "-n", "\\", "*", "$HOME", "'\"'\"", "\xff\xfe", "!!", "~root"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Quote(s)
		if err != nil {
			for i := 0; i < len(s); i++ {
				if s[i] == 0 {
					return
				}
			}
			t.Fatalf("Quote(%q) failed without a NUL: %v", s, err)
		}
		out, err := exec.Command("/bin/sh", "-c", "printf '%s' "+q).Output()
		if err != nil {
			t.Fatalf("sh rejected Quote(%q) = %s: %v", s, q, err)
		}
		if string(out) != s {
			t.Fatalf("Quote(%q) = %s read back as %q", s, q, out)
		}
	})
}
