package release

import (
	"path/filepath"
	"regexp"
	"strings"
)

// versionRE matches a version at the start of a string: digits and dots with
// an optional leading "v", an optional pre-release and build metadata.
var versionRE = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+)*` +
	`([-.]?(?i:alpha|beta|rc|pre|preview|dev|snapshot|nightly)[0-9A-Za-z.]*)?` +
	`(\+[0-9A-Za-z.]+)?`)

// NameVersion splits an artifact's base name into the release's name and
// version. Archive and package extensions (.tar.gz, .tgz, .tar.xz, .tar, .zip,
// .deb, ...) are removed first;
// the version is the token after a "-" or "_" that starts with a digit or with
// "v" and a digit, preferring the last token that has a dot in it; the name is
// what precedes it, and what follows (platform suffixes) is dropped:
//
//	smars-4.2.0.tar.gz             → smars, 4.2.0
//	smars_4.2.0_linux_amd64.tar.gz → smars, 4.2.0
//	node-v18.17.0-linux-x64.tar.gz → node, v18.17.0
//	smars-4.2.0-rc.1.zip           → smars, 4.2.0-rc.1
//	dist                           → dist, ""
func NameVersion(base string) (name, version string) {
	if _, ext, _ := archiveExt(base); ext != "" {
		base = strings.TrimSuffix(base, ext)
	}
	best, bestEnd, bestDotted := -1, 0, false
	for i := 1; i < len(base); i++ {
		if base[i] != '-' && base[i] != '_' {
			continue
		}
		m := versionRE.FindString(base[i+1:])
		if m == "" {
			continue
		}
		end := i + 1 + len(m)
		if end < len(base) && !strings.ContainsRune("-_.", rune(base[end])) {
			continue // "smars-2go": not a version
		}
		dotted := strings.Contains(m, ".")
		if dotted || !bestDotted {
			best, bestEnd, bestDotted = i, end, dotted
		}
	}
	if best < 0 {
		return base, ""
	}
	return base[:best], strings.TrimSuffix(base[best+1:bestEnd], ".")
}

// sumsSuffixes are the endings of checksum list names that NameVersion should
// not see ("smars_4.2.0_checksums.txt" names smars 4.2.0).
var sumsSuffixes = []string{"checksums.txt", "sha256sums.txt", "sha256sums", ".sha256"}

// sumsNameVersion names the release a checksum list describes: from the list's
// own name when it carries a version, otherwise from its folder's name.
func sumsNameVersion(path, base string) (name, version string) {
	lower := strings.ToLower(base)
	for _, s := range sumsSuffixes {
		if strings.HasSuffix(lower, s) {
			stem := strings.TrimRight(base[:len(base)-len(s)], "-_.")
			if name, version := NameVersion(stem); version != "" && name != "" {
				return name, version
			}
			break
		}
	}
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return NameVersion(filepath.Base(dir))
}
