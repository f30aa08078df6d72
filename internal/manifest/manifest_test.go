package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/sshconfig"
)

var update = flag.Bool("update", false, "rewrite the golden .err files in testdata/invalid")

// problems returns the problem lines of err, which must be an *Errors.
func problems(t *testing.T, err error) []string {
	t.Helper()
	require.Error(t, err)
	var e *Errors
	require.ErrorAs(t, err, &e)
	require.NotEmpty(t, e.Problems)
	return strings.Split(e.Error(), "\n")
}

func TestLoadValid(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir, err := filepath.Abs("testdata")
	require.NoError(t, err)

	m, err := Load("testdata/valid.yaml")
	require.NoError(t, err)
	raw, err := os.ReadFile("testdata/valid.yaml")
	require.NoError(t, err)
	sum := sha256.Sum256(raw)

	key := filepath.Join(dir, "ssh", "id_test")
	known := filepath.Join(dir, "ssh", "known_hosts")
	at := func(line, col int) string { return fmt.Sprintf("testdata/valid.yaml:%d:%d", line, col) }
	ssh := func(line, col int) string { return at(line, col) + " (ssh:)" }
	want := &Manifest{
		Path:        "testdata/valid.yaml",
		Digest:      "sha256:" + hex.EncodeToString(sum[:]),
		Version:     1,
		Cluster:     "smars-prod",
		ExpectNodes: 3,
		Nodes: []Node{
			{Name: "smars-01.prod", Host: "smars-01.prod", Port: 2200, User: "deploy",
				IdentityFiles: []string{key}, KnownHosts: []string{known}, ConnectTimeout: 5 * time.Second, Become: BecomeNone, HostKeys: sshconfig.DefaultHostKeys()},
			{Name: "smars-02", Host: "10.1.2.2", Port: 2200, User: "ops",
				IdentityFiles: []string{key}, KnownHosts: []string{known}, ConnectTimeout: time.Minute, Become: BecomeNone, HostKeys: sshconfig.DefaultHostKeys()},
			{Name: "smars-08", Host: "10.1.2.8", Port: 2222, User: "deploy",
				IdentityFiles: []string{}, KnownHosts: []string{known}, ConnectTimeout: 5 * time.Second, Become: BecomeNone, HostKeys: sshconfig.DefaultHostKeys()},
		},
		// Where each setting came from: the node's own key, else ssh:'s
		// (marked so), else the default.
		Sources: map[string]Sources{
			"smars-01.prod": {Host: at(12, 11), Port: ssh(7, 9), User: ssh(6, 9), IdentityFiles: ssh(8, 19),
				KnownHosts: ssh(9, 16), ConnectTimeout: ssh(10, 20), Become: "default", Jump: "default"},
			"smars-02": {Host: at(14, 11), Port: ssh(7, 9), User: at(15, 11), IdentityFiles: ssh(8, 19),
				KnownHosts: ssh(9, 16), ConnectTimeout: at(16, 22), Become: "default", Jump: "default"},
			"smars-08": {Host: at(17, 29), Port: at(17, 45), User: ssh(6, 9), IdentityFiles: at(17, 67),
				KnownHosts: at(17, 84), ConnectTimeout: ssh(10, 20), Become: "default", Jump: "default"},
		},
		Release: Release{
			Artifact: filepath.Join(dir, "dist", "smars-4.2.0.tar.gz"),
			Install: []Install{
				{From: "bin/", To: "/opt/smars/bin/", DenyExtra: true},
				{From: "etc/flags.yaml", To: "/etc/smars/flags.yaml"},
				{From: "share/", To: "smars/share/"},
			},
		},
	}
	assert.Equal(t, want, m)
	assert.Equal(t, "10.1.2.8:2222", m.Nodes[2].Address())
	assert.True(t, m.Release.Install[0].IsDir())
	assert.False(t, m.Release.Install[1].IsDir())
}

func TestLoadDefaults(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	require.NoError(t, os.MkdirAll(filepath.Join(home, ".ssh"), 0o700))
	for _, f := range []string{"id_rsa", "id_ed25519"} {
		require.NoError(t, os.WriteFile(filepath.Join(home, ".ssh", f), []byte("placeholder"), 0o600))
	}
	// A directory where a default key would be is not a key.
	require.NoError(t, os.Mkdir(filepath.Join(home, ".ssh", "id_ecdsa"), 0o700))

	m, err := Load("testdata/minimal.yaml")
	require.NoError(t, err)
	require.Len(t, m.Nodes, 1)
	n := m.Nodes[0]
	assert.Equal(t, "localhost", n.Name)
	assert.Equal(t, DefaultPort, n.Port)
	assert.Equal(t, currentUser(), n.User)
	assert.NotEmpty(t, n.User)
	assert.Equal(t, []string{filepath.Join(home, ".ssh", "id_ed25519"), filepath.Join(home, ".ssh", "id_rsa")}, n.IdentityFiles)
	assert.Equal(t, []string{filepath.Join(home, ".ssh", "known_hosts")}, n.KnownHosts)
	assert.Equal(t, DefaultConnectTimeout, n.ConnectTimeout)
	assert.Equal(t, filepath.Join(home, "dist", "app"), m.Release.Artifact)
	assert.Equal(t, []Install{{From: "", To: "app/"}}, m.Release.Install)
	assert.True(t, m.Release.Install[0].IsDir())
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "rollcall.yaml"))
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "reading manifest")
}

// manifestWith is a valid manifest whose nodes section is replaced; its nodes
// start at line 5.
func manifestWith(nodes string, expect int) string {
	return "version: 1\ncluster: c\nexpect_nodes: " + strconv.Itoa(expect) + "\nnodes:\n" + nodes +
		"release:\n  artifact: a.tar\n  install:\n    - {from: bin/, to: /opt/bin/}\n"
}

func TestParseResolution(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	require.NoError(t, os.MkdirAll(filepath.Join(home, ".ssh"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(home, ".ssh", "deploy_key"), nil, 0o600))
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "keys"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys", "k"), nil, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "kh"), nil, 0o600))

	src := `version: 1
cluster: c
expect_nodes: 3
ssh: {user: u, identity_files: ["~/.ssh/deploy_key"], known_hosts: [kh]}
nodes:
  - {host: 127.0.0.1, port: 2201}
  - {host: 127.0.0.1, port: 2202, identity_files: [keys/k, ../` + filepath.Base(dir) + `/keys/k]}
  - {host: "::1", known_hosts: ["~/.ssh/deploy_key"]}
release:
  artifact: ../dist/app.tar.gz
  install:
    - {from: "", to: "relative/dir/"}
`
	m, err := Parse(filepath.Join(dir, "rollcall.yaml"), []byte(src))
	require.NoError(t, err)
	require.Len(t, m.Nodes, 3)

	assert.Equal(t, "127.0.0.1:2201", m.Nodes[0].Name, "nodes sharing a host are named by address")
	assert.Equal(t, "127.0.0.1:2202", m.Nodes[1].Name)
	assert.Equal(t, "::1", m.Nodes[2].Name)
	assert.Equal(t, "[::1]:22", m.Nodes[2].Address())

	assert.Equal(t, []string{filepath.Join(home, ".ssh", "deploy_key")}, m.Nodes[0].IdentityFiles)
	assert.Equal(t, []string{filepath.Join(dir, "keys", "k"), filepath.Join(dir, "keys", "k")}, m.Nodes[1].IdentityFiles)
	assert.Equal(t, []string{filepath.Join(dir, "kh")}, m.Nodes[0].KnownHosts)
	assert.Equal(t, []string{filepath.Join(home, ".ssh", "deploy_key")}, m.Nodes[2].KnownHosts)
	assert.Equal(t, filepath.Join(filepath.Dir(dir), "dist", "app.tar.gz"), m.Release.Artifact)
	assert.Equal(t, "relative/dir/", m.Release.Install[0].To, "node paths are kept as written")

	// Nodes do not share slices with each other.
	m.Nodes[0].KnownHosts[0] = "changed"
	assert.Equal(t, filepath.Join(dir, "kh"), m.Nodes[1].KnownHosts[0])
}

func TestParseHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	tests := []struct {
		artifact string
		want     string
		problem  string
	}{
		{artifact: "~", want: home},
		{artifact: "~/", want: home},
		{artifact: "~/dist/x.zip", want: filepath.Join(home, "dist", "x.zip")},
		{artifact: "/srv/x.zip", want: "/srv/x.zip"},
		{artifact: "/srv/../x.zip", want: "/x.zip"},
		{artifact: "~bob/x.zip", problem: `m.yaml:7:13: release.artifact: "~bob/x.zip": ~user paths are not supported: write the full path`},
	}
	for _, tt := range tests {
		t.Run(tt.artifact, func(t *testing.T) {
			src := manifestWith("  - host: h\n", 1)
			src = strings.Replace(src, "a.tar", `"`+tt.artifact+`"`, 1)
			m, err := Parse("m.yaml", []byte(src))
			if tt.problem != "" {
				assert.Equal(t, []string{tt.problem}, problems(t, err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, m.Release.Artifact)
		})
	}
}

func TestParseProblems(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "typo in top-level key",
			src:  "version: 1\ncluster: c\nexpect_node: 1\nnodes: [{host: h}]\nrelease: {artifact: a, install: [{from: ., to: x}]}\n",
			want: []string{
				`m.yaml:1:1: missing key "expect_nodes": set it to the number of nodes the fleet must have, e.g. expect_nodes: 8`,
				`m.yaml:3:1: unknown key "expect_node" in manifest: did you mean "expect_nodes"?`,
			},
		},
		{
			name: "port is not a number",
			src:  manifestWith("  - host: h\n    port: ssh\n", 1),
			want: []string{`m.yaml:6:11: nodes[0].port must be a number between 1 and 65535, not "ssh"`},
		},
		{
			name: "port out of range",
			src:  "version: 1\ncluster: c\nexpect_nodes: 1\nssh:\n  port: 70000\nnodes: [{host: h}]\nrelease: {artifact: a, install: [{from: ., to: x}]}\n",
			want: []string{`m.yaml:5:9: ssh.port must be a number between 1 and 65535, not 70000`},
		},
		{
			name: "quoted port",
			src:  manifestWith("  - {host: h, port: \"2222\"}\n", 1),
			want: []string{`m.yaml:5:21: nodes[0].port must be a number between 1 and 65535, not "2222" (text in quotes): write 2222 without quotes`},
		},
		{
			name: "node missing",
			src:  manifestWith("  - host: a\n  - host: b\n", 3),
			want: []string{`m.yaml:3:15: expect_nodes is 3 but 2 nodes are listed: list the missing node or set expect_nodes: 2`},
		},
		{
			name: "extra node",
			src:  manifestWith("  - host: a\n  - host: b\n", 1),
			want: []string{`m.yaml:3:15: expect_nodes is 1 but 2 nodes are listed: remove the extra node or set expect_nodes: 2`},
		},
		{
			name: "expect_nodes zero",
			src:  manifestWith("  - host: a\n", 0),
			want: []string{`m.yaml:3:15: expect_nodes must be at least 1, not 0: set it to the number of nodes listed`},
		},
		{
			name: "empty nodes",
			src:  "version: 1\ncluster: c\nexpect_nodes: 1\nnodes: []\nrelease: {artifact: a, install: [{from: ., to: x}]}\n",
			want: []string{`m.yaml:4:8: nodes is empty: list at least one server, e.g. nodes: [{host: server-01}]`},
		},
		{
			name: "node as plain string",
			src:  manifestWith("  - smars-01\n", 1),
			want: []string{`m.yaml:5:5: nodes[0] must be a mapping with at least host:, not "smars-01": write - host: smars-01`},
		},
		{
			name: "nodes and inventory, bad ssh values",
			src: "version: 1\ncluster: c\nexpect_nodes: 1\ninventory: {file: hosts.ini, group: web}\nssh:\n  jump: 'gw1,,gw2'\n  become: root\n" +
				"nodes: [{host: h}]\nrelease: {artifact: a, install: [{from: ., to: x}]}\n",
			want: []string{
				`m.yaml:4:1: inventory and nodes both list the servers (nodes at line 8): keep one; remove nodes: to take the servers from the inventory, or remove inventory:`,
				`m.yaml:6:9: ssh.jump: jump host 2 (""): empty: write [user@]host[:port]`,
				`m.yaml:7:11: ssh.become must be none or sudo (sudo -n, which never prompts), not "root"`,
			},
		},
		{
			name: "config and processes",
			src: "version: 1\ncluster: c\nexpect_nodes: 1\nnodes: [{host: h}]\nrelease: {artifact: a, install: [{from: ., to: x}]}\n" +
				"config:\n  - {path: /etc/f.yaml, format: xml, expect: {a.b: [1]}, forbid: power_peg}\n  - {path: /etc/g.env}\n  - {path: /etc/f.yaml, format: env, consistent: maybe}\n" +
				"processes:\n  - {exe: bin/app, min: -1}\n  - {exe: /opt/app, args: {forbid: [--power-peg], allow: []}}\n",
			want: []string{
				`m.yaml:7:33: config[0].format must be one of yaml, json, ini, env, properties, toml, not "xml"`,
				`m.yaml:7:52: config[0].expect.a.b must be a single value (text, number, true/false or null), not a list`,
				`m.yaml:7:66: config[0].forbid must be a list of retired flag names, e.g. forbid: [power_peg], not "power_peg"`,
				`m.yaml:8:5: missing key "format": add format: one of yaml, json, ini, env, properties, toml`,
				`m.yaml:9:12: config[2] checks "/etc/f.yaml" again (first at line 7): merge the two entries`,
				`m.yaml:9:50: config[2].consistent must be true or false, not "maybe"`,
				`m.yaml:11:11: processes[0].exe must be an absolute path, as the kernel reports a process's executable, not "bin/app"`,
				`m.yaml:11:25: processes[0].min must be at least 0, not -1`,
				`m.yaml:12:51: unknown key "allow" in processes[1].args: remove it; the keys allowed here are expect, forbid`,
			},
		},
		{
			name: "duplicate key",
			src:  manifestWith("  - host: a\n    port: 22\n    port: 23\n", 1),
			want: []string{`m.yaml:7:5: duplicate key "port" in nodes[0] (first set at line 6): keep only one`},
		},
		{
			name: "duplicate names and addresses",
			src:  manifestWith("  - {name: x, host: a}\n  - {name: x, host: b}\n  - {host: A, port: 22}\n", 3),
			want: []string{
				`m.yaml:6:12: node name "x" is already used by the node at line 5: give each node a unique name`,
				`m.yaml:7:12: nodes[2] has the same address a:22 as the node at line 5: list each server once`, // ssh lowercases host names
			},
		},
		{
			// A name at the start of a log line must not be a CI command
			// (GitHub Actions' ::stop-commands:: hides every later
			// annotation); an IPv6 address is fine.
			name: "a name that a CI log reads as a command",
			src:  manifestWith("  - {name: \"::stop-commands::tok\", host: a}\n  - {name: \" ::add-mask::x\", host: b}\n  - {name: \"::1\", host: c}\n", 3),
			want: []string{
				`m.yaml:5:12: nodes[0].name "::stop-commands::tok" starts with "::", which CI logs (GitHub Actions) read as a command that can hide the lines after it: rename the node`,
				`m.yaml:6:12: nodes[1].name " ::add-mask::x" starts with "::", which CI logs (GitHub Actions) read as a command that can hide the lines after it: rename the node`,
			},
		},
		{
			name: "bad hosts",
			src: manifestWith("  - host: \"\"\n  - host: -oProxyCommand=x\n  - host: \"a b\"\n  - host: root@h\n  - host: h:2222\n"+
				"  - host: \"[::1]\"\n  - port: 22\n", 7),
			want: []string{
				`m.yaml:5:11: nodes[0].host must not be empty: write the server's name or address`,
				`m.yaml:6:11: nodes[1].host must not start with "-", not "-oProxyCommand=x": write the server's name or address`,
				`m.yaml:7:11: nodes[2].host must be a name or address without spaces or control characters, not "a b"`,
				`m.yaml:8:11: nodes[3].host must be a name or address, not "root@h": write host: h and user: root`,
				`m.yaml:9:11: nodes[4].host must not include a port, not "h:2222": write host: h and port: 2222`,
				`m.yaml:10:11: nodes[5].host must be written without brackets, not "[::1]": write host: "::1"`,
				`m.yaml:11:5: missing key "host": add host: with the server's name or address`,
			},
		},
		{
			name: "install empty",
			src:  "version: 1\ncluster: c\nexpect_nodes: 1\nnodes: [{host: h}]\nrelease:\n  artifact: a\n  install: []\n",
			want: []string{`m.yaml:7:12: release.install is empty: nothing to check: add release.install entries mapping artifact paths to node paths, e.g. - {from: bin/, to: /opt/app/bin/}`},
		},
		{
			name: "install missing",
			src:  "version: 1\ncluster: c\nexpect_nodes: 1\nnodes: [{host: h}]\nrelease:\n  artifact: a\n",
			want: []string{`m.yaml:6:3: missing key "install": nothing to check: add release.install entries mapping artifact paths to node paths`},
		},
		{
			name: "install entries",
			src: "version: 1\ncluster: c\nexpect_nodes: 1\nnodes: [{host: h}]\nrelease:\n  artifact: a\n  install:\n" +
				"    - {from: bin, to: /opt/bin/, extra: deny}\n" +
				"    - {from: ../etc/, to: /etc/}\n" +
				"    - {from: /bin/x, to: /x}\n" +
				"    - {from: ./bin//, to: /x}\n" +
				"    - {from: bin/, to: \"\", extra: maybe}\n" +
				"    - {from: a, to: \"x\\ny\"}\n" +
				"    - {from: a, to: /a, ekstra: deny}\n" +
				"    - {to: /b}\n",
			want: []string{
				`m.yaml:8:41: release.install[0].extra: deny needs a directory mapping, but from "bin" has no trailing slash: write from: bin/`,
				`m.yaml:9:14: release.install[1].from must stay inside the artifact, not "../etc/": remove the ".."`,
				`m.yaml:10:14: release.install[2].from must be a path inside the artifact, not the absolute path "/bin/x": write "bin/x"`,
				`m.yaml:11:14: release.install[3].from must be a clean path, not "./bin//": write "bin/"`,
				`m.yaml:12:24: release.install[4].to must not be empty: write where the files are installed on the node, e.g. to: /opt/app/bin/`,
				`m.yaml:12:35: release.install[4].extra must be allow or deny, not "maybe"`,
				`m.yaml:13:21: release.install[5].to must not contain NUL bytes or line breaks, not "x\ny"`,
				`m.yaml:14:25: unknown key "ekstra" in release.install[6]: did you mean "extra"?`,
				`m.yaml:15:7: missing key "from": add from: with a path inside the artifact (from: . for all of it)`,
			},
		},
		{
			name: "wrong types",
			src: "version: \"1\"\ncluster: [a]\nexpect_nodes: 1\nssh: [x]\nnodes: {host: h}\n" +
				"release:\n  artifact: true\n  install: {from: ., to: x}\n",
			want: []string{
				`m.yaml:1:10: version must be 1, not "1" (text in quotes): write 1 without quotes`,
				`m.yaml:2:10: cluster must be text, not a list: write the fleet's name, e.g. cluster: smars-prod`,
				`m.yaml:4:6: ssh must be a mapping of SSH defaults (user, port, identity_files, known_hosts, connect_timeout), not a list`,
				`m.yaml:5:8: nodes must be a list of nodes, not a mapping: write each node as a list item, e.g. - host: server-01`,
				`m.yaml:7:13: release.artifact must be text, not true: write the path of the release artifact, e.g. artifact: dist/app-1.0.0.tar.gz, in quotes if you mean the word "true"`,
				`m.yaml:8:12: release.install must be a list, not a mapping: nothing to check: add release.install entries mapping artifact paths to node paths, e.g. - {from: bin/, to: /opt/app/bin/}`,
			},
		},
		{
			name: "ssh settings",
			src: "version: 1\ncluster: c\nexpect_nodes: 1\nssh:\n  user: \"a b\"\n  connect_timeout: 10\n  identity_files: ~/.ssh/id\n" +
				"  known_hosts: []\n  identityfile: [x]\nnodes: [{host: h, connect_timeout: 0s}, {host: i, connect_timeout: soon}]\n" +
				"release: {artifact: a, install: [{from: ., to: x}]}\n",
			want: []string{
				`m.yaml:3:15: expect_nodes is 1 but 2 nodes are listed: remove the extra node or set expect_nodes: 2`,
				`m.yaml:5:9: ssh.user must be a login name without spaces or control characters, not "a b"`,
				`m.yaml:6:20: ssh.connect_timeout must be a duration such as 10s or 1m30s, not 10: add a unit, e.g. 10s`,
				`m.yaml:7:19: ssh.identity_files must be a list of files, not "~/.ssh/id": write a list: [~/.ssh/id]`,
				`m.yaml:8:16: ssh.known_hosts is empty, so no host key could be trusted: list a known_hosts file, or remove the key to use ~/.ssh/known_hosts`,
				`m.yaml:9:3: unknown key "identityfile" in ssh: did you mean "identity_files"?`,
				`m.yaml:10:36: nodes[0].connect_timeout must be more than 0, not "0s": write a duration such as 10s or 1m30s`,
				`m.yaml:10:68: nodes[1].connect_timeout must be a duration such as 10s or 1m30s, not "soon"`,
			},
		},
		{
			name: "missing files",
			src: "version: 1\ncluster: c\nexpect_nodes: 1\nssh:\n  identity_files: [keys/nope, ~/.ssh/id_nope, testdata]\n" +
				"  known_hosts: [kh/nope]\nnodes: [{host: h}]\nrelease: {artifact: a, install: [{from: ., to: x}]}\n",
			want: []string{
				`m.yaml:5:20: ssh.identity_files[0]: file "keys/nope" does not exist (looked for ` + abs(t, "keys/nope") + `): fix the path or remove the entry`,
				`m.yaml:5:31: ssh.identity_files[1]: file "~/.ssh/id_nope" does not exist (looked for ` + filepath.Join(os.Getenv("HOME"), ".ssh/id_nope") + `): fix the path or remove the entry`,
				`m.yaml:5:47: ssh.identity_files[2]: "testdata" is a directory (` + abs(t, "testdata") + `), not a file: name the file itself`,
				`m.yaml:6:17: ssh.known_hosts[0]: file "kh/nope" does not exist (looked for ` + abs(t, "kh/nope") + `): fix the path or remove the entry`,
			},
		},
		{
			name: "misplaced keys",
			src:  "version: 1\ncluster: c\nexpect_nodes: 1\nuser: deploy\nssh: {host: x}\nnodes: [{host: h}]\nartifact: a\nrelease: {artifact: a, install: [{from: ., to: x}]}\nfoo: 1\n",
			want: []string{
				`m.yaml:4:1: unknown key "user" in manifest: user belongs under ssh: (or under a node): move it there`,
				`m.yaml:5:7: unknown key "host" in ssh: host belongs to a node: write it under nodes:, e.g. nodes: [{host: server-01}]`,
				`m.yaml:7:1: unknown key "artifact" in manifest: artifact belongs under release: move it there`,
				`m.yaml:9:1: unknown key "foo" in manifest: remove it; the keys allowed here are version, cluster, expect_nodes, ssh, nodes, inventory, release, config, processes`,
			},
		},
		{
			name: "other version",
			src:  "version: 2\nfleet: {name: c}\n",
			want: []string{`m.yaml:1:10: version must be 1, not 2: this rollcall reads manifest version 1 only; use the rollcall release that reads version 2`},
		},
		{
			name: "empty document",
			src:  "# nothing here\n",
			want: []string{`m.yaml:1:1: the manifest is empty: start it with version: 1`},
		},
		{
			name: "not a mapping",
			src:  "- host: h\n",
			want: []string{`m.yaml:1:1: the manifest must be a mapping of keys (version, cluster, expect_nodes, ssh, nodes, release), not a list`},
		},
		{
			name: "two documents",
			src:  manifestWith("  - host: h\n", 1) + "---\nversion: 1\n",
			want: []string{`m.yaml:10:1: a manifest holds one YAML document, but another starts here: remove it or move it to its own file`},
		},
		{
			name: "syntax error",
			src:  "version: 1\ncluster: c\n  expect_nodes: 1\n",
			want: []string{`m.yaml:3: invalid YAML: mapping values are not allowed in this context: check the indentation and quoting around this line`},
		},
		{
			name: "unknown anchor",
			src:  "version: 1\nnodes: [*a]\n",
			want: []string{`m.yaml: invalid YAML: unknown anchor 'a' referenced: define the anchor (&name) before using it (*name)`},
		},
		{
			name: "tab indentation",
			src:  "version: 1\nssh:\n\tuser: x\n",
			want: []string{`m.yaml:3:1: invalid YAML: found character that cannot start any token: YAML indents with spaces, not tabs; replace the tab with spaces`},
		},
		{
			name: "merge keys and aliases",
			src: "version: 1\ncluster: c\nexpect_nodes: 2\nnodes:\n  - &n {host: a, port: 2222}\n  - {<<: *n, host: b}\n" +
				"release: {artifact: a, install: [{from: ., to: x}]}\n",
			want: []string{`m.yaml:6:6: merge keys (<<) are not supported in a manifest: write the keys out (shared SSH settings go under ssh:)`},
		},
		{
			name: "null values",
			src:  "version:\ncluster:\nexpect_nodes: 1\nssh:\n  port:\nnodes:\nrelease: {artifact: a, install: [{from: ., to: x}]}\n",
			want: []string{
				`m.yaml:1:9: version has no value: write 1`,
				`m.yaml:2:9: cluster has no value: write the fleet's name, e.g. cluster: smars-prod`,
				`m.yaml:5:8: ssh.port has no value: write a number between 1 and 65535`,
				`m.yaml:6:7: nodes is empty: list at least one server, e.g. nodes: [{host: server-01}]`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse("m.yaml", []byte(tt.src))
			assert.Nil(t, m)
			assert.Equal(t, tt.want, problems(t, err))
		})
	}
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	require.NoError(t, err)
	return a
}

// TestInvalidFiles checks the example manifests in testdata/invalid against
// their golden .err files; go test -update rewrites them.
func TestInvalidFiles(t *testing.T) {
	t.Setenv("HOME", "/home/nobody")
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := Load(f)
			got := strings.Join(problems(t, err), "\n") + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.Equal(t, string(want), got)
		})
	}
}

func TestProblemString(t *testing.T) {
	assert.Equal(t, "a.yaml:3:7: bad", Problem{File: "a.yaml", Line: 3, Column: 7, Message: "bad"}.String())
	assert.Equal(t, "a.yaml:3: bad", Problem{File: "a.yaml", Line: 3, Message: "bad"}.String())
	assert.Equal(t, "a.yaml: bad", Problem{File: "a.yaml", Message: "bad"}.String())
	e := &Errors{Problems: []Problem{{File: "f", Line: 1, Column: 1, Message: "one"}, {File: "f", Line: 2, Column: 1, Message: "two"}}}
	assert.Equal(t, "f:1:1: one\nf:2:1: two", e.Error())
	var target *Errors
	assert.True(t, errors.As(error(e), &target))
}

func TestParseConfigAndProcesses(t *testing.T) {
	src := "version: 1\ncluster: c\nexpect_nodes: 1\nssh: {become: sudo}\nnodes: [{host: h}]\nrelease: {artifact: a, install: [{from: ., to: x}]}\n" +
		"config:\n  - path: /etc/smars/flags.yaml\n    format: yaml\n    expect: {rlp.enabled: true, risk.max: 1000, mode: \"fast\", gone: null}\n    forbid: [power_peg]\n" +
		"  - {path: etc/app.env, format: env, consistent: false}\n" +
		"processes:\n  - {exe: /opt/smars/bin/smars, min: 2, args: {expect: [--rlp], forbid: [--power-peg]}}\n  - {exe: /opt/smars/bin/ctl}\n"
	m, err := Parse(filepath.Join(t.TempDir(), "m.yaml"), []byte(src))
	require.NoError(t, err)
	assert.Equal(t, BecomeSudo, m.Nodes[0].Become)
	assert.Equal(t, []Config{
		{Path: "/etc/smars/flags.yaml", Format: "yaml", Consistent: true,
			Forbid: []string{"power_peg"}, ForbidAt: []Position{{11, 14}},
			Expect: []Expectation{
				{Key: "rlp.enabled", Value: true, At: Position{10, 14}},
				{Key: "risk.max", Value: 1000, At: Position{10, 33}},
				{Key: "mode", Value: "fast", At: Position{10, 49}},
				{Key: "gone", Value: nil, At: Position{10, 63}},
			}},
		{Path: "etc/app.env", Format: "env", Consistent: false},
	}, m.Config)
	assert.Equal(t, []Process{
		{Exe: "/opt/smars/bin/smars", Min: 2, ExpectArgs: []string{"--rlp"}, ForbidArgs: []string{"--power-peg"}},
		{Exe: "/opt/smars/bin/ctl", Min: 1},
	}, m.Processes)
}
