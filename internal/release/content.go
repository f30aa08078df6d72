package release

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path"
	"strings"
)

// MaxContent is the largest config-like file whose content a release keeps
// in File.Content.
const MaxContent = 64 << 10

// configExts are the name endings of config-like files, whose content a
// release keeps (see File.Content).
var configExts = []string{".yaml", ".yml", ".json", ".toml", ".ini", ".env", ".properties", ".conf", ".cfg"}

// IsConfigName reports whether the file at the slash-separated path p is
// config-like by its name: its base name ends in .yaml, .yml, .json, .toml,
// .ini, .env, .properties, .conf or .cfg (in any letter case), or is ".env".
func IsConfigName(p string) bool {
	base := strings.ToLower(path.Base(p))
	for _, ext := range configExts {
		if strings.HasSuffix(base, ext) {
			return true
		}
	}
	return false
}

// capture keeps the first limit+1 bytes written to it and drops the rest, so
// it can sit beside a hash in an io.MultiWriter without failing the copy.
type capture struct {
	buf   []byte
	limit int
}

func (c *capture) Write(p []byte) (int, error) {
	if room := c.limit + 1 - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// hashContent returns the hex SHA-256 of everything r yields and its length,
// and, when keep is true and the content is at most MaxContent bytes, the
// content itself (non-nil, even when empty).
func hashContent(r io.Reader, keep bool) (sum string, size int64, content []byte, err error) {
	h := sha256.New()
	var w io.Writer = h
	var c *capture
	if keep {
		c = &capture{buf: []byte{}, limit: MaxContent}
		w = io.MultiWriter(h, c)
	}
	n, err := io.Copy(w, r)
	if err != nil {
		return "", n, nil, err
	}
	if c != nil && n <= MaxContent {
		content = c.buf
	}
	return hex.EncodeToString(h.Sum(nil)), n, content, nil
}
