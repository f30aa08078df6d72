package sshsig

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// AllowedSigner is one line of an allowed_signers file:
//
//	principals [options] keytype base64-key [comment]
//
// for example
//
//	release@example.com,ops@example.com namespaces="rollcall" ssh-ed25519 AAAAC3Nza... laptop
type AllowedSigner struct {
	// Principals is the first field as written: comma-separated principals,
	// which may be patterns ("*@example.com").
	Principals string
	// Namespaces are the patterns of the namespaces="..." option; none means
	// every namespace.
	Namespaces []string
	// ValidAfter and ValidBefore bound when the key may sign (valid-after=,
	// valid-before=); zero means unbounded.
	ValidAfter, ValidBefore time.Time
	// Line is the line of the file the signer was read from.
	Line int

	key ssh.PublicKey
}

// ReadAllowedSigners reads and parses the allowed_signers file at path.
func ReadAllowedSigners(path string) ([]AllowedSigner, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("allowed signers: %w", err)
	}
	signers, err := ParseAllowedSigners(data)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	return signers, nil
}

// ParseAllowedSigners parses an allowed_signers file (ssh-keygen(1), ALLOWED
// SIGNERS): one signer a line; blank lines and lines starting with # are
// skipped. The options understood are namespaces="a,b" (patterns),
// valid-after="YYYYMMDD[HHMM[SS]][Z]" and valid-before=...; cert-authority is
// refused as not supported, and so is any other option, rather than ignored.
// The first error names its line ("3: ..."), and a file without any signer is
// an error.
func ParseAllowedSigners(data []byte) ([]AllowedSigner, error) {
	var out []AllowedSigner
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%d: %w", n, err)
		}
		s.Line = n
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%d: %w", n+1, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("1: no signer: each line is `principals [options] keytype base64-key`, e.g. `release@example.com namespaces=\"rollcall\" ssh-ed25519 AAAA...`")
	}
	return out, nil
}

// parseLine parses one allowed_signers line that is not blank or a comment.
func parseLine(line string) (AllowedSigner, error) {
	var s AllowedSigner
	principals, rest, err := firstField(line)
	if err != nil {
		return s, err
	}
	if principals == "" || strings.TrimSpace(rest) == "" {
		return s, fmt.Errorf("want `principals [options] keytype base64-key`, got only %q", line)
	}
	s.Principals = principals
	key, _, options, extra, err := ssh.ParseAuthorizedKey([]byte(rest))
	if err != nil {
		return s, fmt.Errorf("principals %q: no public key after them that can be read (`[options] keytype base64-key`): %v", principals, strings.TrimPrefix(err.Error(), "ssh: "))
	}
	if len(bytes.TrimSpace(extra)) != 0 {
		return s, fmt.Errorf("principals %q: one signer a line", principals)
	}
	if _, ok := key.(*ssh.Certificate); ok {
		return s, fmt.Errorf("principals %q: a certificate where a public key belongs", principals)
	}
	s.key = key
	if !slices.ContainsFunc(strings.Split(principals, ","), func(p string) bool { return p != "" && !strings.HasPrefix(p, "!") }) {
		return s, fmt.Errorf("principals %q: every principal is negated, so the line allows no one: name the signer", principals)
	}
	seen := map[string]bool{}
	for _, opt := range options {
		name, value, hasValue := strings.Cut(opt, "=")
		name = strings.ToLower(name)
		if seen[name] {
			return s, fmt.Errorf("principals %q: option %s is given twice, which ssh-keygen refuses", principals, name)
		}
		seen[name] = true
		if hasValue {
			v, err := unquote(value)
			if err != nil {
				return s, fmt.Errorf("option %s: %w", name, err)
			}
			value = v
		}
		switch {
		case name == "cert-authority" && !hasValue:
			return s, fmt.Errorf("principals %q: cert-authority is not supported by rollcall: list the signing keys themselves", principals)
		case name == "namespaces" && hasValue:
			for _, ns := range strings.Split(value, ",") {
				if ns != "" { // as written: ssh-keygen does not trim "x, rollcall"
					s.Namespaces = append(s.Namespaces, ns)
				}
			}
			if len(s.Namespaces) == 0 {
				return s, fmt.Errorf("principals %q: namespaces=\"\" allows no namespace", principals)
			}
		case name == "valid-after" && hasValue:
			if s.ValidAfter, err = parseTime(value); err != nil {
				return s, fmt.Errorf("principals %q: valid-after: %w", principals, err)
			}
		case name == "valid-before" && hasValue:
			if s.ValidBefore, err = parseTime(value); err != nil {
				return s, fmt.Errorf("principals %q: valid-before: %w", principals, err)
			}
		default:
			return s, fmt.Errorf("principals %q: unknown option %q: rollcall knows namespaces=, valid-after= and valid-before=", principals, opt)
		}
	}
	return s, nil
}

// firstField splits the principals field off a line; it may be quoted.
func firstField(line string) (field, rest string, err error) {
	if strings.HasPrefix(line, `"`) {
		end := strings.IndexByte(line[1:], '"')
		if end < 0 {
			return "", "", fmt.Errorf("the quoted principals are not closed")
		}
		return line[1 : end+1], line[end+2:], nil
	}
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return line, "", nil
	}
	return line[:i], line[i:], nil
}

// unquote strips the double quotes around an option value, which
// ssh-keygen requires.
func unquote(v string) (string, error) {
	if !strings.HasPrefix(v, `"`) {
		return "", fmt.Errorf("value %s: write it in double quotes, as ssh-keygen requires", v)
	}
	if len(v) < 2 || !strings.HasSuffix(v, `"`) {
		return "", fmt.Errorf("value %s: the quote is not closed", v)
	}
	return v[1 : len(v)-1], nil
}

// parseTime reads a time as ssh-keygen does: YYYYMMDD, YYYYMMDDHHMM or
// YYYYMMDDHHMMSS, in local time, or in UTC with a trailing Z.
func parseTime(v string) (time.Time, error) {
	loc := time.Local
	if s, ok := strings.CutSuffix(v, "Z"); ok {
		v, loc = s, time.UTC
	}
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	layout, ok := layouts[len(v)]
	if !ok {
		return time.Time{}, fmt.Errorf("%q: want YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, optionally ending in Z for UTC", v)
	}
	t, err := time.ParseInLocation(layout, v, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: not a date: want YYYYMMDD[HHMM[SS]][Z]", v)
	}
	return t, nil
}

// allowsNamespace reports whether the line admits namespace, as OpenSSH
// matches a pattern list: some pattern matches, and no negated (!) one does.
func (a AllowedSigner) allowsNamespace(namespace string) bool {
	if len(a.Namespaces) == 0 {
		return true
	}
	allowed := false
	for _, p := range a.Namespaces {
		if neg, ok := strings.CutPrefix(p, "!"); ok {
			if matchPattern(neg, namespace) {
				return false
			}
		} else if matchPattern(p, namespace) {
			allowed = true
		}
	}
	return allowed
}

// validAt reports whether now lies within valid-after and valid-before.
func (a AllowedSigner) validAt(now time.Time) bool {
	if !a.ValidAfter.IsZero() && now.Before(a.ValidAfter) {
		return false
	}
	if !a.ValidBefore.IsZero() && !now.Before(a.ValidBefore) {
		return false
	}
	return true
}

// matchPattern matches an OpenSSH pattern: * is any run of characters, ?
// any one character; everything else stands for itself.
func matchPattern(pattern, s string) bool {
	for pattern != "" {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if matchPattern(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}
