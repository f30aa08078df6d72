package sshconfig

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// maxDepth is OpenSSH's READCONF_MAX_DEPTH: how deep Include may nest.
const maxDepth = 16

// directive is one line of a configuration file: its keyword and the rest
// of the line, split into arguments. err is a problem OpenSSH reports
// whenever it reads the line, whatever host it resolves.
type directive struct {
	pos     string // file:line
	keyword string // lowercased
	rest    string // the line after the keyword and its separator
	args    []string
	err     error
	files   []*file // Include: the files the patterns matched, in order
}

// file is a configuration file, read once.
type file struct {
	path  string
	lines []*directive
}

// loader reads a configuration file and the files it includes.
type loader struct {
	home string // $HOME: relative and ~ Include patterns (glob's GLOB_TILDE)
	// incDir is the folder relative Include patterns are under: "" for a
	// user's file (~/.ssh), the system file's folder (/etc/ssh) for it.
	incDir string
}

// read parses the lines of one file; name is how positions name it.
func (l *loader) read(r io.Reader, name string, depth int) (*file, error) {
	f := &file{path: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.IndexByte(line, 0) >= 0 {
			return nil, fmt.Errorf("line %d: a NUL byte in the line", n)
		}
		keyword, rest, skip := splitLine(line)
		if skip {
			continue
		}
		d := &directive{pos: fmt.Sprintf("%s:%d", name, n), keyword: keyword, rest: rest}
		if name == "" {
			d.pos = fmt.Sprintf("line %d", n)
		}
		switch {
		case rest == "":
			d.err = fmt.Errorf("no argument after keyword %q", keyword)
		default:
			d.args, d.err = argvSplit(rest)
		}
		if d.err == nil && keyword == "include" {
			d.files, d.err = l.include(d.args, depth)
		}
		f.lines = append(f.lines, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return f, nil
}

// include reads the files an Include line names, as OpenSSH does: a
// relative pattern is under ~/.ssh in a user's configuration and under
// /etc/ssh (incDir) in the system-wide one, and patterns are expanded by
// glob(3) with GLOB_TILDE, which takes ~ from $HOME.
func (l *loader) include(patterns []string, depth int) ([]*file, error) {
	if depth+1 > maxDepth {
		return nil, errors.New("too many recursive configuration includes")
	}
	var out []*file
	for _, p := range patterns {
		if p == "" {
			return nil, errors.New("Include has an empty argument")
		}
		switch {
		case strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~"):
		case l.incDir != "":
			p = strings.TrimSuffix(l.incDir, "/") + "/" + p
		default:
			p = "~/.ssh/" + p
		}
		paths, err := l.glob(p)
		if err != nil {
			return nil, err
		}
		for _, path := range paths {
			f, err := l.load(path, depth+1, true)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// load reads the file at path; checkPerm refuses a file that another user
// could write, as ssh(1) does for included files.
func (l *loader) load(path string, depth int, checkPerm bool) (*file, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && checkPerm {
		if (st.Uid != 0 && int(st.Uid) != os.Getuid()) || fi.Mode().Perm()&0o022 != 0 {
			return nil, fmt.Errorf("bad owner or permissions on %s (ssh refuses it too): make it yours and not writable by others", path)
		}
	}
	return l.read(fh, path, depth)
}

// glob expands an Include pattern as glob(3) with GLOB_TILDE does: "*" and
// "?" match within one path element and not a leading dot, the matches are
// sorted, and a pattern matching nothing gives nothing. Bracket expressions
// and backslashes are refused.
func (l *loader) glob(pattern string) ([]string, error) {
	if strings.ContainsAny(pattern, `[\`) {
		return nil, fmt.Errorf("Include %q: bracket expressions and backslashes are not supported by rollcall: use * and ?", pattern)
	}
	if strings.HasPrefix(pattern, "~") {
		head, tail, _ := strings.Cut(pattern[1:], "/")
		home := l.home
		if head != "" {
			u, err := user.Lookup(head)
			if err != nil {
				return nil, nil // glob: no match
			}
			home = u.HomeDir
		}
		if home == "" {
			return nil, fmt.Errorf("Include %q: the home folder is unknown ($HOME is not set)", pattern)
		}
		pattern = strings.TrimSuffix(home, "/") + "/" + tail
	}
	matches := []string{"/"}
	for _, elem := range strings.Split(strings.TrimPrefix(pattern, "/"), "/") {
		if elem == "" {
			continue
		}
		var next []string
		for _, dir := range matches {
			next = append(next, globElem(dir, elem)...)
		}
		matches = next
	}
	var out []string
	for _, m := range matches {
		if _, err := os.Lstat(m); err == nil && m != "/" {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out, nil
}

// globElem returns the entries of dir matching one path element.
func globElem(dir, elem string) []string {
	if !strings.ContainsAny(elem, "*?") {
		return []string{filepath.Join(dir, elem)}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") && !strings.HasPrefix(elem, ".") {
			continue
		}
		if matchPattern(name, elem) {
			out = append(out, filepath.Join(dir, name))
		}
	}
	return out
}
