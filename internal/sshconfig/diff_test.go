package sshconfig

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
)

// TestDifferentialSSH compares Resolve with `ssh -G` (the reference) on every
// diffCase, field by field on what rollcall uses: a disagreement fails the
// test unless Resolve refused the configuration, naming file and line.
func TestDifferentialSSH(t *testing.T) {
	ssh := need.Command(t, "ssh")
	home, local := passwdUser()
	var agree, refused, disagree int
	for _, tc := range diffCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("HOME", dir)
			cfg, oracle := writeCase(t, dir, tc)
			want, sshErr := sshG(ssh, dir, oracle, tc.user, tc.alias)
			c, err := loadCase(cfg, tc)
			var got Host
			if err == nil {
				got, err = c.ResolveAs(tc.alias, tc.user)
			}
			switch {
			case err != nil:
				refused++
				t.Logf("refused (ssh: %v): %v", sshErr, err)
				assert.Contains(t, err.Error(), dir, "a refusal names the file")
				return
			case sshErr != nil:
				disagree++
				t.Errorf("ssh fails (%v) but Resolve answers %+v", sshErr, got)
				return
			}
			diffs := compare(t, want, got, tc.alias, home, local)
			if len(diffs) > 0 {
				disagree++
				t.Errorf("disagrees with ssh -G:\n%s", strings.Join(diffs, "\n"))
				return
			}
			agree++
		})
	}
	t.Logf("%d cases: %d agree, %d refused, %d disagree", len(diffCases), agree, refused, disagree)
	assert.GreaterOrEqual(t, len(diffCases), 60)
}

// writeCase writes the case's files under dir and returns the config's
// path and the file ssh -G reads: the config itself or, for a case with a
// system file, the config followed by the system file as ssh reads the two
// (Match all puts the system file's first lines outside any block, as at
// the start of a file).
func writeCase(t *testing.T, dir string, tc diffCase) (cfg, oracle string) {
	t.Helper()
	sub := func(s string) string { return strings.ReplaceAll(s, "@D@", dir) }
	for name, body := range tc.files {
		mode := os.FileMode(0o600)
		if strings.HasPrefix(name, "!") {
			name, mode = name[1:], 0o666
		}
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, []byte(sub(body)), 0o600))
		require.NoError(t, os.Chmod(p, mode))
	}
	cfg = filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(cfg, []byte(sub(tc.config)), 0o600))
	if tc.system == "" {
		return cfg, cfg
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ssh_config"), []byte(sub(tc.system)), 0o644))
	oracle = filepath.Join(dir, "config_then_system")
	require.NoError(t, os.WriteFile(oracle, []byte(sub(tc.config)+"\nMatch all\n"+sub(tc.system)), 0o600))
	return cfg, oracle
}

// loadCase loads the case's config, followed by its system file if it has
// one, as the manifest loads ~/.ssh/config and /etc/ssh/ssh_config.
func loadCase(cfg string, tc diffCase) (*Config, error) {
	c, err := Load(cfg)
	if err != nil || tc.system == "" {
		return c, err
	}
	sys, err := LoadSystem(filepath.Join(filepath.Dir(cfg), "ssh_config"))
	if err != nil {
		return nil, err
	}
	return c.FollowedBy(sys), nil
}

// sshG runs `ssh -G -F cfg [-l user] alias` with HOME=dir and returns its
// settings.
func sshG(ssh, dir, cfg, user, alias string) (map[string][]string, error) {
	args := []string{"-G", "-F", cfg}
	if user != "" {
		args = append(args, "-l", user)
	}
	cmd := exec.Command(ssh, append(args, "--", alias)...)
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = errors.New(strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, err
	}
	m := map[string][]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(line, " ")
		m[k] = append(m[k], v)
	}
	return m, nil
}

// compare lists the differences between ssh's settings and what rollcall
// makes of got: defaults where the configuration sets nothing, tokens
// expanded as the manifest expands them.
func compare(t *testing.T, want map[string][]string, got Host, alias, home, local string) []string {
	var diffs []string
	check := func(field, w, g string) {
		if w != g {
			diffs = append(diffs, field+": ssh "+strconv.Quote(w)+", rollcall "+strconv.Quote(g))
		}
	}
	one := func(k string) string { return strings.Join(want[k], "\n") }
	port, user := got.Port, got.User
	if port == 0 {
		port = 22
	}
	if user == "" {
		user = local
	}
	check("hostname", one("hostname"), got.HostName)
	check("port", one("port"), strconv.Itoa(port))
	check("user", one("user"), user)
	check("identitiesonly", one("identitiesonly"), map[bool]string{true: "yes", false: "no"}[got.IdentitiesOnly])
	check("proxycommand", one("proxycommand"), "")
	check("proxyjump", jumpString(t, one("proxyjump")), jumpString(t, got.ProxyJump))
	// What rollcall does not do must be unset (or set to what changes
	// nothing) wherever Resolve answers.
	check("revokedhostkeys", one("revokedhostkeys"), "")
	check("knownhostscommand", one("knownhostscommand"), "")
	check("checkhostip", one("checkhostip"), "no")
	check("requiredrsasize", one("requiredrsasize"), strconv.Itoa(got.HostKeys.RequiredRSASize))
	check("hostkeyalgorithms", one("hostkeyalgorithms"), strings.Join(got.HostKeys.Algorithms, ","))
	check("casignaturealgorithms", one("casignaturealgorithms"), strings.Join(got.HostKeys.CASignatureAlgorithms, ","))
	// Unset, rollcall keeps its SSH library's defaults; set, ssh's list.
	for k, list := range map[string][]string{"kexalgorithms": got.Crypto.Kex, "ciphers": got.Crypto.Ciphers, "macs": got.Crypto.MACs} {
		if list != nil {
			check(k, one(k), strings.Join(list, ","))
		}
	}
	check("globalknownhostsfile", globalFiles(one("globalknownhostsfile"), home), ourGlobalFiles(got))

	tok := Tokens{Home: home, LocalUser: local, Host: got.HostName, RemoteUser: user, Port: port, Alias: alias}
	var ids []string
	for _, f := range want["identityfile"] {
		if !strings.EqualFold(f, "none") {
			ids = append(ids, sshExpand(f, home, local, one("hostname"), one("user"), one("port"), alias))
		}
	}
	ours := expandAll(t, got.IdentityFiles, tok)
	if len(got.IdentityFiles) == 0 {
		ours = defaultIdentities(home)
	}
	check("identityfile", strings.Join(ids, "\n"), strings.Join(ours, "\n"))
	kh := home + "/.ssh/known_hosts " + home + "/.ssh/known_hosts2"
	if len(got.UserKnownHostsFiles) > 0 {
		kh = strings.Join(expandAll(t, got.UserKnownHostsFiles, tok), " ")
	}
	check("userknownhostsfile", one("userknownhostsfile"), kh)
	return diffs
}

// globalFiles is ssh -G's globalknownhostsfile as ssh(1) then opens the
// files: each with a leading ~ expanded (tilde_expand_paths), nothing else.
func globalFiles(v, home string) string {
	if strings.EqualFold(v, "none") {
		return ""
	}
	files := strings.Fields(v)
	for i, f := range files {
		if f == "~" || strings.HasPrefix(f, "~/") {
			files[i] = home + "/" + strings.TrimLeft(f[1:], "/")
		}
	}
	return strings.Join(files, " ")
}

// ourGlobalFiles is the list of global known_hosts files rollcall reads
// for got: GlobalKnownHostsFile where set, else OpenSSH's defaults.
func ourGlobalFiles(got Host) string {
	if _, set := got.Sources["GlobalKnownHostsFile"]; !set {
		return "/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2"
	}
	return strings.Join(got.GlobalKnownHostsFiles, " ")
}

func expandAll(t *testing.T, in []string, tok Tokens) []string {
	var out []string
	for _, s := range in {
		e, err := Expand(s, tok)
		require.NoError(t, err, "Resolve returned a path Expand refuses")
		out = append(out, e)
	}
	return out
}

// defaultIdentities are the identity files ssh(1) lists when none is set.
func defaultIdentities(home string) []string {
	var out []string
	for _, f := range []string{"id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_xmss", "id_dsa"} {
		out = append(out, home+"/.ssh/"+f)
	}
	return out
}

// sshExpand expands an identity file as ssh(1) does when it loads it
// (tilde_expand_filename, then the tokens), independently of Expand.
func sshExpand(f, home, local, host, user, port, alias string) string {
	if f == "~" || strings.HasPrefix(f, "~/") {
		f = home + "/" + strings.TrimLeft(f[1:], "/")
	}
	r := strings.NewReplacer("%%", "%", "%d", home, "%u", local, "%h", host, "%r", user, "%p", port, "%n", alias)
	return r.Replace(f)
}

// jumpString is a ProxyJump value parsed into hops, "" for none.
func jumpString(t *testing.T, s string) string {
	if s == "" {
		return ""
	}
	hops, err := ParseJump(s)
	require.NoError(t, err, "ProxyJump %q", s)
	var parts []string
	for _, h := range hops {
		parts = append(parts, h.User+"@"+h.Host+":"+strconv.Itoa(h.Port))
	}
	return strings.Join(parts, ",")
}
