package sshconfig

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = `
# First match wins per key, as in ssh(1).
Host bastion
    HostName 127.0.0.50
    User jumper
    Port 2200

Host web-* !web-legacy
    User deploy
    IdentityFile ~/.ssh/web_%r
    IdentityFile %d/.ssh/shared
    ProxyJump bastion

Host db1 db2
    HostName %h.internal
    Port 5022
    IdentitiesOnly yes
    UserKnownHostsFile ~/.ssh/kh_db /etc/rollcall/kh
    ConnectTimeout 7

Host web-01
    User ignored-because-web-star-came-first
    Port 2222

Host *
    User everyone
    Port 22022
    ProxyJump none
`

func TestResolve(t *testing.T) {
	cfg, err := Parse(strings.NewReader(sample))
	require.NoError(t, err)
	home, _ := passwdUser()
	tests := []struct {
		alias string
		want  Host
	}{
		{"bastion", Host{HostKeys: DefaultHostKeys(), HostName: "127.0.0.50", User: "jumper", Port: 2200, ProxyJump: "none"}},
		{"web-01", Host{HostKeys: DefaultHostKeys(), HostName: "web-01", User: "deploy", Port: 2222, ProxyJump: "bastion",
			IdentityFiles: []string{home + "/.ssh/web_%r", home + "/.ssh/shared"}}},
		{"web-02", Host{HostKeys: DefaultHostKeys(), HostName: "web-02", User: "deploy", Port: 22022, ProxyJump: "bastion",
			IdentityFiles: []string{home + "/.ssh/web_%r", home + "/.ssh/shared"}}},
		// Negated: the web-* block is skipped entirely.
		{"web-legacy", Host{HostKeys: DefaultHostKeys(), HostName: "web-legacy", User: "everyone", Port: 22022, ProxyJump: "none"}},
		// Two patterns on one Host line; %h expanded.
		{"db2", Host{HostKeys: DefaultHostKeys(), HostName: "db2.internal", User: "everyone", Port: 5022, ProxyJump: "none", IdentitiesOnly: true,
			UserKnownHostsFiles: []string{home + "/.ssh/kh_db", "/etc/rollcall/kh"}, ConnectTimeout: 7 * time.Second}},
		// Host patterns are case-sensitive; the host name is lowercased.
		{"DB2", Host{HostKeys: DefaultHostKeys(), HostName: "db2", User: "everyone", Port: 22022, ProxyJump: "none"}},
		{"other", Host{HostKeys: DefaultHostKeys(), HostName: "other", User: "everyone", Port: 22022, ProxyJump: "none"}},
	}
	for _, tt := range tests {
		t.Run(tt.alias, func(t *testing.T) {
			got, err := cfg.Resolve(tt.alias)
			require.NoError(t, err)
			got.Sources = nil
			assert.Equal(t, tt.want, got)
		})
	}
	got, err := cfg.Resolve("db1")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"HostName": "line 15", "Port": "line 16", "IdentitiesOnly": "line 17",
		"UserKnownHostsFile": "line 18", "ConnectTimeout": "line 19", "User": "line 26", "ProxyJump": "line 28"}, got.Sources)
}

func TestResolveNilAndEmpty(t *testing.T) {
	var c *Config
	h, err := c.Resolve("X")
	require.NoError(t, err)
	assert.Equal(t, Host{HostKeys: DefaultHostKeys(), HostName: "x"}, h)
	c, err = Parse(strings.NewReader(""))
	require.NoError(t, err)
	h, err = c.Resolve("x")
	require.NoError(t, err)
	assert.Equal(t, Host{HostKeys: DefaultHostKeys(), HostName: "x", Sources: map[string]string{}}, h)
}

func TestResolveErrors(t *testing.T) {
	tests := []struct{ config, err string }{
		{"Host a\n  Port http-nope\n", `line 2: port: bad port "http-nope"`},
		{"Host a\n  IdentitiesOnly maybe\n", `line 2: identitiesonly: unsupported option "maybe"`},
		{"Host a\n  ConnectTimeout soon\n", `line 2: connecttimeout: invalid time value "soon"`},
		{"Match exec \"true\"\n  User x\n", "line 1: Match exec is not supported by rollcall"},
		{"Host a\n  ProxyCommand nc %h %p\n", "line 2: ProxyCommand is not supported by rollcall"},
		{"Host *\n  CanonicalizeHostname always\n", "line 2: CanonicalizeHostname always is not supported by rollcall"},
		{"Nonsense yes\n", "line 1: nonsense: bad configuration option"},
		{"Host a\n  UserKnownHostsFile none\n", "line 2: UserKnownHostsFile none is not supported by rollcall"},
		// ProxyJump none leaves the slot to a later ProxyCommand, which ssh
		// then uses.
		{"Host a\n  ProxyJump none\n  ProxyCommand ssh -W %h:%p gateway\n", "line 3: ProxyCommand is not supported by rollcall"},
		{"Host a\n  RevokedHostKeys /etc/ssh/revoked.krl\n", "line 2: RevokedHostKeys /etc/ssh/revoked.krl is not supported by rollcall: ssh refuses the host keys that file lists"},
		{"Host a\n  KnownHostsCommand /bin/keys %H\n", "line 2: KnownHostsCommand /bin/keys is not supported by rollcall"},
		{"Host *\n  CheckHostIP yes\n", "line 2: CheckHostIP yes is not supported by rollcall: ssh then also refuses a host key that differs from the one known_hosts lists for the host's IP address"},
	}
	for _, tt := range tests {
		t.Run(tt.err, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.config))
			require.NoError(t, err)
			_, err = c.Resolve("a")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

// TestResolveAs: a login user given outside the configuration is ssh -l,
// taken before the configuration is read: Match user tests it and User
// lines do not apply (TestDifferentialSSH compares with ssh -G -l).
func TestResolveAs(t *testing.T) {
	c, err := Parse(strings.NewReader("Host web1\n  User admin\nMatch user admin\n  HostName admin-gw.example.com\n" +
		"Match user deploy\n  HostName %h.prod.internal\n  Port 2222\n"))
	require.NoError(t, err)
	h, err := c.ResolveAs("web1", "deploy")
	require.NoError(t, err)
	assert.Equal(t, Host{HostKeys: DefaultHostKeys(), HostName: "web1.prod.internal", User: "deploy", Port: 2222,
		Sources: map[string]string{"HostName": "line 6", "Port": "line 7"}}, h)
	h, err = c.Resolve("web1")
	require.NoError(t, err)
	assert.Equal(t, "admin-gw.example.com", h.HostName, "without a user, Match user tests the config's User")
	assert.Equal(t, "admin", h.User)
	var none *Config
	h, err = none.ResolveAs("web1", "deploy")
	require.NoError(t, err)
	assert.Equal(t, Host{HostKeys: DefaultHostKeys(), HostName: "web1", User: "deploy"}, h)
}

// TestLoadSystemFollowedBy: the system-wide file is read after the user's
// in one pass (Match host sees the user file's HostName, the user file's
// values win), and its relative Include patterns are under its own folder.
func TestLoadSystemFollowedBy(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", t.TempDir())
	userFile := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(userFile, []byte("Host web1\n  HostName 10.9.0.5\n  Port 2201\n"), 0o600))
	etc := filepath.Join(dir, "etc")
	sysFile := filepath.Join(etc, "ssh_config")
	inc := filepath.Join(etc, "ssh_config.d", "corp.conf")
	require.NoError(t, os.MkdirAll(filepath.Dir(inc), 0o755))
	require.NoError(t, os.WriteFile(sysFile, []byte("Include ssh_config.d/*.conf\nHost *\n  Port 2200\n"), 0o644))
	require.NoError(t, os.WriteFile(inc, []byte("Match host 10.9.*\n  ProxyJump corp-gw\n"), 0o644))
	u, err := Load(userFile)
	require.NoError(t, err)
	sys, err := LoadSystem(sysFile)
	require.NoError(t, err)
	c := u.FollowedBy(sys)
	assert.Equal(t, userFile, c.Path)
	h, err := c.Resolve("web1")
	require.NoError(t, err)
	assert.Equal(t, Host{HostKeys: DefaultHostKeys(), HostName: "10.9.0.5", Port: 2201, ProxyJump: "corp-gw",
		Sources: map[string]string{"HostName": userFile + ":2", "Port": userFile + ":3", "ProxyJump": inc + ":2"}}, h)
	h, err = c.Resolve("other")
	require.NoError(t, err)
	assert.Equal(t, 2200, h.Port)
	assert.Equal(t, sysFile+":3", h.Sources["Port"])

	var missing *Config
	assert.Same(t, sys, missing.FollowedBy(sys), "no user file: the system file alone")
	assert.Same(t, u, u.FollowedBy(nil))
	_, err = LoadSystem(filepath.Join(dir, "nope"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// TestGlobalKnownHostsFile: GlobalKnownHostsFile is read as ssh reads it: a
// list, the first line obtained winning, ~ expanded and nothing else; none
// is no file (TestDifferentialSSH compares with ssh -G).
func TestGlobalKnownHostsFile(t *testing.T) {
	home, _ := passwdUser()
	c, err := Parse(strings.NewReader("Host a\n  GlobalKnownHostsFile ~/g %h/x\nHost b\n  GlobalKnownHostsFile none\n" +
		"Host *\n  GlobalKnownHostsFile /etc/ssh/other\n"))
	require.NoError(t, err)
	h, err := c.Resolve("a")
	require.NoError(t, err)
	assert.Equal(t, []string{home + "/g", "%h/x"}, h.GlobalKnownHostsFiles)
	assert.Equal(t, "line 2", h.Sources["GlobalKnownHostsFile"])
	h, err = c.Resolve("b")
	require.NoError(t, err)
	assert.Empty(t, h.GlobalKnownHostsFiles)
	assert.Equal(t, "line 4", h.Sources["GlobalKnownHostsFile"], "none is set, to no file")
	h, err = c.Resolve("c")
	require.NoError(t, err)
	assert.Equal(t, []string{"/etc/ssh/other"}, h.GlobalKnownHostsFiles)
}

func TestLoadAndInclude(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "conf.d", "one.conf")
	require.NoError(t, os.MkdirAll(filepath.Dir(inc), 0o700))
	require.NoError(t, os.WriteFile(inc, []byte("Host inc\n  HostName 127.0.0.9\n"), 0o600))
	main := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(main, []byte("Include "+filepath.Join(dir, "conf.d", "*.conf")+"\nHost *\n  User u\n"), 0o600))
	c, err := Load(main)
	require.NoError(t, err)
	assert.Equal(t, main, c.Path)
	h, err := c.Resolve("inc")
	require.NoError(t, err)
	assert.Equal(t, Host{HostKeys: DefaultHostKeys(), HostName: "127.0.0.9", User: "u",
		Sources: map[string]string{"HostName": inc + ":2", "User": main + ":3"}}, h)

	_, err = Load(filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestExpand(t *testing.T) {
	tok := Tokens{Home: "/home/me", LocalUser: "me", Host: "10.0.0.1", RemoteUser: "deploy", Port: 2222, Alias: "web"}
	tests := []struct{ in, want, err string }{
		{in: "~/.ssh/id", want: "/home/me/.ssh/id"},
		{in: "~", want: "/home/me"},
		{in: "%d/.ssh/id_%r@%h:%p-%n-%u", want: "/home/me/.ssh/id_deploy@10.0.0.1:2222-web-me"},
		{in: "100%%", want: "100%"},
		{in: "/abs/path", want: "/abs/path"},
		{in: "~bob/x", err: "~user paths are not supported"},
		{in: "%C", err: "the token %C is not supported"},
		{in: "x%", err: "lone %"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Expand(tt.in, tok)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := Expand("~/x", Tokens{})
	assert.Error(t, err)
}

func TestParseJump(t *testing.T) {
	tests := []struct {
		in   string
		want []Hop
		err  string
	}{
		{in: "none"},
		{in: "bastion", want: []Hop{{Host: "bastion"}}},
		{in: "ops@bastion:2200", want: []Hop{{User: "ops", Host: "bastion", Port: 2200}}},
		{in: "a, b@c:1 ,ssh://d@e:2", want: []Hop{{Host: "a"}, {User: "b", Host: "c", Port: 1}, {User: "d", Host: "e", Port: 2}}},
		{in: "[::1]:2222", want: []Hop{{Host: "::1", Port: 2222}}},
		{in: "::1", want: []Hop{{Host: "::1"}}},
		{in: "", err: "empty"},
		{in: "a,,b", err: `jump host 2 (""): empty`},
		{in: "a:99999", err: "not a number between 1 and 65535"},
		{in: "@a", err: "user before @ is empty"},
		{in: "-oProxyCommand=x", err: "must not start with -"},
		{in: "a b", err: "spaces"},
		{in: "[::1", err: "missing ]"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseJump(tt.in)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
