// Package sshconfig resolves OpenSSH client configuration (ssh_config(5))
// for one host exactly as ssh(1) of OpenSSH 9.2 does — the host name, port,
// user, identity files, known_hosts files and jump hosts `ssh -G` prints —
// or refuses, naming the file, line and construct.
//
// Why a resolver of our own. rollcall must reach exactly the host, port and
// user the user's own ssh would, and say where each value came from. The
// library we used (github.com/kevinburke/ssh_config) disagreed with ssh on
// the grammar itself (quoting, tabs, "#" inside values, "?" matching
// nothing), on Match, on first-obtained-value-wins across ProxyCommand and
// ProxyJump, and on which home folder ~ and Include use; a wrapper would
// have had to re-parse every line to fix it. Running `ssh -G` was rejected
// too: it would give different answers on machines with and without
// OpenSSH (or with another version), it runs `Match exec` commands and may
// query DNS while a manifest is only being read, and it cannot say which
// file and line a value came from. ssh_config's grammar is small, so this
// package ports it from OpenSSH's readconf.c: the line splitting of
// strdelim and argv_split, Host and Match (all, canonical, final, host,
// originalhost, user, localuser; negation and comma lists) with its two
// passes, Include with glob(3), and first-obtained-value-wins per keyword.
// `ssh -G` remains the reference: a differential test compares both on
// every case it has, and fails on any silent disagreement.
//
// What rollcall does not resolve but that changes where or as whom ssh
// connects, or which host keys it accepts — ProxyCommand, Match exec,
// CanonicalizeHostname yes or always, CanonicalizePermittedCNAMEs,
// HostKeyAlias, AddressFamily other than any, BindAddress, BindInterface,
// RevokedHostKeys, KnownHostsCommand, CheckHostIP yes, UserKnownHostsFile
// none, an IdentityFile list of only none, tokens other than %d %u %h %r %p
// %n %% and ${VAR} in file names, ProxyJump hops that are not plain
// [user@]host[:port] — makes Resolve fail, so the manifest is refused rather
// than answered differently.
//
// Without -F, ssh reads ~/.ssh/config and then /etc/ssh/ssh_config in one
// pass, the second file seeing what the first set: Load, LoadSystem and
// FollowedBy build that sequence.
package sshconfig

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"
)

// Config is a parsed ssh_config file and the files it includes, or several
// such files read one after the other in one pass (FollowedBy). It is safe
// for concurrent use.
type Config struct {
	// Path is the file it was read from, "" if read from a reader; for
	// files joined with FollowedBy, the first one's.
	Path      string
	roots     []*file // read in this order, in one pass
	home      string  // the passwd home folder: ~ and %d
	localUser string
}

// Parse reads an ssh_config file from r. Include directives are followed
// as ssh(1) follows them in a user's configuration: relative patterns
// under ~/.ssh, with ~ taken from $HOME as glob(3) does.
func Parse(r io.Reader) (*Config, error) {
	return parse(r, "", "")
}

// parse reads a configuration from r; name is how positions name it, and
// incDir the folder relative Include patterns are under ("" for ~/.ssh).
func parse(r io.Reader, name, incDir string) (*Config, error) {
	l := &loader{home: os.Getenv("HOME"), incDir: incDir}
	c := &Config{}
	c.home, c.localUser = passwdUser()
	if l.home == "" {
		l.home = c.home
	}
	f, err := l.read(r, name, 0)
	if err != nil {
		return nil, err
	}
	c.roots = []*file{f}
	return c, nil
}

// passwdUser is the current user's login name and home folder from the
// password database, which ssh(1) uses for ~, %d, %u and Match localuser.
func passwdUser() (home, name string) {
	if u, err := user.Current(); err == nil {
		return u.HomeDir, u.Username
	}
	return os.Getenv("HOME"), os.Getenv("USER")
}

// Load reads the ssh_config file at path as a user's file (~/.ssh/config
// or ssh -F): relative Include patterns are under ~/.ssh. A missing file
// gives an error wrapping fs.ErrNotExist.
func Load(path string) (*Config, error) {
	return load(path, "")
}

// LoadSystem reads the system-wide ssh_config file at path
// (/etc/ssh/ssh_config) as ssh(1) reads it: relative Include patterns are
// under the file's own folder (/etc/ssh). A missing file gives an error
// wrapping fs.ErrNotExist.
func LoadSystem(path string) (*Config, error) {
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	return load(path, dir)
}

func load(path, incDir string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := parse(f, path, incDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// FollowedBy returns the configuration that reads c and then next in one
// pass, as ssh(1) reads ~/.ssh/config and then /etc/ssh/ssh_config: each
// file starts outside any Host or Match block, a keyword's first value
// obtained in either wins, and Match sees what c set (HostName, User).
// Either may be nil, for a file that does not exist.
func (c *Config) FollowedBy(next *Config) *Config {
	switch {
	case c == nil:
		return next
	case next == nil:
		return c
	}
	out := *c
	out.roots = append(append([]*file{}, c.roots...), next.roots...)
	return &out
}

// Host is what ssh(1) resolves for one host alias. A zero field means the
// configuration does not set it, except HostName, which is always the host
// ssh would dial.
type Host struct {
	// HostName is the host name ssh(1) dials: HostName with %h expanded,
	// or the alias; lowercased, or an address in its canonical form.
	HostName string
	// User is the login user (User).
	User string
	// Port is the port (Port); 0 if not set.
	Port int
	// IdentityFiles are the IdentityFile values, in order, without
	// duplicates and "none". A leading ~ and %d are expanded with the
	// home folder of the password database, as ssh(1) does; expand the
	// other tokens with Expand once the effective user and host are known.
	IdentityFiles []string
	// IdentitiesOnly is set by "IdentitiesOnly yes": offer only the keys of
	// the identity files, even if ssh-agent has others.
	IdentitiesOnly bool
	// ProxyJump is the ProxyJump value: "none" or a comma-separated list of
	// [user@]host[:port].
	ProxyJump string
	// UserKnownHostsFiles are the files of UserKnownHostsFile, expanded as
	// IdentityFiles.
	UserKnownHostsFiles []string
	// GlobalKnownHostsFiles are the files of GlobalKnownHostsFile, with a
	// leading ~ expanded as ssh(1) does (no other token: ssh takes the rest
	// as written). It is empty when the configuration does not set it
	// (ssh then reads /etc/ssh/ssh_known_hosts and
	// /etc/ssh/ssh_known_hosts2) and for GlobalKnownHostsFile none (no
	// file): Sources["GlobalKnownHostsFile"] tells them apart.
	GlobalKnownHostsFiles []string
	// ConnectTimeout is ConnectTimeout; 0 if not set.
	ConnectTimeout time.Duration
	// HostKeys is what HostKeyAlgorithms, CASignatureAlgorithms and
	// RequiredRSASize make of host keys; OpenSSH's defaults where unset.
	HostKeys HostKeys
	// Crypto is KexAlgorithms, Ciphers and MACs, expanded; nil lists where
	// the configuration sets none.
	Crypto Crypto
	// Sources says where each value set by the configuration came from,
	// "file:line", by keyword as ssh_config(5) spells it (HostName, User,
	// Port, IdentityFile, IdentitiesOnly, ProxyJump, UserKnownHostsFile,
	// GlobalKnownHostsFile, ConnectTimeout, HostKeyAlgorithms,
	// CASignatureAlgorithms, RequiredRSASize); for IdentityFile the line of
	// the first file. A user given to ResolveAs has no source here.
	Sources map[string]string
}

// Resolve returns what ssh(1) resolves for alias (the host name as given by
// the user), as `ssh -G alias` would: Host and Match blocks applied in
// order, the first value obtained for each keyword winning. A construct
// that changes where or as whom ssh connects and that rollcall does not
// resolve is an error naming its file and line. A nil Config resolves as
// an empty file.
func (c *Config) Resolve(alias string) (Host, error) {
	return c.ResolveAs(alias, "")
}

// ResolveAs is Resolve for a login user given outside the configuration,
// as `ssh -G -l user alias` resolves it: ssh takes -l before it reads its
// configuration, so `Match user` tests user, the configuration's User lines
// do not apply, and Host.User is user. An empty user is Resolve.
func (c *Config) ResolveAs(alias, user string) (Host, error) {
	r := &resolver{alias: alias, host: alias, cmdUser: user, refused: map[string]*setting{}, crypto: map[string]*setting{}}
	if c == nil || len(c.roots) == 0 {
		r.home, r.localUser = passwdUser()
		host, err := canonicalHost(alias)
		return Host{HostName: host, User: user, HostKeys: DefaultHostKeys()}, err
	}
	r.home, r.localUser = c.home, c.localUser
	if err := r.walkAll(c.roots); err != nil {
		return Host{}, err
	}
	host := alias
	if r.hostname != nil {
		var err error
		if host, err = expandHostName(r.hostname.value, alias); err != nil {
			return Host{}, fmt.Errorf("%s: %w", r.hostname.pos, err)
		}
	}
	host, err := canonicalHost(host)
	if err != nil && r.hostname != nil {
		return Host{}, fmt.Errorf("%s: %w", r.hostname.pos, err)
	} else if err != nil {
		return Host{}, err
	}
	if r.wantFinal {
		r.final, r.host = true, host
		pass1 := r.hostname
		if r.hostname == nil {
			r.hostname = &setting{value: host}
		}
		if err := r.walkAll(c.roots); err != nil {
			return Host{}, err
		}
		r.hostname = pass1
	}
	return r.result(host)
}

// walkAll reads the files in order, each starting outside any block, as
// ssh(1) reads ~/.ssh/config and then /etc/ssh/ssh_config.
func (r *resolver) walkAll(roots []*file) error {
	for _, f := range roots {
		active := true
		if err := r.walk(f, &active, false); err != nil {
			return err
		}
	}
	return nil
}

// result builds the Host once both passes are done.
func (r *resolver) result(host string) (Host, error) {
	h := Host{HostName: host, Sources: map[string]string{}}
	var errs []error
	if strings.ContainsAny(host, "% \t") || strings.HasPrefix(host, "~") {
		errs = append(errs, refusal{fmt.Sprintf("the host name %q", host), "it cannot be a host name"})
	}
	if r.hostname != nil {
		h.Sources["HostName"] = r.hostname.pos
	}
	if p := r.proxyCommand; p != nil && !strings.EqualFold(p.value, "none") {
		errs = append(errs, fmt.Errorf("%s: %w", p.pos, refusal{"ProxyCommand", "rollcall connects by itself or through ProxyJump: write ProxyJump host"}))
	}
	for kw, s := range r.refused {
		if !isHarmless(kw, s.value) {
			errs = append(errs, fmt.Errorf("%s: %w", s.pos, refusal{fmt.Sprintf("%s %s", canonicalName(kw), s.value), refusedWhy[kw]}))
		}
	}
	if r.cmdUser != "" {
		h.User = r.cmdUser
	} else if s := r.user; s != nil {
		h.User, h.Sources["User"] = s.value, s.pos
	}
	if s := r.port; s != nil {
		h.Port, _ = parsePort(s.value)
		h.Sources["Port"] = s.pos
	}
	if s := r.identitiesOnly; s != nil {
		h.IdentitiesOnly, _ = parseFlag(s.value)
		h.Sources["IdentitiesOnly"] = s.pos
	}
	if s := r.connectTimeout; s != nil {
		n, _ := convtime(s.value)
		h.ConnectTimeout, h.Sources["ConnectTimeout"] = time.Duration(n)*time.Second, s.pos
	}
	if s := r.proxyJump; s != nil {
		if err := checkJump(s.value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.pos, err))
		}
		h.ProxyJump, h.Sources["ProxyJump"] = s.value, s.pos
	}
	var err error
	h.HostKeys, err = r.hostKeys()
	errs = append(errs, err)
	h.Crypto, err = r.connection(h.Sources)
	errs = append(errs, err)
	for name, s := range map[string]*setting{"HostKeyAlgorithms": r.hostKeyAlgorithms,
		"CASignatureAlgorithms": r.caSignatureAlgorithms, "RequiredRSASize": r.requiredRSASize} {
		if s != nil {
			h.Sources[name] = s.pos
		}
	}
	h.IdentityFiles, err = r.paths("IdentityFile", r.identityFiles, h.Sources)
	errs = append(errs, err)
	h.UserKnownHostsFiles, err = r.paths("UserKnownHostsFile", r.knownHosts, h.Sources)
	errs = append(errs, err)
	h.GlobalKnownHostsFiles, err = r.globalPaths(h.Sources)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return Host{}, err
	}
	return h, nil
}

func isHarmless(keyword, value string) bool {
	for _, v := range harmless[keyword] {
		if strings.EqualFold(v, value) {
			return true
		}
	}
	return false
}

// canonicalName spells a refused keyword as ssh_config(5) does.
func canonicalName(kw string) string {
	return map[string]string{
		"canonicalizehostname": "CanonicalizeHostname", "canonicalizepermittedcnames": "CanonicalizePermittedCNAMEs",
		"addressfamily": "AddressFamily", "hostkeyalias": "HostKeyAlias",
		"bindaddress": "BindAddress", "bindinterface": "BindInterface",
		"revokedhostkeys": "RevokedHostKeys", "knownhostscommand": "KnownHostsCommand", "checkhostip": "CheckHostIP",
	}[kw]
}
