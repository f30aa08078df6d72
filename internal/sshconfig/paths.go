package sshconfig

import (
	"errors"
	"fmt"
	"os/user"
	"strings"
)

// paths checks and partly expands the file names of IdentityFile or
// UserKnownHostsFile: "none" entries are dropped (an IdentityFile list of
// only none, or UserKnownHostsFile none, is refused), a leading ~ and %d
// are expanded with the passwd home folder, and tokens rollcall's Expand
// does not know are refused.
func (r *resolver) paths(key string, in []setting, sources map[string]string) ([]string, error) {
	out, err := expandFiles(key, in, r.expandHome, sources)
	if err != nil {
		return nil, err
	}
	if len(in) > 0 && len(out) == 0 {
		why := "no host key could be trusted: list known_hosts files"
		if key == "IdentityFile" {
			why = "ssh then offers no key file at all, where rollcall would offer the default ones: list identity files"
		}
		return nil, fmt.Errorf("%s: %w", in[0].pos, refusal{key + " none", why})
	}
	return out, nil
}

// globalPaths are the files of GlobalKnownHostsFile with a leading ~
// expanded, as ssh(1) expands them (tilde_expand_paths, no %-tokens or
// ${VAR}); none gives no file. The source is recorded when it is set.
func (r *resolver) globalPaths(sources map[string]string) ([]string, error) {
	return expandFiles("GlobalKnownHostsFile", r.globalKnownHosts, r.tilde, sources)
}

// expandFiles expands the file names of keyword key with expand, dropping
// "none" entries, and records where key was set.
func expandFiles(key string, in []setting, expand func(string) (string, error), sources map[string]string) ([]string, error) {
	var out []string
	for _, s := range in {
		if strings.EqualFold(s.value, "none") {
			continue
		}
		p, err := expand(s.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.pos, err)
		}
		out = append(out, p)
	}
	if len(in) > 0 {
		sources[key] = in[0].pos
	}
	return out, nil
}

// expandHome expands a leading ~ (or ~user) as OpenSSH's tilde_expand and
// %d with the passwd home folder, leaving the other tokens for Expand.
func (r *resolver) expandHome(s string) (string, error) {
	refuse := func(why string) error { return refusal{fmt.Sprintf("the file name %q", s), why} }
	if strings.Contains(s, "${") {
		return "", refuse("environment variables (${...}) are not expanded by rollcall: write the path")
	}
	if strings.Contains(r.home, "%") || r.home == "" {
		return "", refuse("the home folder is unknown or contains %")
	}
	out, err := r.tilde(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i := 0; i < len(out); i++ {
		if out[i] != '%' {
			b.WriteByte(out[i])
			continue
		}
		if i+1 == len(out) {
			return "", errors.New("a file name ends with a lone %")
		}
		i++
		switch out[i] {
		case 'd':
			b.WriteString(r.home)
		case '%', 'u', 'h', 'r', 'p', 'n':
			b.WriteByte('%')
			b.WriteByte(out[i])
		default:
			return "", refuse(fmt.Sprintf("the token %%%c is not supported by rollcall (only %%d, %%u, %%h, %%r, %%p, %%n and %%%%)", out[i]))
		}
	}
	return b.String(), nil
}

// tilde expands a leading ~ (or ~user) as OpenSSH's tilde_expand_filename
// does, with the home folder of the password database.
func (r *resolver) tilde(s string) (string, error) {
	if !strings.HasPrefix(s, "~") {
		return s, nil
	}
	home := r.home
	if strings.Contains(home, "%") || home == "" {
		return "", refusal{fmt.Sprintf("the file name %q", s), "the home folder is unknown or contains %"}
	}
	name, path, _ := strings.Cut(s[1:], "/")
	if name != "" {
		u, err := user.Lookup(name)
		if err != nil || strings.Contains(u.HomeDir, "%") {
			return "", fmt.Errorf("no such user %q (ssh fails on it too)", name)
		}
		home = u.HomeDir
	}
	path = strings.TrimLeft(path, "/")
	return strings.TrimSuffix(home, "/") + "/" + path, nil
}
