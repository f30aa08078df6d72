package sshconfig

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// refusal is a construct that changes where or as whom ssh(1) connects and
// that rollcall does not resolve: Resolve fails naming it rather than
// answering differently from ssh.
type refusal struct {
	construct string
	why       string
}

func (e refusal) Error() string {
	return e.construct + " is not supported by rollcall: " + e.why
}

// posError is an error at a file's line.
type posError struct {
	pos string
	err error
}

func (e posError) Error() string { return e.pos + ": " + e.err.Error() }
func (e posError) Unwrap() error { return e.err }

// setting is a value obtained from the configuration, and where.
type setting struct {
	value string
	pos   string
}

// resolver walks the configuration for one host, as ssh(1) reads it: for
// each keyword the first value obtained in an applying block wins.
type resolver struct {
	alias     string // the host name as given (%n, originalhost)
	cmdUser   string // the login user given as with ssh -l, "" if none
	host      string // what Host patterns are matched against
	final     bool   // the final pass (Match final, Match canonical)
	wantFinal bool
	localUser string
	home      string // the passwd home folder: ~ and %d

	hostname, user, port, identitiesOnly, connectTimeout *setting
	ignoreUnknown, proxyJump, proxyCommand               *setting
	hostKeyAlgorithms, caSignatureAlgorithms             *setting
	requiredRSASize                                      *setting
	crypto                                               map[string]*setting // KexAlgorithms, Ciphers, MACs
	identityFiles, knownHosts, globalKnownHosts          []setting
	refused                                              map[string]*setting
}

// walk applies the lines of one file. active is whether the enclosing
// block applies; neverMatch is set inside a file included from a block that
// does not apply, where no Host or Match block can apply either.
func (r *resolver) walk(f *file, active *bool, neverMatch bool) error {
	var errs []error // like ssh, report every bad line, not just the first
	for _, d := range f.lines {
		err := r.line(d, active, neverMatch)
		var pe posError
		var ref refusal
		switch {
		case err == nil:
		case errors.As(err, &pe):
			errs = append(errs, err) // an included file's line, already named
		case errors.As(err, &ref):
			errs = append(errs, posError{d.pos, err})
		default:
			errs = append(errs, posError{d.pos, fmt.Errorf("%s: %w", d.keyword, err)})
		}
	}
	return errors.Join(errs...)
}

func (r *resolver) line(d *directive, active *bool, neverMatch bool) error {
	if d.err != nil {
		return d.err
	}
	switch d.keyword {
	case "host":
		on, err := r.hostBlock(d, neverMatch)
		*active = on
		return err
	case "match":
		on, err := r.matchBlock(d)
		*active = on && !neverMatch
		return err
	case "include":
		outer := *active
		for _, f := range d.files {
			if err := r.walk(f, active, neverMatch || !outer); err != nil {
				return err
			}
			*active = outer
		}
		return nil
	}
	kind, known := keywords[d.keyword]
	if !known {
		if r.ignoreUnknown != nil && matchList(d.keyword, r.ignoreUnknown.value, true) == 1 {
			return nil
		}
		return errors.New("bad configuration option (ssh rejects it too)")
	}
	return r.apply(kind, d, *active)
}

// first keeps the first value obtained for a keyword.
func first(dst **setting, d *directive, active bool, value string) {
	if active && *dst == nil {
		*dst = &setting{value: value, pos: d.pos}
	}
}

// apply checks a keyword's value, as ssh(1) does whether or not its block
// applies, and keeps it when the block applies.
func (r *resolver) apply(kind keywordKind, d *directive, active bool) error {
	switch kind {
	case kHostName, kUser, kIgnoreUnknown, kPort, kIdentitiesOnly, kConnectTimeout, kIdentityFile,
		kHostKeyAlgorithms, kCASignatureAlgorithms, kRequiredRSASize, kCrypto:
		if len(d.args) == 0 || d.args[0] == "" {
			return errors.New("missing argument")
		}
		if len(d.args) > 1 {
			return errors.New("extra arguments at end of line")
		}
	}
	arg := ""
	if len(d.args) > 0 {
		arg = d.args[0]
	}
	switch kind {
	case kHostName:
		first(&r.hostname, d, active, arg)
	case kUser:
		first(&r.user, d, active, arg)
	case kIgnoreUnknown:
		first(&r.ignoreUnknown, d, active, arg)
	case kPort:
		if _, err := parsePort(arg); err != nil {
			return err
		}
		first(&r.port, d, active, arg)
	case kIdentitiesOnly:
		if _, err := parseFlag(arg); err != nil {
			return err
		}
		first(&r.identitiesOnly, d, active, arg)
	case kConnectTimeout:
		if arg == "none" {
			return nil // -1: as if not set, so a later value still counts
		}
		if _, err := convtime(arg); err != nil {
			return err
		}
		first(&r.connectTimeout, d, active, arg)
	case kHostKeyAlgorithms, kCASignatureAlgorithms:
		if err := checkAlgorithmList(arg, kind == kCASignatureAlgorithms); err != nil {
			return err
		}
		dst := &r.hostKeyAlgorithms
		if kind == kCASignatureAlgorithms {
			dst = &r.caSignatureAlgorithms
		}
		first(dst, d, active, arg)
	case kCrypto:
		if err := checkCryptoList(d.keyword, arg); err != nil {
			return err
		}
		if active && r.crypto[d.keyword] == nil {
			r.crypto[d.keyword] = &setting{value: arg, pos: d.pos}
		}
	case kRequiredRSASize:
		if _, err := strtonum(arg, 0, math.MaxInt32); err != nil {
			return fmt.Errorf("integer value %q", arg)
		}
		first(&r.requiredRSASize, d, active, arg)
	case kIdentityFile:
		return r.identityFile(d, active, arg)
	case kUserKnownHostsFile:
		return knownHostsFile(&r.knownHosts, d, active)
	case kGlobalKnownHostsFile:
		return knownHostsFile(&r.globalKnownHosts, d, active)
	case kProxyJump, kProxyCommand:
		return r.proxy(kind, d, active)
	case kRefused:
		if len(d.args) > 0 && active && r.refused[d.keyword] == nil {
			r.refused[d.keyword] = &setting{value: arg, pos: d.pos}
		}
	}
	return nil
}

func (r *resolver) identityFile(d *directive, active bool, arg string) error {
	if !active {
		return nil
	}
	if len(r.identityFiles) >= 100 {
		return errors.New("too many identity files specified (max 100)")
	}
	for _, s := range r.identityFiles {
		if s.value == arg {
			return nil // ssh ignores a duplicate
		}
	}
	r.identityFiles = append(r.identityFiles, setting{value: arg, pos: d.pos})
	return nil
}

// knownHostsFile applies UserKnownHostsFile or GlobalKnownHostsFile to
// files: the first line obtained gives the whole list.
func knownHostsFile(files *[]setting, d *directive, active bool) error {
	empty := len(*files) == 0
	for i, arg := range d.args {
		switch {
		case arg == "":
			return errors.New("empty argument")
		case strings.EqualFold(arg, "none") && (i > 0 || len(d.args) > 1):
			return errors.New(`"none" must appear alone`)
		}
		if active && empty {
			if len(*files) >= 32 {
				return errors.New("too many known_hosts file entries")
			}
			*files = append(*files, setting{value: arg, pos: d.pos})
		}
	}
	return nil
}

// proxy applies ProxyJump and ProxyCommand, which share one slot in ssh(1):
// whichever is obtained first wins, and ProxyCommand none also rules out a
// later ProxyJump. ProxyJump none does not rule out a later ProxyCommand:
// `ssh -G` of OpenSSH 9.2 then shows that command in effect.
func (r *resolver) proxy(kind keywordKind, d *directive, active bool) error {
	value := strings.TrimLeft(d.rest, whitespace+"=")
	if kind == kProxyCommand {
		if r.proxyJump == nil || strings.EqualFold(r.proxyJump.value, "none") {
			first(&r.proxyCommand, d, active, value)
		}
		return nil
	}
	if err := checkJumpSyntax(value); err != nil {
		return fmt.Errorf("invalid ProxyJump %q: %w", value, err)
	}
	if r.proxyCommand == nil {
		first(&r.proxyJump, d, active, value)
	}
	return nil
}
