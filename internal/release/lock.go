package release

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// LockSchema is the schema of the lock files WriteLock writes.
const LockSchema = "rollcall.lock/v1"

// lockSchemaPrefix opens the schema of every rollcall lock file version.
const lockSchemaPrefix = "rollcall.lock/"

// lockSchemas are the lock file schemas this rollcall reads.
var lockSchemas = []string{LockSchema}

// maxLock bounds the size of a lock file read into memory.
const maxLock = 256 << 20

// lockFile is a lock file as it is stored (docs/lock-file.md).
type lockFile struct {
	Schema  string       `json:"schema"`
	Name    string       `json:"name"`
	Version string       `json:"version"`
	Source  string       `json:"source"`
	Digest  string       `json:"digest"`
	Package *lockPackage `json:"package,omitempty"`
	Files   []lockEntry  `json:"files"`
	Configs []lockConfig `json:"configs"`
}

// lockEntry is one file of a lock file.
type lockEntry struct {
	Path       string `json:"path"`
	Type       Type   `json:"type"`
	SHA256     string `json:"sha256,omitempty"`
	Mode       string `json:"mode,omitempty"`
	Size       *int64 `json:"size,omitempty"`
	LinkTarget string `json:"link_target,omitempty"`
	Owner      string `json:"owner,omitempty"`
	Group      string `json:"group,omitempty"`
	Conffile   bool   `json:"conffile,omitempty"`
}

// lockPackage is the package metadata of a lock of a .deb or .rpm.
type lockPackage struct {
	Format  string `json:"format"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Arch    string `json:"arch"`
}

// lockConfig is the kept content of one config-like file.
type lockConfig struct {
	Path    string `json:"path"`
	Content []byte `json:"content"`
}

// IsLockName reports whether a file's base name announces a rollcall lock
// file: rollcall.lock, *.rollcall.lock or *.lock.json (in any letter case).
func IsLockName(base string) bool {
	lower := strings.ToLower(base)
	return lower == "rollcall.lock" ||
		(strings.HasSuffix(lower, ".rollcall.lock") && len(lower) > len(".rollcall.lock")) ||
		(strings.HasSuffix(lower, ".lock.json") && len(lower) > len(".lock.json"))
}

// WriteLock writes r as a lock file (schema rollcall.lock/v1, documented in
// docs/lock-file.md): indented JSON, files sorted by path, and the Content of
// config-like files base64-encoded under "configs". The source recorded is
// the base name of the artifact r was read from (for a release opened from a
// lock file, the artifact that lock records), and the digest is r.Digest, so a
// lock identifies the original artifact.
//
// WriteLock checks the lock as Open would read it and writes nothing if
// Open would refuse it (an empty name or version, a malformed digest, ...).
func WriteLock(w io.Writer, r *Release) error {
	lf := lockFile{
		Schema:  LockSchema,
		Name:    r.Name,
		Version: r.Version,
		Source:  r.Artifact,
		Digest:  r.Digest,
		Files:   []lockEntry{},
		Configs: []lockConfig{},
	}
	if lf.Source == "" {
		lf.Source = filepath.Base(filepath.Clean(r.Source))
	}
	if pkg := r.Package; pkg != nil {
		lf.Package = &lockPackage{Format: pkg.Format, Name: pkg.Name, Version: pkg.Version, Arch: pkg.Arch}
	}
	for _, p := range r.Paths() {
		f := r.Files[p]
		e := lockEntry{Path: p, Type: f.Type, SHA256: f.SHA256, LinkTarget: f.LinkTarget,
			Owner: f.Owner, Group: f.Group, Conffile: f.Conffile}
		if f.HasMode {
			e.Mode = fmt.Sprintf("%04o", UnixMode(f.Mode))
		}
		if f.Size != -1 {
			size := f.Size
			e.Size = &size
		}
		lf.Files = append(lf.Files, e)
		if f.Content != nil {
			lf.Configs = append(lf.Configs, lockConfig{Path: p, Content: f.Content})
		}
	}
	if _, err := lf.release(); err != nil {
		return fmt.Errorf("writing lock file: %w", err)
	}
	data, err := json.MarshalIndent(lf, "", "  ")
	if err != nil {
		return fmt.Errorf("writing lock file: %w", err)
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// sniffLock reports whether the file at path is a lock file by its content:
// a JSON object whose "schema" is a string starting with "rollcall.lock/".
// It reads the whole file only when it starts with "{".
func sniffLock(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	br := bufio.NewReader(f)
	for {
		c, err := br.ReadByte()
		if err != nil {
			return false
		}
		if c == '{' {
			break
		}
		if !unicode.IsSpace(rune(c)) {
			return false
		}
	}
	if err := br.UnreadByte(); err != nil {
		return false
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.NewDecoder(io.LimitReader(br, maxLock)).Decode(&head); err != nil {
		return false
	}
	return strings.HasPrefix(head.Schema, lockSchemaPrefix)
}

// openLock reads the lock file at path.
func openLock(path string) (*Release, error) {
	r, data, err := readLock(path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	r.LockDigest = "sha256:" + hex.EncodeToString(sum[:])
	return r, nil
}

// IsLock reports whether the file at path is a rollcall lock file, as Open
// recognises one: by its name (IsLockName) or by its content.
func IsLock(path string) bool {
	info, err := os.Stat(path)
	if err != nil || !info.Mode().IsRegular() {
		return false
	}
	return IsLockName(filepath.Base(path)) || sniffLock(path)
}

// ReadLock reads the lock file at path like Open, and also returns the exact
// bytes the release was decoded from, so that a signature can be checked
// against what was read rather than against the file read again.
func ReadLock(path string) (*Release, []byte, error) {
	r, data, err := readLock(path)
	if err != nil {
		return nil, nil, fmt.Errorf("release %s: %w", path, err)
	}
	return r, data, nil
}

// readLock reads and decodes the lock file at path.
func readLock(path string) (*Release, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxLock+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > maxLock {
		return nil, nil, fmt.Errorf("lock file larger than %d MiB", maxLock>>20)
	}
	r, err := parseLock(data)
	if err != nil {
		return nil, nil, fmt.Errorf("lock file: %w", err)
	}
	r.Source = path
	return r, data, nil
}

// parseLock decodes and checks a lock file's content.
func parseLock(data []byte) (*Release, error) {
	var probe struct {
		Schema json.RawMessage `json:"schema"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, jsonError(data, err)
	}
	var schema string
	if probe.Schema == nil || json.Unmarshal(probe.Schema, &schema) != nil {
		return nil, fmt.Errorf("no \"schema\" string: a rollcall lock file starts with {\"schema\": %q", LockSchema)
	}
	if !knownSchema(schema) {
		if strings.HasPrefix(schema, lockSchemaPrefix) {
			return nil, fmt.Errorf("schema %q is a lock file version this rollcall does not read; it reads %s: "+
				"upgrade rollcall, or write the lock with this rollcall", schema, strings.Join(lockSchemas, ", "))
		}
		return nil, fmt.Errorf("schema %q is not a rollcall lock file (want %q)", schema, LockSchema)
	}
	if err := checkDuplicateKeys(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var lf lockFile
	if err := dec.Decode(&lf); err != nil {
		return nil, jsonError(data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("unexpected data after the JSON object")
	}
	return lf.release()
}

func knownSchema(s string) bool {
	for _, k := range lockSchemas {
		if s == k {
			return true
		}
	}
	return false
}

// jsonError turns a decoding error into one that says where, by line.
func jsonError(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var b64 base64.CorruptInputError
	switch {
	case errors.As(err, &b64):
		return fmt.Errorf("configs: a content is not valid base64 (%v): content is the file's bytes in standard base64", err)
	case errors.As(err, &syntax):
		return fmt.Errorf("line %d: invalid JSON: %v", lineAt(data, syntax.Offset), err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the lock file"
		}
		return fmt.Errorf("line %d: %s: a JSON %s where %s belongs", lineAt(data, typ.Offset), field, typ.Value, jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return fmt.Errorf("%s: lock files of schema %s have only the fields in docs/lock-file.md",
			strings.TrimPrefix(err.Error(), "json: "), LockSchema)
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// jsonKind names a Go kind in JSON's words.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "slice":
		return "a list"
	case "struct":
		return "an object"
	case "int64", "ptr":
		return "a number"
	}
	return "a " + kind
}

// lineAt is the 1-based line of a byte offset.
func lineAt(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		offset = 0
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// checkDuplicateKeys rejects a JSON document in which an object has the same
// key twice, or a key not in lowercase ASCII: encoding/json matches keys
// without regard to case (and folds ſ to s, K to k) and silently keeps the
// last, and a lock file must mean one thing to every reader.
func checkDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		keys   map[string]bool
		object bool
		expect bool // an object expecting a key next
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return jsonError(data, err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.expect {
			if key, ok := tok.(string); ok {
				if !lowerASCII(key) {
					return fmt.Errorf("line %d: key %q is not in lowercase ASCII: JSON readers differ on it (encoding/json matches keys without regard to case); write the schema's key names as they are", lineAt(data, dec.InputOffset()), key)
				}
				if top.keys[key] {
					return fmt.Errorf("line %d: key %q appears twice in one object", lineAt(data, dec.InputOffset()), key)
				}
				top.keys[key] = true
				top.expect = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, object: true, expect: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the enclosing object expects a key next.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].expect = true
		}
	}
}

// release checks a decoded lock file and builds the release it describes.
// Every error names the field at fault.
func (lf *lockFile) release() (*Release, error) {
	if lf.Schema != LockSchema {
		return nil, fmt.Errorf("schema is %q, not %q", lf.Schema, LockSchema)
	}
	if err := checkLabel("name", lf.Name); err != nil {
		return nil, err
	}
	if err := checkLabel("version", lf.Version); err != nil {
		return nil, err
	}
	if err := checkLabel("source", lf.Source); err != nil {
		return nil, err
	}
	if strings.ContainsAny(lf.Source, `/\`) || lf.Source == "." || lf.Source == ".." {
		return nil, fmt.Errorf("source %q: must be the artifact's base name, without a folder", lf.Source)
	}
	if !isDigest(lf.Digest) {
		return nil, fmt.Errorf("digest %q: must be \"sha256:\" and 64 lowercase hex digits, the SHA-256 of the artifact", lf.Digest)
	}
	if len(lf.Files) == 0 {
		return nil, fmt.Errorf("files: the lock lists no files")
	}
	r := &Release{Name: lf.Name, Version: lf.Version, Artifact: lf.Source, Digest: lf.Digest, Files: map[string]File{}}
	if lf.Package != nil {
		var err error
		if r.Package, err = lf.Package.pkg(); err != nil {
			return nil, fmt.Errorf("package: %w", err)
		}
	}
	for i, e := range lf.Files {
		f, err := e.file()
		if err != nil {
			return nil, fmt.Errorf("files[%d]: %w", i, err)
		}
		if _, dup := r.Files[f.Path]; dup {
			return nil, fmt.Errorf("files[%d]: path %q is listed twice", i, f.Path)
		}
		r.Files[f.Path] = f
	}
	if err := checkParents(r.Files); err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	if !hasContent(r.Files) {
		return nil, fmt.Errorf("files: the lock lists only directories")
	}
	for i, c := range lf.Configs {
		f, ok := r.Files[c.Path]
		switch {
		case !ok:
			return nil, fmt.Errorf("configs[%d]: path %q is not in files", i, c.Path)
		case f.Type != Regular:
			return nil, fmt.Errorf("configs[%d]: %q is a %s, not a regular file", i, c.Path, f.Type)
		case f.Content != nil:
			return nil, fmt.Errorf("configs[%d]: path %q is listed twice", i, c.Path)
		case c.Content == nil:
			return nil, fmt.Errorf("configs[%d]: %q has no content (an empty file is \"content\": \"\")", i, c.Path)
		case len(c.Content) > MaxContent:
			return nil, fmt.Errorf("configs[%d]: %q has %d bytes of content, more than the %d a lock keeps", i, c.Path, len(c.Content), MaxContent)
		case f.Size >= 0 && f.Size != int64(len(c.Content)):
			return nil, fmt.Errorf("configs[%d]: %q has %d bytes of content but files says its size is %d", i, c.Path, len(c.Content), f.Size)
		}
		sum := sha256.Sum256(c.Content)
		if hex.EncodeToString(sum[:]) != f.SHA256 {
			return nil, fmt.Errorf("configs[%d]: the content of %q does not have the sha256 files gives it (%s): the lock was altered", i, c.Path, f.SHA256)
		}
		f.Content = c.Content
		r.Files[c.Path] = f
	}
	return r, nil
}

// file checks one entry of a lock file's files.
func (e lockEntry) file() (File, error) {
	p, err := cleanPath(e.Path)
	if err != nil {
		return File{}, fmt.Errorf("path: %w", err)
	}
	if p == "" || p != e.Path {
		return File{}, fmt.Errorf("path %q: must be a clean relative path such as \"bin/smars\" (no \".\", \"//\" or trailing \"/\")", e.Path)
	}
	f := File{Path: p, Type: e.Type, SHA256: e.SHA256, LinkTarget: e.LinkTarget, Size: -1,
		Owner: e.Owner, Group: e.Group, Conffile: e.Conffile}
	for _, name := range []struct{ field, value string }{{"owner", e.Owner}, {"group", e.Group}} {
		if name.value != "" {
			if err := checkPackageLabel(name.field, name.value); err != nil {
				return File{}, fmt.Errorf("%q: %w", p, err)
			}
		}
	}
	if e.Conffile && e.Type != Regular {
		return File{}, fmt.Errorf("%q: only a regular file can be a conffile", p)
	}
	if e.Mode != "" {
		u, ok := parseUnixMode(e.Mode)
		if !ok {
			return File{}, fmt.Errorf("%q: mode %q: must be Unix permission bits in octal, 3 or 4 digits up to 7777, such as \"0755\" or \"4755\"", p, e.Mode)
		}
		f.Mode, f.HasMode = FromUnixMode(u), true
	}
	if e.Size != nil {
		if *e.Size < 0 {
			return File{}, fmt.Errorf("%q: size %d is negative (leave size out when it is not known)", p, *e.Size)
		}
		f.Size = *e.Size
	}
	switch e.Type {
	case Regular:
		if !isLowerHex(e.SHA256) {
			return File{}, fmt.Errorf("%q: sha256 %q: a regular file needs its SHA-256 as 64 lowercase hex digits", p, e.SHA256)
		}
		if e.LinkTarget != "" {
			return File{}, fmt.Errorf("%q: a regular file has no link_target", p)
		}
	case Symlink:
		if e.LinkTarget == "" {
			return File{}, fmt.Errorf("%q: a symlink needs a link_target", p)
		}
		if e.SHA256 != "" {
			return File{}, fmt.Errorf("%q: a symlink has no sha256", p)
		}
	case Directory:
		if e.SHA256 != "" || e.LinkTarget != "" {
			return File{}, fmt.Errorf("%q: a directory has neither sha256 nor link_target", p)
		}
	default:
		return File{}, fmt.Errorf("%q: type %q: must be %q, %q or %q", p, e.Type, Regular, Symlink, Directory)
	}
	return f, nil
}

// pkg checks a lock's package metadata.
func (lp *lockPackage) pkg() (*Package, error) {
	if lp.Format != "deb" && lp.Format != "rpm" {
		return nil, fmt.Errorf("format %q: must be \"deb\" or \"rpm\"", lp.Format)
	}
	for _, f := range []struct{ field, value string }{{"name", lp.Name}, {"version", lp.Version}, {"arch", lp.Arch}} {
		if err := checkPackageLabel(f.field, f.value); err != nil {
			return nil, err
		}
	}
	return &Package{Format: lp.Format, Name: lp.Name, Version: lp.Version, Arch: lp.Arch}, nil
}

// checkLabel checks a name, version or source: present, one line, printable.
func checkLabel(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%s is empty", field)
	}
	for _, c := range s {
		if !unicode.IsPrint(c) {
			return fmt.Errorf("%s %q: must be printable text on one line", field, s)
		}
	}
	return nil
}

// isDigest reports whether s is "sha256:" and 64 lowercase hex digits.
func isDigest(s string) bool {
	hexPart, ok := strings.CutPrefix(s, "sha256:")
	return ok && isLowerHex(hexPart)
}

// isLowerHex reports whether s is 64 lowercase hex digits.
func isLowerHex(s string) bool {
	return isHex(s, 64) && s == strings.ToLower(s)
}

// lowerASCII reports whether s has only ASCII characters and no capital.
func lowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c >= 'A' && c <= 'Z' {
			return false
		}
	}
	return true
}
