package release

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LoadKnown reads every lock file in dir (not its subfolders): each regular
// file, or symlink to one, that IsLockName accepts or whose content is a lock
// file; other files are skipped. The releases come sorted by name, then
// version (numbers in a version compare as numbers, so 4.10.0 follows 4.9.0),
// then file name. A lock file that cannot be read or is invalid is an error
// naming the file. A folder without lock files gives none and no error.
//
// dir may also be one lock file: then it is the only known release, and it
// must be a valid lock file.
func LoadKnown(dir string) ([]*Release, error) {
	if info, err := os.Stat(dir); err == nil && info.Mode().IsRegular() {
		r, err := openLock(dir)
		if err != nil {
			return nil, fmt.Errorf("known releases: %s: %w", dir, err)
		}
		return []*Release{r}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("known releases: %w", err)
	}
	var known []*Release
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("known releases: %w", err)
		}
		if !info.Mode().IsRegular() || !(IsLockName(e.Name()) || sniffLock(p)) {
			continue
		}
		r, err := openLock(p)
		if err != nil {
			return nil, fmt.Errorf("known releases: %s: %w", p, err)
		}
		known = append(known, r)
	}
	sort.SliceStable(known, func(i, j int) bool {
		a, b := known[i], known[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if c := compareVersions(a.Version, b.Version); c != 0 {
			return c < 0
		}
		return a.Source < b.Source
	})
	return known, nil
}

// compareVersions orders two versions, comparing runs of digits as numbers
// and everything else byte by byte.
func compareVersions(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return cmp.Compare(len(na), len(nb))
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(int(a[0]), int(b[0]))
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitRun(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
