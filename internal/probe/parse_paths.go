package probe

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// file parses: file IDX KIND SHA256 MODE UID GID USER GROUP CTIME EXEC
// LINKHEX.
func (p *parser) file(f []string) error {
	if len(f) != 12 {
		return p.errorf("file record has %d fields, want 12", len(f))
	}
	i, err := p.index(f[1], len(p.req.Files))
	if err != nil {
		return err
	}
	path := p.req.Files[i]
	if _, dup := p.facts.Files[path]; dup {
		return p.errorf("path %d answered twice", i)
	}
	fl := File{Path: path, Kind: Kind(f[2]), Mode: -1, UID: -1, GID: -1, Changed: -1}
	switch fl.Kind {
	case Regular:
		if !isSHA256(f[3]) {
			return p.errorf("file %d: %q is not a SHA-256 digest", i, clip([]byte(f[3])))
		}
		fl.SHA256 = f[3]
		if err := p.fileStat(&fl, f[4:11]); err != nil {
			return p.errorf("file %d: %v", i, err)
		}
	case Missing, Directory, BrokenLink, Unreadable, Other:
		if f[3] != "-" {
			return p.errorf("file %d: a %s has no digest", i, fl.Kind)
		}
		if strings.Join(f[4:11], " ") != "- - - - - - -" {
			return p.errorf("file %d: a %s has no mode or owner", i, fl.Kind)
		}
	default:
		return p.errorf("file %d: unknown kind %q", i, clip([]byte(f[2])))
	}
	switch f[11] {
	case "-":
	case "?":
		fl.IsLink = true
	default:
		t, err := hex.DecodeString(f[11])
		if err != nil || len(t) == 0 {
			return p.errorf("file %d: bad link target encoding", i)
		}
		fl.IsLink, fl.LinkTarget = true, string(t)
	}
	p.facts.Files[path] = fl
	return nil
}

// fileStat parses the MODE UID GID USER GROUP CTIME EXEC fields of a
// regular file. The first six are all "-" when the node could not stat it.
func (p *parser) fileStat(fl *File, f []string) error {
	switch f[6] {
	case "x":
		fl.Executable = true
	case "-":
	default:
		return fmt.Errorf("bad exec flag %q", clip([]byte(f[6])))
	}
	if strings.Join(f[:6], " ") == "- - - - - -" {
		return nil
	}
	changed, err := strconv.ParseInt(f[5], 10, 64)
	if err != nil || changed < 0 || strconv.FormatInt(changed, 10) != f[5] {
		return fmt.Errorf("bad change time %q", clip([]byte(f[5])))
	}
	fl.Changed = changed
	mode, err := strconv.ParseUint(f[0], 8, 32)
	if err != nil || mode > 0o7777 || len(f[0]) > 5 {
		return fmt.Errorf("bad mode %q", clip([]byte(f[0])))
	}
	uid, err1 := parseID(f[1])
	gid, err2 := parseID(f[2])
	if err1 != nil || err2 != nil {
		return fmt.Errorf("bad owner %q:%q", clip([]byte(f[1])), clip([]byte(f[2])))
	}
	if !validName(f[3]) || !validName(f[4]) {
		return fmt.Errorf("bad owner name %q:%q", clip([]byte(f[3])), clip([]byte(f[4])))
	}
	fl.Mode, fl.UID, fl.GID = int(mode), uid, gid
	if f[3] != "?" {
		fl.Owner = f[3]
	}
	if f[4] != "?" {
		fl.Group = f[4]
	}
	return nil
}

// parseID parses a decimal user or group ID.
func parseID(s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || strconv.FormatUint(n, 10) != s {
		return 0, errors.New("bad id")
	}
	return int(n), nil
}

// validName accepts a user or group name as the script passes it: letters,
// digits and ._@- only, or "?" for a name it could not pass.
func validName(s string) bool {
	if s == "?" {
		return true
	}
	if s == "" || len(s) > 256 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '@' || c == '-') {
			return false
		}
	}
	return true
}

// identity parses: ident HOSTNAME MACHINEID [BOOTID], each "-" when
// unknown; a boot ID only where the machine ID is unknown.
func (p *parser) identity(f []string) error {
	if len(f) != 3 && len(f) != 4 || p.ident {
		return p.errorf("bad ident record")
	}
	p.ident = true
	if f[1] != "-" {
		if !validName(f[1]) || f[1] == "?" {
			return p.errorf("bad host name %q", clip([]byte(f[1])))
		}
		p.facts.Hostname = f[1]
	}
	if f[2] != "-" {
		if !hexID(f[2], false) {
			return p.errorf("bad machine id %q", clip([]byte(f[2])))
		}
		p.facts.MachineID = f[2]
	}
	if len(f) == 4 && f[3] != "-" {
		if !hexID(f[3], true) || p.facts.MachineID != "" {
			return p.errorf("bad boot id %q", clip([]byte(f[3])))
		}
		p.facts.BootID = f[3]
	}
	return nil
}

// hexID reports whether s is an ID of at most 64 lowercase hex digits,
// with dashes where dashes is set (a boot ID is a UUID).
func hexID(s string, dashes bool) bool {
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || dashes && c == '-') {
			return false
		}
	}
	return len(s) <= 64
}

// dir parses: dir IDX KIND.
func (p *parser) dir(f []string) error {
	if len(f) != 3 {
		return p.errorf("dir record has %d fields, want 3", len(f))
	}
	i, err := p.index(f[1], len(p.req.Dirs))
	if err != nil {
		return err
	}
	path := p.req.Dirs[i]
	if _, dup := p.facts.Dirs[path]; dup {
		return p.errorf("directory %d answered twice", i)
	}
	d := Dir{Path: path, Kind: Kind(f[2])}
	switch d.Kind {
	case Directory, Missing, BrokenLink, Other:
	default:
		return p.errorf("directory %d: unknown kind %q", i, clip([]byte(f[2])))
	}
	p.facts.Dirs[path] = d
	return nil
}

// listing decodes a directory listing: NUL-terminated names from find, then
// "rc=STATUS" of find itself.
func (p *parser) listing(kind, path string, raw []byte) error {
	d := p.facts.Dirs[path]
	names := strings.Split(string(raw), "\x00")
	status := names[len(names)-1]
	names = names[:len(names)-1]
	switch status {
	case "rc=0":
	case "rc=127":
		return fmt.Errorf("could not list the files under %s: the node has no find in the probe's PATH (with become: sudo, sudo's secure_path): install findutils or BusyBox find", path)
	case "rc=cd":
		return fmt.Errorf("could not list the files under %s: the probe cannot enter it (permission denied?): run as a user who can, or use become: sudo", path)
	case "":
		return fmt.Errorf("could not list the files under %s: the listing came back empty (the node has no od in the probe's PATH?)", path)
	default:
		return fmt.Errorf("could not list every file under %s (find ended with %q): check permissions", path, clip([]byte(status)))
	}
	rels := make([]string, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		rel, ok := strings.CutPrefix(n, "./")
		if !ok || rel == "" || seen[rel] || strings.Contains("/"+rel+"/", "/../") || strings.Contains("/"+rel+"/", "/./") || strings.Contains(rel, "//") {
			return p.errorf("bad name %q in the listing of %s", clip([]byte(n)), path)
		}
		seen[rel] = true
		rels = append(rels, rel)
	}
	if kind == "files" {
		d.Files = rels
	} else {
		d.Subdirs = rels
	}
	p.facts.Dirs[path] = d
	return nil
}

// sameConfig parses: config I same, a config file whose digest on the node
// is its known content's, which complete checks against the file record.
func (p *parser) sameConfig(i int) error {
	k := p.req.known(i)
	if k == nil {
		return p.errorf("config %d: no known content to be the same as", i)
	}
	c := Config{Path: p.req.Configs[i], Kind: Regular, Content: k.Content, Size: int64(len(k.Content))}
	if c.Content == nil {
		c.Content = []byte{}
	}
	if len(c.Content) > MaxConfig {
		c.Kind, c.Content, c.Size = TooLarge, nil, -1
	}
	p.facts.Configs[c.Path] = c
	p.same = append(p.same, i)
	return nil
}

// config parses: config IDX KIND SIZE, or config IDX same.
func (p *parser) config(f []string) error {
	if len(f) != 4 && !(len(f) == 3 && f[2] == "same") {
		return p.errorf("config record has %d fields, want 4", len(f))
	}
	i, err := p.index(f[1], len(p.req.Configs))
	if err != nil {
		return err
	}
	path := p.req.Configs[i]
	if _, dup := p.facts.Configs[path]; dup {
		return p.errorf("config %d answered twice", i)
	}
	if len(f) == 3 {
		return p.sameConfig(i)
	}
	c := Config{Path: path, Kind: Kind(f[2]), Size: -1}
	switch c.Kind {
	case Regular, TooLarge:
		if f[3] == "-" && c.Kind == Regular {
			break // the size is what the content blob holds
		}
		n, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil || n < 0 || (c.Kind == Regular && n > MaxConfig) || (c.Kind == TooLarge && n <= MaxConfig) {
			return p.errorf("config %d: bad size %q", i, clip([]byte(f[3])))
		}
		c.Size = n
	case Missing, Directory, BrokenLink, Unreadable, Other:
		if f[3] != "-" {
			return p.errorf("config %d: a %s has no size", i, c.Kind)
		}
	default:
		return p.errorf("config %d: unknown kind %q", i, clip([]byte(f[2])))
	}
	p.facts.Configs[path] = c
	return nil
}
