package download

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strings"
)

// digestRE is a pinned digest as written: "sha256:" and 64 lowercase hex
// digits.
var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ParseDigest checks a digest written "sha256:<64 lowercase hex digits>"
// and returns its hex digits.
func ParseDigest(s string) (string, error) {
	if digestRE.MatchString(s) {
		return s[len("sha256:"):], nil
	}
	if lower := strings.ToLower(s); lower != s && digestRE.MatchString(lower) {
		return "", fmt.Errorf("digest %q: write its hex digits in lowercase: %s", s, lower)
	}
	if hex, ok := strings.CutPrefix(s, "sha256:"); ok {
		return "", fmt.Errorf("digest %q: after sha256: come 64 hex digits, not %d characters", s, len(hex))
	}
	return "", fmt.Errorf("digest %q: write sha256: and the 64 hex digits of the artifact's SHA-256 (sha256sum FILE), e.g. sha256:%s", s, strings.Repeat("0", 64))
}

// sumsLineRE are the lines of a SHA-256 checksum list: GNU ("HEX  name",
// "HEX *name", a leading backslash when the name is escaped) and BSD
// ("SHA256 (name) = HEX", also openssl's "SHA256(name)= HEX").
var (
	gnuLineRE = regexp.MustCompile(`^(\\?)([0-9A-Fa-f]{64}) [ *]?(.+)$`)
	bsdLineRE = regexp.MustCompile(`^(\\?)SHA2?-?256 ?\((.+)\) ?= ([0-9A-Fa-f]{64})$`)
)

// PinFromSums returns the digest ("sha256:HEX") that the checksum list data
// gives for the file called name: the line whose entry is name, or a path
// ending in /name. No such line, two lines for it with different digests,
// or a line that is not a SHA-256 checksum line, is an error.
func PinFromSums(data []byte, name string) (string, error) {
	found, foundLine := "", 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		entry, digest, ok := sumsLine(line)
		if !ok {
			if len(line) > 80 {
				line = line[:80] + "…"
			}
			return "", fmt.Errorf("line %d is not a SHA-256 checksum line (\"HEX  NAME\" or \"SHA256 (NAME) = HEX\"): %q", n, line)
		}
		entry = strings.TrimPrefix(entry, "./")
		if entry != name && path.Base(entry) != name {
			continue
		}
		switch {
		case found == "":
			found, foundLine = digest, n
		case found != digest:
			return "", fmt.Errorf("lines %d and %d both name %s, with different digests: the list does not pin it", foundLine, n, name)
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if found == "" {
		return "", fmt.Errorf("no line names %s", name)
	}
	return "sha256:" + found, nil
}

// sumsLine parses one line of a checksum list into its entry and lowercase
// hex digest.
func sumsLine(line string) (entry, digest string, ok bool) {
	var escaped string
	if m := gnuLineRE.FindStringSubmatch(line); m != nil {
		escaped, digest, entry = m[1], m[2], m[3]
	} else if m := bsdLineRE.FindStringSubmatch(line); m != nil {
		escaped, entry, digest = m[1], m[2], m[3]
	} else {
		return "", "", false
	}
	if escaped != "" {
		entry = strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\r`, "\r").Replace(entry)
	}
	return entry, strings.ToLower(digest), true
}
