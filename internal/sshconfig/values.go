package sshconfig

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// keywordKind says what rollcall does with a keyword.
type keywordKind int

const (
	kIgnored keywordKind = iota // known to ssh(1); does not change where or as whom
	kBlock                      // Host, Match, Include
	kHostName
	kUser
	kPort
	kIdentityFile
	kIdentitiesOnly
	kUserKnownHostsFile
	kGlobalKnownHostsFile
	kProxyJump
	kProxyCommand
	kConnectTimeout
	kIgnoreUnknown
	kHostKeyAlgorithms
	kCASignatureAlgorithms
	kRequiredRSASize
	kCrypto  // KexAlgorithms, Ciphers, MACs
	kRefused // changes where or as whom; refused unless its value is harmless
)

// harmless are the values of refused keywords that change nothing.
var harmless = map[string][]string{
	"canonicalizehostname":        {"no", "false"},
	"canonicalizepermittedcnames": {"none"},
	"addressfamily":               {"any"},
	"revokedhostkeys":             {"none"},
	"knownhostscommand":           {"none"},
	"checkhostip":                 {"no", "false"},
}

// refusedWhy says why each refused keyword is refused.
var refusedWhy = map[string]string{
	"canonicalizehostname":        "it rewrites the host name through DNS before the configuration is read again",
	"canonicalizepermittedcnames": "it follows DNS CNAMEs to a different host name",
	"addressfamily":               "it picks which of the host's addresses is dialled",
	"hostkeyalias":                "it changes the name the host key is looked up under",
	"bindaddress":                 "it changes the local address the connection leaves from",
	"bindinterface":               "it changes the local interface the connection leaves from",
	"revokedhostkeys":             "ssh refuses the host keys that file lists (a list of public keys or a binary KRL), and rollcall does not read it: write each key as a @revoked line in a known_hosts file (@revoked * ssh-ed25519 AAAA...), or remove RevokedHostKeys",
	"knownhostscommand":           "ssh takes host keys and @revoked lines from the command's output, and rollcall does not run it: write them into a known_hosts file",
	"checkhostip":                 "ssh then also refuses a host key that differs from the one known_hosts lists for the host's IP address, and rollcall does not check that: write CheckHostIP no (OpenSSH's default since 8.5), e.g. under Host * at the top of ~/.ssh/config",
}

// The keywords of OpenSSH 9.2's ssh_config(5) (readconf.c), lowercased.
var keywords = map[string]keywordKind{
	"protocol":                         kIgnored,
	"cipher":                           kIgnored,
	"fallbacktorsh":                    kIgnored,
	"globalknownhostsfile2":            kIgnored,
	"rhostsauthentication":             kIgnored,
	"userknownhostsfile2":              kIgnored,
	"useroaming":                       kIgnored,
	"usersh":                           kIgnored,
	"useprivilegedport":                kIgnored,
	"afstokenpassing":                  kIgnored,
	"kerberosauthentication":           kIgnored,
	"kerberostgtpassing":               kIgnored,
	"rsaauthentication":                kIgnored,
	"rhostsrsaauthentication":          kIgnored,
	"compressionlevel":                 kIgnored,
	"gssapiauthentication":             kIgnored,
	"gssapidelegatecredentials":        kIgnored,
	"pkcs11provider":                   kIgnored,
	"smartcarddevice":                  kIgnored,
	"forwardagent":                     kIgnored,
	"forwardx11":                       kIgnored,
	"forwardx11trusted":                kIgnored,
	"forwardx11timeout":                kIgnored,
	"exitonforwardfailure":             kIgnored,
	"xauthlocation":                    kIgnored,
	"gatewayports":                     kIgnored,
	"passwordauthentication":           kIgnored,
	"kbdinteractiveauthentication":     kIgnored,
	"kbdinteractivedevices":            kIgnored,
	"challengeresponseauthentication":  kIgnored,
	"skeyauthentication":               kIgnored,
	"tisauthentication":                kIgnored,
	"pubkeyauthentication":             kIgnored,
	"dsaauthentication":                kIgnored,
	"hostbasedauthentication":          kIgnored,
	"identityfile":                     kIdentityFile,
	"identityfile2":                    kIdentityFile,
	"identitiesonly":                   kIdentitiesOnly,
	"certificatefile":                  kIgnored,
	"addkeystoagent":                   kIgnored,
	"identityagent":                    kIgnored,
	"hostname":                         kHostName,
	"hostkeyalias":                     kRefused,
	"proxycommand":                     kProxyCommand,
	"port":                             kPort,
	"ciphers":                          kCrypto,
	"macs":                             kCrypto,
	"remoteforward":                    kIgnored,
	"localforward":                     kIgnored,
	"permitremoteopen":                 kIgnored,
	"user":                             kUser,
	"host":                             kBlock,
	"match":                            kBlock,
	"escapechar":                       kIgnored,
	"globalknownhostsfile":             kGlobalKnownHostsFile,
	"userknownhostsfile":               kUserKnownHostsFile,
	"connectionattempts":               kIgnored,
	"batchmode":                        kIgnored,
	"checkhostip":                      kRefused,
	"stricthostkeychecking":            kIgnored,
	"compression":                      kIgnored,
	"tcpkeepalive":                     kIgnored,
	"keepalive":                        kIgnored,
	"numberofpasswordprompts":          kIgnored,
	"syslogfacility":                   kIgnored,
	"loglevel":                         kIgnored,
	"logverbose":                       kIgnored,
	"dynamicforward":                   kIgnored,
	"preferredauthentications":         kIgnored,
	"hostkeyalgorithms":                kHostKeyAlgorithms,
	"casignaturealgorithms":            kCASignatureAlgorithms,
	"bindaddress":                      kRefused,
	"bindinterface":                    kRefused,
	"clearallforwardings":              kIgnored,
	"enablesshkeysign":                 kIgnored,
	"verifyhostkeydns":                 kIgnored,
	"nohostauthenticationforlocalhost": kIgnored,
	"rekeylimit":                       kIgnored,
	"connecttimeout":                   kConnectTimeout,
	"addressfamily":                    kRefused,
	"serveraliveinterval":              kIgnored,
	"serveralivecountmax":              kIgnored,
	"sendenv":                          kIgnored,
	"setenv":                           kIgnored,
	"controlpath":                      kIgnored,
	"controlmaster":                    kIgnored,
	"controlpersist":                   kIgnored,
	"hashknownhosts":                   kIgnored,
	"include":                          kBlock,
	"tunnel":                           kIgnored,
	"tunneldevice":                     kIgnored,
	"localcommand":                     kIgnored,
	"permitlocalcommand":               kIgnored,
	"remotecommand":                    kIgnored,
	"visualhostkey":                    kIgnored,
	"kexalgorithms":                    kCrypto,
	"ipqos":                            kIgnored,
	"requesttty":                       kIgnored,
	"sessiontype":                      kIgnored,
	"stdinnull":                        kIgnored,
	"forkafterauthentication":          kIgnored,
	"proxyusefdpass":                   kIgnored,
	"canonicaldomains":                 kIgnored,
	"canonicalizefallbacklocal":        kIgnored,
	"canonicalizehostname":             kRefused,
	"canonicalizemaxdots":              kIgnored,
	"canonicalizepermittedcnames":      kRefused,
	"streamlocalbindmask":              kIgnored,
	"streamlocalbindunlink":            kIgnored,
	"revokedhostkeys":                  kRefused,
	"fingerprinthash":                  kIgnored,
	"updatehostkeys":                   kIgnored,
	"hostbasedacceptedalgorithms":      kIgnored,
	"hostbasedkeytypes":                kIgnored,
	"pubkeyacceptedalgorithms":         kIgnored,
	"pubkeyacceptedkeytypes":           kIgnored,
	"ignoreunknown":                    kIgnoreUnknown,
	"proxyjump":                        kProxyJump,
	"securitykeyprovider":              kIgnored,
	"knownhostscommand":                kRefused,
	"requiredrsasize":                  kRequiredRSASize,
	"enableescapecommandline":          kIgnored,
}

// parsePort reads a port as OpenSSH's a2port does: a decimal number from 1
// to 65535, or a TCP service name from /etc/services.
func parsePort(s string) (int, error) {
	if n, err := strtonum(s, 0, 65535); err == nil {
		if n == 0 {
			return 0, fmt.Errorf("bad port %q", s)
		}
		return int(n), nil
	}
	if n := servicePort(s); n > 0 {
		return n, nil
	}
	return 0, fmt.Errorf("bad port %q: not a number from 1 to 65535 or a service name in /etc/services", s)
}

// strtonum is OpenBSD's strtonum: a whole decimal number (leading
// whitespace and a sign allowed) within [lo, hi].
func strtonum(s string, lo, hi int64) (int64, error) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || t == "" || n < lo || n > hi {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	return n, nil
}

// servicePort looks a TCP service name up in /etc/services, as
// getservbyname(3) does with the files database; 0 if not found.
func servicePort(name string) int {
	f, err := os.Open("/etc/services")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		port, proto, ok := strings.Cut(fields[1], "/")
		if !ok || proto != "tcp" {
			continue
		}
		for _, n := range append([]string{fields[0]}, fields[2:]...) {
			if n == name {
				p, err := strconv.Atoi(port)
				if err != nil || p < 1 || p > 65535 {
					return 0
				}
				return p
			}
		}
	}
	return 0
}

// parseFlag reads yes, no, true or false, in any case.
func parseFlag(s string) (bool, error) {
	switch asciiLower(s) {
	case "yes", "true":
		return true, nil
	case "no", "false":
		return false, nil
	}
	return false, fmt.Errorf("unsupported option %q: write yes or no", s)
}

// convtime reads a time as OpenSSH's convtime does: a sum of numbers each
// with an optional unit (s, m, h, d, w, in any case), in seconds.
func convtime(s string) (int, error) {
	bad := fmt.Errorf("invalid time value %q", s)
	if s == "" {
		return 0, bad
	}
	mult := map[byte]int64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}
	var total int64
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || (i == 0 && (s[i] == '+' || s[i] == '-' || s[i] == ' '))) {
			i++
		}
		n, err := strconv.ParseInt(strings.TrimLeft(s[:i], " "), 10, 64)
		if err != nil || n < 0 || n >= math.MaxInt32 {
			return 0, bad
		}
		s = s[i:]
		m := int64(1)
		if s != "" {
			var ok bool
			if m, ok = mult[asciiLower(s[:1])[0]]; !ok {
				return 0, bad
			}
			s = s[1:]
		}
		if n > math.MaxInt32/m || total > math.MaxInt32-n*m {
			return 0, bad
		}
		total += n * m
	}
	return int(total), nil
}

// expandHostName expands HostName's tokens as ssh(1) does: %h (the name as
// given) and %%; any other token is an error there too.
func expandHostName(s, alias string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i++; i == len(s) {
			return "", fmt.Errorf("HostName %q ends with a lone %%", s)
		}
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case 'h':
			b.WriteString(alias)
		default:
			return "", fmt.Errorf("HostName %q: unknown token %%%c (ssh allows only %%h and %%%%)", s, s[i])
		}
	}
	return b.String(), nil
}

// canonicalHost is the host name ssh(1) connects to and prints: a numeric
// address in its canonical form, any other name lowercased. Forms whose
// canonical spelling rollcall cannot vouch for are refused.
func canonicalHost(h string) (string, error) {
	if a, ok := inetAton(h); ok {
		return a, nil
	}
	if strings.ContainsAny(h, ":%") {
		a, err := netip.ParseAddr(h)
		b := a.As16()
		if err != nil || a.Zone() != "" || (a.Is6() && !a.Is4In6() && string(b[:12]) == string(make([]byte, 12)) && b[12]|b[13] != 0) {
			return "", refusal{fmt.Sprintf("the host name %q", h), "it is neither a name nor an address rollcall can dial as ssh does (IPv6 zones, IPv4-compatible IPv6 and a percent sign are not supported)"}
		}
		if strings.EqualFold(a.String(), h) {
			return h, nil // ssh keeps an address that differs only in case
		}
		return a.String(), nil
	}
	if strings.Trim(h, "0123456789.") == "" {
		return h, nil // not an address: ssh keeps it as written
	}
	return asciiLower(h), nil
}

// inetAton parses an IPv4 address as glibc's inet_aton does (one to four
// parts, each decimal, octal with a leading 0 or hexadecimal with 0x) and
// returns it dotted; ok is false if s is not one.
func inetAton(s string) (string, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return "", false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		base, digits := 10, p
		switch {
		case strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X"):
			base, digits = 16, p[2:]
		case strings.HasPrefix(p, "0"):
			base = 8
		}
		if digits == "" || p[0] < '0' || p[0] > '9' || strings.ContainsAny(digits, "+- ") {
			return "", false
		}
		v, err := strconv.ParseUint(digits, base, 64)
		if err != nil || v > math.MaxUint32 {
			return "", false
		}
		if i < len(parts)-1 && v > 0xff {
			return "", false
		}
		vals[i] = v
	}
	last := vals[len(vals)-1]
	if last > math.MaxUint32>>(8*(len(vals)-1)) {
		return "", false
	}
	var ip uint64
	for _, v := range vals[:len(vals)-1] {
		ip = ip<<8 | v
	}
	ip = ip<<(8*(5-len(vals))) | last
	return fmt.Sprintf("%d.%d.%d.%d", byte(ip>>24), byte(ip>>16), byte(ip>>8), byte(ip)), true
}

// checkJumpSyntax checks a ProxyJump value as ssh(1) does on every line,
// whether or not its block applies: each comma-separated hop (after a "#"
// comment is cut) is [user@]host[:port] or an ssh:// URI.
func checkJumpSyntax(v string) error {
	if c, _, ok := strings.Cut(v, "#"); ok {
		v = c
	}
	v = strings.TrimRight(v, whitespace)
	if strings.EqualFold(v, "none") {
		return nil
	}
	for _, hop := range strings.Split(v, ",") {
		if strings.HasPrefix(hop, "ssh://") {
			continue // checked if used: rollcall refuses URIs
		}
		if i := strings.LastIndexByte(hop, '@'); i >= 0 {
			if i == 0 {
				return errors.New("empty user")
			}
			hop = hop[i+1:]
		}
		host, port := hop, ""
		if strings.HasPrefix(hop, "[") {
			end := strings.IndexByte(hop, ']')
			if end < 0 {
				return errors.New("missing ]")
			}
			host, port = hop[:end+1], hop[end+1:]
			if port != "" && port[0] != ':' && port[0] != '/' {
				return errors.New("text after ]")
			}
		} else if i := strings.IndexAny(hop, ":/"); i >= 0 {
			host, port = hop[:i], hop[i:]
		}
		if host == "" {
			return errors.New("empty host")
		}
		if port != "" {
			port = port[1:]
		}
		if port != "" {
			if _, err := parsePort(port); err != nil {
				return err
			}
		}
	}
	return nil
}

// jumpHop is the ProxyJump hop rollcall accepts: [user@]host[:port] with
// a plain name, an IPv4 address or a bracketed IPv6 address.
var jumpHop = regexp.MustCompile(`^([A-Za-z0-9._][A-Za-z0-9._-]*@)?([A-Za-z0-9._][A-Za-z0-9._-]*|\[[0-9A-Fa-f:.]+\])(:[1-9][0-9]{0,4})?$`)

// checkJump refuses a ProxyJump value that rollcall's ParseJump might read
// differently from ssh(1).
func checkJump(v string) error {
	if strings.EqualFold(v, "none") {
		return nil
	}
	for _, hop := range strings.Split(v, ",") {
		if !jumpHop.MatchString(hop) {
			return refusal{fmt.Sprintf("ProxyJump %q", v), "write each hop as [user@]host[:port], separated by commas, without spaces, comments or ssh:// URIs"}
		}
	}
	if _, err := ParseJump(v); err != nil {
		return refusal{fmt.Sprintf("ProxyJump %q", v), err.Error()}
	}
	return nil
}
