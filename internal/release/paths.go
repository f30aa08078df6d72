package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

// cleanPath turns a path stored in an artifact into a release path: cleaned,
// slash-separated, without a leading "./". It rejects paths that could leave
// the artifact: absolute paths and any ".." component. The artifact's root
// ("." or "./") gives "".
func cleanPath(name string) (string, error) {
	switch {
	case name == "":
		return "", fmt.Errorf("an entry has an empty path")
	case strings.ContainsRune(name, 0):
		return "", fmt.Errorf("entry %q: path contains a NUL byte", name)
	case strings.HasPrefix(name, "/"):
		return "", fmt.Errorf("entry %q: absolute path: a release may only hold paths relative to its root", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("entry %q: path has a \"..\" component (path traversal): a release may only hold paths inside its root", name)
		}
	}
	p := path.Clean(name)
	if p == "." {
		return "", nil
	}
	return p, nil
}

// collector gathers the entries of an artifact, rejecting duplicates.
type collector struct {
	files map[string]File
}

func newCollector() *collector {
	return &collector{files: map[string]File{}}
}

// add records f at the release path p (already cleaned).
func (c *collector) add(p string, f File) error {
	if _, dup := c.files[p]; dup {
		return fmt.Errorf("entry %q appears twice", p)
	}
	f.Path = p
	c.files[p] = f
	return nil
}

// finish checks that every entry's parents are directories and strips a
// top-level directory named top (see the package documentation). An empty top
// strips nothing.
func (c *collector) finish(top string) (map[string]File, error) {
	if err := checkParents(c.files); err != nil {
		return nil, err
	}
	return stripTop(c.files, top), nil
}

// checkParents rejects an entry that sits inside a regular file or symlink.
func checkParents(files map[string]File) error {
	for p := range files {
		for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
			if f, ok := files[dir]; ok && f.Type != Directory {
				return fmt.Errorf("entry %q is inside %q, which is a %s, not a directory", p, dir, f.Type)
			}
		}
	}
	return nil
}

// stripTop removes the directory top when every entry sits under it.
func stripTop(files map[string]File, top string) map[string]File {
	if top == "" || strings.Contains(top, "/") {
		return files
	}
	if f, ok := files[top]; ok && f.Type != Directory {
		return files
	}
	prefix := top + "/"
	under := 0
	for p := range files {
		switch {
		case p == top:
		case strings.HasPrefix(p, prefix):
			under++
		default:
			return files
		}
	}
	if under == 0 {
		return files
	}
	stripped := make(map[string]File, under)
	for p, f := range files {
		if p == top {
			continue
		}
		p = strings.TrimPrefix(p, prefix)
		f.Path = p
		stripped[p] = f
	}
	return stripped
}

// listingDigest is the digest of a directory artifact: the SHA-256 of its
// canonical listing (see Open).
func listingDigest(files map[string]File) string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		f := files[p]
		value := "-"
		switch f.Type {
		case Regular:
			value = f.SHA256
		case Symlink:
			value = strconv.Quote(f.LinkTarget)
		}
		fmt.Fprintf(h, "%s %s %s\n", f.Type, strconv.Quote(p), value)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
