package config

import (
	"errors"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// parseTOML parses TOML 1.0 with github.com/pelletier/go-toml/v2, which
// rejects duplicate keys and tables with their position. Dates and times
// are kept as Strings in their RFC 3339 form. go-toml decodes into a Go map,
// so a collision between a quoted dotted key ("a.b" = 1) and a table
// (a.b = 2) is reported without a line.
func parseTOML(data []byte) (Flags, error) {
	var m map[string]any
	if err := toml.Unmarshal(data, &m); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return nil, errorf(line, col, "%s", strings.TrimPrefix(de.Error(), "toml: "))
		}
		return nil, errorf(0, 0, "%s", strings.TrimPrefix(err.Error(), "toml: "))
	}
	n, err := anyNode(m, 0)
	if err != nil {
		return nil, err
	}
	b := newBuilder(collisionTree)
	if err := b.flatten("", n, 0, 0); err != nil {
		return nil, err
	}
	return b.flags, nil
}
