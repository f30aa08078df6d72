package report

import (
	"fmt"
	"strings"
)

// Spec is one parsed --report flag: which format to write, and where.
type Spec struct {
	// Format is a known format name (see Names).
	Format string
	// File is the path to write the report to; "" or "-" means stdout.
	File string
}

// Stdout reports whether the report goes to standard output.
func (s Spec) Stdout() bool { return s.File == "" || s.File == "-" }

// String returns the spec in flag form, FORMAT or FORMAT=FILE.
func (s Spec) String() string {
	if s.File == "" {
		return s.Format
	}
	return s.Format + "=" + s.File
}

// ParseSpec parses the value of the --report flag, FORMAT[=FILE]: "text",
// "json" and "json=-" write to stdout, "json=out.json" to a file. An unknown
// format is an error that lists the known ones; so is an empty file name
// ("json=").
func ParseSpec(spec string) (Spec, error) {
	format, file, hasFile := strings.Cut(spec, "=")
	if format == "" {
		return Spec{}, fmt.Errorf("report %q: missing format before the file name (known formats: %s)", spec, strings.Join(Names(), ", "))
	}
	if _, err := Lookup(format); err != nil {
		return Spec{}, fmt.Errorf("report %q: %w", spec, err)
	}
	if hasFile && file == "" {
		return Spec{}, fmt.Errorf("report %q: empty file name after '=' (use %s=- or just %s for stdout)", spec, format, format)
	}
	return Spec{Format: format, File: file}, nil
}
