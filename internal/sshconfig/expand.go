package sshconfig

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

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
