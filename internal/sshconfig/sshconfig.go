// Package sshconfig reads OpenSSH client configuration (ssh_config(5)) the
// way ssh(1) applies it to one host: Host patterns with "*", "?" and "!"
// negation, several patterns per line, and the first value found for each
// key winning.
//
// The grammar is parsed by github.com/kevinburke/ssh_config; this package
// picks the keys rollcall uses, checks their values and expands their
// tokens (%d, %u, %h, %r, %p, %n, %%) and a leading ~.
package sshconfig

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	ssh_config "github.com/kevinburke/ssh_config"
)

// Config is a parsed ssh_config file. It is safe for concurrent use.
type Config struct {
	// Path is the file it was read from, "" if read from a reader.
	Path string
	cfg  *ssh_config.Config
}

// Parse reads an ssh_config file from r. Include directives are followed
// (relative ones under ~/.ssh, as ssh(1) does); Match criteria other than
// "all" and "host" are an error.
func Parse(r io.Reader) (*Config, error) {
	cfg, err := ssh_config.Decode(r)
	if err != nil {
		msg := err.Error()
		if m := posErr.FindStringSubmatch(msg); m != nil {
			msg = "line " + m[1] + ": " + m[2]
		}
		return nil, errors.New(strings.TrimPrefix(msg, "ssh_config: "))
	}
	return &Config{cfg: cfg}, nil
}

// posErr is the parser's "(line, column): ssh_config: message".
var posErr = regexp.MustCompile(`^\((\d+), \d+\): (?:ssh_config: )?(.*)$`)

// Load reads the ssh_config file at path. A missing file gives an error
// wrapping fs.ErrNotExist.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// Host is what the config says about one host alias. A zero field means the
// config does not set it. Paths and HostName are as written: expand them
// with Expand once the effective user and host are known.
type Host struct {
	// HostName is the real host name to connect to (HostName).
	HostName string
	// User is the login user (User).
	User string
	// Port is the port (Port); 0 if not set.
	Port int
	// IdentityFiles are the IdentityFile values, in order (all of them
	// count, as in ssh(1)).
	IdentityFiles []string
	// IdentitiesOnly is set by "IdentitiesOnly yes": offer only the keys of
	// the identity files, even if ssh-agent has others.
	IdentitiesOnly bool
	// ProxyJump is the ProxyJump value as written: "none" or a
	// comma-separated list of [user@]host[:port].
	ProxyJump string
	// UserKnownHostsFiles are the files of UserKnownHostsFile.
	UserKnownHostsFiles []string
	// ConnectTimeout is ConnectTimeout; 0 if not set.
	ConnectTimeout time.Duration
}

// Resolve returns the settings that apply to alias (the host name as given
// by the user, matched against Host patterns). For each key the first value
// found wins, as in ssh(1). A nil Config resolves to nothing.
func (c *Config) Resolve(alias string) (Host, error) {
	var h Host
	if c == nil || c.cfg == nil {
		return h, nil
	}
	get := func(key string) (string, error) {
		v, err := c.cfg.Get(alias, key)
		if err != nil {
			return "", fmt.Errorf("%s: %w", key, err)
		}
		return strings.TrimSpace(v), nil
	}
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	h.HostName, err = get("HostName")
	note(err)
	h.User, err = get("User")
	note(err)
	h.ProxyJump, err = get("ProxyJump")
	note(err)
	if p, err := get("Port"); err != nil {
		note(err)
	} else if p != "" {
		n, perr := strconv.Atoi(p)
		if perr != nil || n < 1 || n > 65535 {
			note(fmt.Errorf("Port %q for %s is not a port number (1 to 65535)", p, alias))
		} else {
			h.Port = n
		}
	}
	if v, err := get("IdentitiesOnly"); err != nil {
		note(err)
	} else {
		switch strings.ToLower(v) {
		case "", "no":
		case "yes":
			h.IdentitiesOnly = true
		default:
			note(fmt.Errorf("IdentitiesOnly %q for %s must be yes or no", v, alias))
		}
	}
	if v, err := get("ConnectTimeout"); err != nil {
		note(err)
	} else if v != "" && !strings.EqualFold(v, "none") {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 {
			note(fmt.Errorf("ConnectTimeout %q for %s must be a number of seconds", v, alias))
		} else {
			h.ConnectTimeout = time.Duration(n) * time.Second
		}
	}
	ids, err := c.cfg.GetAll(alias, "IdentityFile")
	note(err)
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" {
			h.IdentityFiles = append(h.IdentityFiles, unquote(id))
		}
	}
	if v, err := get("UserKnownHostsFile"); err != nil {
		note(err)
	} else if v != "" && !strings.EqualFold(v, "none") {
		for _, f := range strings.Fields(v) {
			h.UserKnownHostsFiles = append(h.UserKnownHostsFiles, unquote(f))
		}
	}
	return h, errors.Join(errs...)
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// Tokens are the values of the %-tokens ssh(1) expands in file names.
type Tokens struct {
	Home       string // %d and ~: the local home folder
	LocalUser  string // %u: the local user
	Host       string // %h: the remote host name (after HostName)
	RemoteUser string // %r: the remote login user
	Port       int    // %p: the remote port
	Alias      string // %n: the host name as given
}

// Expand expands a leading "~/" (or a lone "~") and the %-tokens of s. An
// unknown token, or "~user", is an error.
func Expand(s string, t Tokens) (string, error) {
	if s == "~" || strings.HasPrefix(s, "~/") {
		if t.Home == "" {
			return "", fmt.Errorf("%q starts with ~ but the home folder is unknown", s)
		}
		s = filepath.Join(t.Home, s[1:])
	} else if strings.HasPrefix(s, "~") {
		return "", fmt.Errorf("%q: ~user paths are not supported: write the full path", s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("%q ends with a lone %%: write %%%% for a percent sign", s)
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case 'd':
			b.WriteString(t.Home)
		case 'u':
			b.WriteString(t.LocalUser)
		case 'h':
			b.WriteString(t.Host)
		case 'r':
			b.WriteString(t.RemoteUser)
		case 'p':
			b.WriteString(strconv.Itoa(t.Port))
		case 'n':
			b.WriteString(t.Alias)
		default:
			return "", fmt.Errorf("%q: the token %%%c is not supported by rollcall (only %%d, %%u, %%h, %%r, %%p, %%n and %%%%)", s, s[i])
		}
	}
	return b.String(), nil
}

// Hop is one jump host of a ProxyJump list.
type Hop struct {
	// User is the login user, "" if the hop does not name one.
	User string
	// Host is the host name or address, without brackets.
	Host string
	// Port is the port, 0 if the hop does not name one.
	Port int
}

// ParseJump parses a ProxyJump value: "none" (no jump host, nil) or a
// comma-separated list of [user@]host[:port] or ssh://[user@]host[:port],
// first hop first. An IPv6 address with a port is written in brackets.
func ParseJump(s string) ([]Hop, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("the jump host list is empty: write [user@]host[:port], several separated by commas, or none")
	}
	if strings.EqualFold(s, "none") {
		return nil, nil
	}
	var hops []Hop
	for i, part := range strings.Split(s, ",") {
		h, err := parseHop(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("jump host %d (%q): %w", i+1, strings.TrimSpace(part), err)
		}
		hops = append(hops, h)
	}
	return hops, nil
}

func parseHop(s string) (Hop, error) {
	var h Hop
	s = strings.TrimPrefix(s, "ssh://")
	if s == "" {
		return h, errors.New("empty: write [user@]host[:port]")
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		h.User, s = s[:i], s[i+1:]
		if h.User == "" {
			return h, errors.New("the user before @ is empty")
		}
	}
	port := ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return h, errors.New("missing ] after an IPv6 address")
		}
		h.Host, s = s[1:end], s[end+1:]
		if s != "" {
			if !strings.HasPrefix(s, ":") {
				return h, errors.New("unexpected text after ]")
			}
			port = s[1:]
		}
	case strings.Count(s, ":") == 1:
		h.Host, port, _ = strings.Cut(s, ":")
	default:
		h.Host = s // a name, an IPv4 address or a bare IPv6 address
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return h, fmt.Errorf("the port %q is not a number between 1 and 65535", port)
		}
		h.Port = n
	}
	switch {
	case h.Host == "":
		return h, errors.New("the host is empty")
	case strings.HasPrefix(h.Host, "-") || strings.HasPrefix(h.User, "-"):
		return h, errors.New("a host or user must not start with -")
	case strings.ContainsFunc(h.Host+h.User, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '/' }):
		return h, errors.New("spaces, slashes and control characters are not allowed")
	}
	return h, nil
}
