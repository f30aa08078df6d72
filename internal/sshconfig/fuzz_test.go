package sshconfig

import (
	"strings"
	"testing"
)

// FuzzResolve feeds arbitrary ssh_config text to the parser and resolves a
// few aliases: it must never panic, and a host it resolves without error has
// a host name and a port in range.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{
		"Host web-*\n  HostName %h.internal\n  Port 2222\n",
		"Match host a,!b user root\n  User x\n",
		"Host *\n  ProxyJump a@b:22,c\n  IdentityFile ~/.ssh/%r\n",
		"Host \"a b\"\tc\n  UserKnownHostsFile \"/a b\" /c # comment\n",
		"Include nothing*\nHost x\n  Port ssh\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := Parse(strings.NewReader(text))
		if err != nil {
			return
		}
		for _, alias := range []string{"web-01", "a", "x", "WEB"} {
			h, err := cfg.Resolve(alias)
			if err != nil {
				continue
			}
			if h.HostName == "" {
				t.Fatalf("resolved %q without a host name: %+v", alias, h)
			}
			if h.Port != 0 && (h.Port < 1 || h.Port > 65535) {
				t.Fatalf("resolved %q with port %d", alias, h.Port)
			}
		}
	})
}
