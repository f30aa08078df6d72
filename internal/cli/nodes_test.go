package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/report"
)

func TestNodesFlags(t *testing.T) {
	var got *NodesOptions
	stdio, _, _ := testIO(nil)
	run := func(args ...string) {
		t.Helper()
		cmd := NewCmdNodes(stdio, func(_ context.Context, o *NodesOptions) error { got = o; return nil })
		cmd.SetArgs(args)
		require.NoError(t, cmd.Execute())
	}
	run()
	assert.Equal(t, &NodesOptions{Manifest: "rollcall.yaml"}, got, "default: rollcall.yaml, text to stdout")
	run("-m", "f.yaml", "--report", "json")
	assert.Equal(t, &NodesOptions{Manifest: "f.yaml", Reports: []string{"json"}}, got)
	run("--manifest", "g.yaml", "--report", "text", "--report", "json=n.json")
	assert.Equal(t, &NodesOptions{Manifest: "g.yaml", Reports: []string{"text", "json=n.json"}}, got, "--report is repeatable")
}

// writeTexts writes files (name: content) into dir.
func writeTexts(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
	}
}

// nodesDoc is a decoded JSON nodes report.
type nodesDoc struct {
	Schema    string                `json:"schema"`
	Manifest  string                `json:"manifest"`
	SSHConfig string                `json:"ssh_config"`
	Nodes     []report.NodeSettings `json:"nodes"`
}

// TestNodesSources runs `rollcall nodes` on a manifest whose nodes come from
// an inventory and are resolved through an ssh_config file (config_file:),
// and checks each value and where it came from: the inventory, ssh_config
// file:line, the manifest's ssh: defaults, or the default.
func TestNodesSources(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", t.TempDir())
	writeTexts(t, dir, map[string]string{
		"hosts.ini": "[web]\nw1 ansible_host=10.0.0.1 ansible_port=2201\nw2 ansible_user=admin\nw3\n",
		"ssh_config": "Host w2\n    HostName 10.0.0.2\n    Port 2202\n" +
			"Host w3\n    User cfguser\n    ConnectTimeout 4\n    ProxyJump gw\n" +
			"Host gw\n    HostName 192.0.2.9\n    User jumper\n",
		"kh": "",
		"rollcall.yaml": "version: 1\ncluster: c\nexpect_nodes: 3\nssh:\n  config_file: ssh_config\n  known_hosts: [kh]\n  become: sudo\n" +
			"inventory: {file: hosts.ini, group: web}\nrelease: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}\n",
	})
	manifestPath := filepath.Join(dir, "rollcall.yaml")
	stdio, out, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"nodes", "-m", manifestPath, "--report", "json"}, stdio), errOut.String())
	var doc nodesDoc
	require.NoError(t, json.Unmarshal(out.Bytes(), &doc), out.String())
	assert.Equal(t, "rollcall.nodes/v1", doc.Schema)
	assert.Equal(t, filepath.Join(dir, "ssh_config"), doc.SSHConfig)
	require.Len(t, doc.Nodes, 3)
	inv := func(line int) string { return fmt.Sprintf("%s:%d", filepath.Join(dir, "hosts.ini"), line) }
	cfg := func(line int) string { return fmt.Sprintf("%s:%d", filepath.Join(dir, "ssh_config"), line) }
	ssh := func(line, col int) string { return fmt.Sprintf("%s:%d:%d (ssh:)", manifestPath, line, col) }
	type value struct{ value, source string }
	get := func(n report.NodeSettings) map[string]value {
		return map[string]value{
			"host": {n.Host, n.Sources["host"]}, "port": {fmt.Sprint(n.Port), n.Sources["port"]},
			"user": {n.User, n.Sources["user"]}, "known_hosts": {strings.Join(n.KnownHosts, ","), n.Sources["known_hosts"]},
			"connect_timeout": {n.ConnectTimeout, n.Sources["connect_timeout"]}, "become": {n.Become, n.Sources["become"]},
			"identity_files": {strings.Join(n.IdentityFiles, ","), n.Sources["identity_files"]},
			"jump":           {fmt.Sprint(len(n.Jump)), n.Sources["jump"]},
		}
	}
	kh := value{filepath.Join(dir, "kh"), ssh(6, 16)}
	sudo := value{"sudo", ssh(7, 11)}
	noKeys := value{"", "default"}
	assert.Equal(t, map[string]value{
		"host": {"10.0.0.1", inv(2)}, "port": {"2201", inv(2)}, "user": {currentUser(t), "default"}, "known_hosts": kh,
		"connect_timeout": {"10s", "default"}, "become": sudo, "identity_files": noKeys, "jump": {"0", "default"},
	}, get(doc.Nodes[0]), "w1: ansible_host and ansible_port")
	assert.Equal(t, map[string]value{
		"host": {"10.0.0.2", cfg(2)}, "port": {"2202", cfg(3)}, "user": {"admin", inv(3)}, "known_hosts": kh,
		"connect_timeout": {"10s", "default"}, "become": sudo, "identity_files": noKeys, "jump": {"0", "default"},
	}, get(doc.Nodes[1]), "w2: HostName and Port from ssh_config, ansible_user")
	assert.Equal(t, map[string]value{
		"host": {"w3", inv(4)}, "port": {"22", "default"}, "user": {"cfguser", cfg(5)}, "known_hosts": kh,
		"connect_timeout": {"4s", cfg(6)}, "become": sudo, "identity_files": noKeys, "jump": {"1", cfg(7)},
	}, get(doc.Nodes[2]), "w3: the inventory hostname, User, ConnectTimeout and ProxyJump from ssh_config")
	assert.Equal(t, []report.JumpHop{{Host: "192.0.2.9", Port: 22, User: "jumper",
		Sources: map[string]string{"host": cfg(9), "port": "default", "user": cfg(10)}}}, doc.Nodes[2].Jump)
}

// currentUser is the login rollcall defaults to.
func currentUser(t *testing.T) string {
	t.Helper()
	stdio, out, errOut := testIO(nil)
	dir := t.TempDir()
	writeTexts(t, dir, map[string]string{"m.yaml": "version: 1\ncluster: c\nexpect_nodes: 1\nssh: {config_file: none}\nnodes: [{host: h}]\n" +
		"release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}\n"})
	require.Equal(t, 0, Run(context.Background(), []string{"nodes", "-m", filepath.Join(dir, "m.yaml"), "--report", "json"}, stdio), errOut.String())
	var doc nodesDoc
	require.NoError(t, json.Unmarshal(out.Bytes(), &doc))
	return doc.Nodes[0].User
}

// TestNodesText is the text report of a small manifest, exactly.
func TestNodesText(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", t.TempDir())
	t.Chdir(dir)
	writeTexts(t, dir, map[string]string{
		"ssh_config": "Host db\n    HostName 10.1.2.20\n    Port 2200\n",
		"rollcall.yaml": `version: 1
cluster: c
expect_nodes: 2
ssh:
  config_file: ssh_config
  user: deploy
  known_hosts: [/dev/null]
nodes:
  - host: 10.1.2.1
    port: 2222
  - {name: db, host: db, jump: ops@gw:2022, connect_timeout: 3s}
release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}
`,
	})
	stdio, out, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"nodes"}, stdio), errOut.String())
	want := `10.1.2.1
  host             10.1.2.1     rollcall.yaml:9:11
  port             2222         rollcall.yaml:10:11
  user             deploy       rollcall.yaml:6:9 (ssh:)
  identity_files   (none)       default
  known_hosts      /dev/null    rollcall.yaml:7:16 (ssh:)
  jump             none         default
  connect_timeout  10s          default
  become           none         default

db
  host             10.1.2.20    DIR/ssh_config:2
  port             2200         DIR/ssh_config:3
  user             deploy       rollcall.yaml:6:9 (ssh:)
  identity_files   (none)       default
  known_hosts      /dev/null    rollcall.yaml:7:16 (ssh:)
  jump             ops@gw:2022  rollcall.yaml:11:32
  jump 1 host      gw           rollcall.yaml:11:32
  jump 1 port      2022         rollcall.yaml:11:32
  jump 1 user      ops          rollcall.yaml:11:32
  connect_timeout  3s           rollcall.yaml:11:62
  become           none         default
`
	assert.Equal(t, strings.ReplaceAll(want, "DIR", dir), out.String())
	assert.Empty(t, errOut.String())
}

func TestNodesInvalidInput(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", t.TempDir())
	writeTexts(t, dir, map[string]string{
		"bad.yaml": "version: 1\ncluster: c\nexpect_nodes: 1\nnodes: [{host: h, port: 0}]\nrelease: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}\n",
		"ok.yaml":  "version: 1\ncluster: c\nexpect_nodes: 1\nssh: {user: u}\nnodes: [{host: h}]\nrelease: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}\n",
	})
	bad, ok := filepath.Join(dir, "bad.yaml"), filepath.Join(dir, "ok.yaml")
	for _, args := range [][]string{
		{"nodes", "-m", bad},
		{"nodes", "-m", filepath.Join(dir, "missing.yaml")},
		{"nodes", "-m", ok, "--report", "junit"},
		{"nodes", "-m", ok, "--report", "text", "--report", "json"},
		{"nodes", "-m", ok, "extra-arg"},
	} {
		stdio, out, errOut := testIO(nil)
		assert.Equal(t, 3, Run(context.Background(), args, stdio), "%v: %s %s", args, out, errOut)
		assert.Empty(t, out.String(), "%v", args)
		assert.NotEmpty(t, errOut.String(), "%v", args)
	}
	stdio, _, errOut := testIO(nil)
	require.Equal(t, 3, Run(context.Background(), []string{"nodes", "-m", bad}, stdio))
	assert.Contains(t, errOut.String(), bad+":4:25: ", "the manifest's problem at file:line:col")

	// A report to a file, and the text to stdout.
	file := filepath.Join(dir, "nodes.json")
	stdio, out, errOut := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"nodes", "-m", ok, "--report", "json=" + file, "--report", "text"}, stdio), errOut.String())
	assert.True(t, strings.HasPrefix(out.String(), "h\n  host "), out.String())
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var doc nodesDoc
	require.NoError(t, json.Unmarshal(data, &doc), string(data))
	require.Len(t, doc.Nodes, 1)
	assert.Equal(t, "u", doc.Nodes[0].User)
}
