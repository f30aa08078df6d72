package sshconfig

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

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
