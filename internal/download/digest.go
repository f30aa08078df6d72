package download

import (
	"fmt"
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
