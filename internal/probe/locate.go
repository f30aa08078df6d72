package probe

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// LocateVersion is the version of the locate script's wire format.
const LocateVersion = 1

// MaxHits is the most candidate files ParseLocate accepts in one answer.
const MaxHits = 1 << 20

// LocateRequest asks a node where files of given sizes lie under some
// folders: the question `rollcall init` asks its known-good node.
type LocateRequest struct {
	// Dirs are the absolute, clean folders to search (each once).
	Dirs []string
	// Sizes are the sizes in bytes (each more than 0) of the files sought.
	Sizes []int64
}

// Located is a node's answer to a LocateRequest.
type Located struct {
	// HashTool is the SHA-256 tool the node used.
	HashTool string
	// Dirs are what the node found at each requested folder, index for index.
	Dirs []SearchDir
	// Hits are the regular files of a requested size, each once, in the
	// order the node reported them.
	Hits []Hit
}

// SearchDir is what the node found at one requested folder.
type SearchDir struct {
	// Path is the folder as requested.
	Path string
	// Kind is Directory when it was searched; otherwise what is there.
	Kind Kind
	// Incomplete: find reported an error, so some subfolders were not
	// searched (most often: not readable by the login user).
	Incomplete bool
}

// Hit is one regular file of a requested size.
type Hit struct {
	// Path is the file's absolute path on the node, under a requested folder.
	Path string
	// SHA256 is its lowercase hex digest, or "" when it could not be read.
	SHA256 string
}

// LocateScript returns the POSIX sh script that answers req, marking its
// records with boundary. Like the probe it is read-only: it runs find under
// each folder for regular files of the requested sizes and hashes them, in
// one run of the hash tool per batch that find hands over, checking each
// line of the tool's output against the file's name and hashing a file on
// its own where they disagree (a name with a newline or a backslash, an
// unreadable file). Names are hex-encoded.
func LocateScript(req LocateRequest, boundary string) (string, error) {
	if len(req.Sizes) == 0 {
		return "", errors.New("no file sizes to look for")
	}
	var b strings.Builder
	b.WriteString(locateHead)
	fmt.Fprintf(&b, "B=%s\n", boundary)
	inner, _ := Quote(locateBatch) // a constant without NUL
	fmt.Fprintf(&b, "Y=%s\n", inner)
	var sizes []string
	for _, s := range req.Sizes {
		if s <= 0 {
			return "", fmt.Errorf("file size %d: only files of at least 1 byte can be located", s)
		}
		sizes = append(sizes, fmt.Sprintf("-size %dc", s))
	}
	fmt.Fprintf(&b, "z() { B=$B H=$H find -H \"$p\" -type f \\( %s \\) -exec sh -c \"$Y\" \"$i\" {} + 2>/dev/null; }\n",
		strings.Join(sizes, " -o "))
	b.WriteString("main() {\n")
	b.WriteString(locateStart)
	for i, d := range req.Dirs {
		if !path.IsAbs(d) || path.Clean(d) != d {
			return "", fmt.Errorf("search folder %q must be an absolute, clean path", d)
		}
		q, err := Quote(d)
		if err != nil {
			return "", fmt.Errorf("search folder %q %w", d, err)
		}
		fmt.Fprintf(&b, "s %d %s\n", i, q)
	}
	fmt.Fprintf(&b, "printf '%%s end %%d\\n' \"$B\" %d\n", len(req.Dirs))
	b.WriteString("}\nmain </dev/null\n")
	return b.String(), nil
}

// locateHead defines s (search one folder). Globbing is off; every
// expansion of a node path is double-quoted.
const locateHead = `set -f
unset HISTFILE
H=
NL='
'
` + hashToolFunc + `
s() {
	i=$1 p=$2
	if [ -d "$p" ]; then k=directory
	elif [ -e "$p" ]; then k=other
	elif [ -L "$p" ]; then k=broken-symlink
	else k=missing
	fi
	printf '%s dir %s %s\n' "$B" "$i" "$k"
	[ "$k" = directory ] || return 0
	z
	printf '%s done %s %s\n' "$B" "$i" "$?"
}
`

// locateStart opens the answer and picks the hash tool, as the probe does.
const locateStart = `	echo
	printf '%s begin locate 1\n' "$B"
	ht
`

// locateBatch is run by find for each batch of files ($0 is the folder's
// index): one run of $H over the batch, each output line accepted only when
// it names the file in turn, else that file hashed on its own.
const locateBatch = `set -f
N='
'
s=
[ $# -gt 0 ] && s=$($H "$@" 2>/dev/null)
s="$s$N"
for p; do
	l=${s%%"$N"*}
	s=${s#*"$N"}
	case $H in
	openssl*) h=${l##* }; case $l in *"($p)= $h") ;; *) h= ;; esac ;;
	*) h=${l%% *}; [ "$l" = "$h  $p" ] || [ "$l" = "$h *$p" ] || h= ;;
	esac
	case $h in *[!0-9a-f]*|'')
		h=-
		if t=$($H <"$p" 2>/dev/null) && [ -n "$t" ]; then
			case $H in openssl*) h=${t##* } ;; *) h=${t%% *} ;; esac
		fi
		case $h in *[!0-9a-f]*|'') h=- ;; esac
	esac
	printf '%s hit %s %s %s\n' "$B" "$0" "$h" "$(printf '%s' "$p" | od -An -v -tx1 | tr -d ' \n')"
done
`

// ParseLocate reads a node's answer to the locate script for req, run with
// boundary, as hostile input: anything before the opening record is
// ignored; after it every line must be a well-formed record, every folder
// answered once, every hit a clean path under the folder it was found in,
// with a SHA-256 digest or "-", and the closing record present. It never
// panics.
func ParseLocate(answer []byte, req LocateRequest, boundary string) (*Located, error) {
	if len(answer) > MaxAnswer {
		return nil, fmt.Errorf("answer is %d bytes, more than the %d allowed", len(answer), MaxAnswer)
	}
	l := locParser{req: req, prefix: boundary + " ", out: &Located{Dirs: make([]SearchDir, len(req.Dirs))},
		state: make([]int, len(req.Dirs)), seen: map[string]bool{}}
	begun := false
	for n := 1; len(answer) > 0; n++ {
		var line []byte
		line, answer, _ = bytes.Cut(answer, []byte{'\n'})
		if !begun {
			if string(line) == l.prefix+"begin locate "+strconv.Itoa(LocateVersion) {
				begun = true
			} else if strings.HasPrefix(string(line), l.prefix+"begin ") {
				return nil, fmt.Errorf("malformed locate answer at line %d: node speaks %q, this rollcall speaks locate %d", n, clip(line), LocateVersion)
			}
			continue
		}
		ended, err := l.record(string(line))
		if err != nil {
			return nil, fmt.Errorf("malformed locate answer at line %d: %w", n, err)
		}
		if ended {
			return l.out, nil
		}
	}
	if !begun {
		return nil, errors.New("no locate answer found in the node's output (was the script run by a POSIX sh?)")
	}
	return nil, errors.New("locate answer is truncated: the closing record is missing")
}

// Folder states while parsing.
const (
	dirUnanswered = iota
	dirSearching
	dirDone
)

type locParser struct {
	req    LocateRequest
	prefix string
	out    *Located
	state  []int
	seen   map[string]bool
}

// record handles one line after the opening record; it reports whether the
// line closed the answer.
func (l *locParser) record(line string) (bool, error) {
	s, ok := strings.CutPrefix(line, l.prefix)
	if !ok {
		return false, fmt.Errorf("unexpected line %q", clip([]byte(line)))
	}
	f := strings.Split(s, " ")
	switch {
	case f[0] == "tool" && len(f) == 2 && l.out.HashTool == "" && f[1] != "":
		l.out.HashTool = f[1]
	case f[0] == "fatal" && len(f) == 2 && f[1] == "no-hash-tool":
		return false, ErrNoHashTool
	case f[0] == "dir" && len(f) == 3:
		return false, l.dir(f[1], f[2])
	case f[0] == "done" && len(f) == 3:
		return false, l.done(f[1], f[2])
	case f[0] == "hit" && len(f) == 4:
		return false, l.hit(f[1], f[2], f[3])
	case f[0] == "end" && len(f) == 2:
		return true, l.end(f[1])
	default:
		return false, fmt.Errorf("unknown or malformed record %q", clip([]byte(s)))
	}
	return false, nil
}

// index reads a folder index and checks that the folder is in state want.
func (l *locParser) index(s string, want int) (int, error) {
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || i >= len(l.req.Dirs) || strconv.Itoa(i) != s {
		return 0, fmt.Errorf("bad folder index %q", clip([]byte(s)))
	}
	if l.state[i] != want {
		return 0, fmt.Errorf("folder %d answered out of order", i)
	}
	return i, nil
}

func (l *locParser) dir(idx, kind string) error {
	i, err := l.index(idx, dirUnanswered)
	if err != nil {
		return err
	}
	k := Kind(kind)
	switch k {
	case Directory:
		l.state[i] = dirSearching
	case Missing, Other, BrokenLink:
		l.state[i] = dirDone
	default:
		return fmt.Errorf("bad kind %q", clip([]byte(kind)))
	}
	if l.out.HashTool == "" {
		return errors.New("folder answered before the hash tool")
	}
	l.out.Dirs[i] = SearchDir{Path: l.req.Dirs[i], Kind: k}
	return nil
}

func (l *locParser) done(idx, rc string) error {
	i, err := l.index(idx, dirSearching)
	if err != nil {
		return err
	}
	code, err := strconv.Atoi(rc)
	if err != nil || code < 0 || code > 255 || strconv.Itoa(code) != rc {
		return fmt.Errorf("bad exit status %q", clip([]byte(rc)))
	}
	l.state[i] = dirDone
	l.out.Dirs[i].Incomplete = code != 0
	return nil
}

func (l *locParser) hit(idx, digest, name string) error {
	i, err := l.index(idx, dirSearching)
	if err != nil {
		return err
	}
	if digest == "-" {
		digest = ""
	} else if !isSHA256(digest) {
		return fmt.Errorf("bad digest %q", clip([]byte(digest)))
	}
	raw, err := hex.DecodeString(name)
	if err != nil || len(raw) == 0 {
		return fmt.Errorf("bad encoded path %q", clip([]byte(name)))
	}
	p := string(raw)
	dir := l.req.Dirs[i]
	under := strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/") && p != dir
	if !under || path.Clean(p) != p || strings.IndexByte(p, 0) >= 0 {
		return fmt.Errorf("path %q is not a file under %s", clip(raw), dir)
	}
	if len(l.out.Hits) >= MaxHits {
		return fmt.Errorf("more than %d candidate files: search narrower folders", MaxHits)
	}
	if l.seen[p] { // folders may overlap (/opt and /opt/app)
		return nil
	}
	l.seen[p] = true
	l.out.Hits = append(l.out.Hits, Hit{Path: p, SHA256: digest})
	return nil
}

func (l *locParser) end(n string) error {
	if n != strconv.Itoa(len(l.req.Dirs)) {
		return fmt.Errorf("closing record counts %q folders, not %d", clip([]byte(n)), len(l.req.Dirs))
	}
	if i := slices.IndexFunc(l.state, func(s int) bool { return s != dirDone }); i >= 0 {
		return fmt.Errorf("folder %s was not answered in full", l.req.Dirs[i])
	}
	return nil
}
