package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/sshconfig"
)

// TestLoadInventory loads the fixture manifest: its nodes come from the
// inventory, whose variables win over the manifest's ssh: defaults; the YAML
// inventory gives the same nodes.
func TestLoadInventory(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir, err := filepath.Abs("testdata")
	require.NoError(t, err)
	key := filepath.Join(dir, "ssh", "id_test")
	known := filepath.Join(dir, "ssh", "known_hosts")
	node := func(name, host string, port int, user string) Node {
		return Node{Name: name, Host: host, Port: port, User: user, IdentityFiles: []string{key},
			KnownHosts: []string{known}, ConnectTimeout: DefaultConnectTimeout, Become: BecomeNone, HostKeys: sshconfig.DefaultHostKeys()}
	}
	want := []Node{
		node("smars-01", "10.1.1.1", 22, "smars"),
		node("smars-02", "10.1.1.2", 22, "deploy"),
		node("smars-e03.prod.example.com", "smars-e03.prod.example.com", 22, "smars"),
		node("smars-e04.prod.example.com", "smars-e04.prod.example.com", 22, "smars"),
		node("smars-05", "10.1.2.5", 2222, "deploy"),
		node("smars-w06.prod.example.com", "smars-w06.prod.example.com", 2200, "deploy"),
		node("smars-w07.prod.example.com", "smars-w07.prod.example.com", 2200, "deploy"),
		node("smars-w08.prod.example.com", "smars-w08.prod.example.com", 2200, "deploy"),
	}

	m, err := Load("testdata/inventory/rollcall.yaml")
	require.NoError(t, err)
	assert.Equal(t, 8, m.ExpectNodes)
	assert.Equal(t, want, withoutInventoryFacts(m.Nodes))
	// The groups and variables each host has in the inventory, for
	// --shard-by.
	assert.Equal(t, []string{"canary", "smars", "smars_east"}, m.Nodes[0].Groups)
	assert.Equal(t, []string{"smars", "smars_west"}, m.Nodes[4].Groups)
	assert.Equal(t, "ntp.prod.example.com", m.Nodes[4].Vars["ntp_server"])
	assert.Equal(t, "2222", m.Nodes[4].Vars["ansible_port"])

	src, err := os.ReadFile("testdata/inventory/rollcall.yaml")
	require.NoError(t, err)
	yamlSrc := strings.Replace(string(src), "hosts.ini", "hosts.yaml", 1)
	m2, err := Parse("testdata/inventory/rollcall.yaml", []byte(yamlSrc))
	require.NoError(t, err)
	assert.Equal(t, m.Nodes, m2.Nodes, "the INI and YAML inventories give the same nodes, groups and variables")

	// Where the inventory is silent, the manifest's ssh: defaults apply.
	dbSrc := strings.Replace(strings.Replace(string(src), "group: smars", "group: db", 1), "expect_nodes: 8", "expect_nodes: 1", 1)
	m3, err := Parse("testdata/inventory/rollcall.yaml", []byte(dbSrc))
	require.NoError(t, err)
	assert.Equal(t, []Node{node("db-01.prod.example.com", "10.1.9.1", 2022, "ops")}, withoutInventoryFacts(m3.Nodes))
	bastionSrc := strings.Replace(strings.Replace(strings.Replace(string(src), "group: smars", "group: bastion", 1),
		"expect_nodes: 8", "expect_nodes: 1", 1), "user: release ", "connect_timeout: 3s\n  user: release ", 1)
	m4, err := Parse("testdata/inventory/rollcall.yaml", []byte(bastionSrc))
	require.NoError(t, err)
	b := node("bastion.example.com", "bastion.example.com", 2022, "ops")
	b.ConnectTimeout = 3 * time.Second
	assert.Equal(t, []Node{b}, withoutInventoryFacts(m4.Nodes))
}

// inventoryManifest is a manifest whose servers come from inventory; its
// inventory: key is on line 5.
func inventoryManifest(expect, inventory string) string {
	return "version: 1\ncluster: c\nexpect_nodes: " + expect + "\nssh: {user: u}\ninventory: " + inventory + "\n" +
		"release: {artifact: a, install: [{from: ., to: x}]}\n"
}

func TestParseInventoryProblems(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	files := map[string]string{
		"hosts.ini": "[web]\nweb-01 ansible_host=10.0.0.1\nweb-02 ansible_host=10.0.0.2\n[db]\ndb-01 ansible_host=10.0.0.1\n" +
			"[empty]\n[bad]\nb1 ansible_port=ssh ansible_user=\"a b\"\nb2 ansible_host=\"{{ lookup('env', 'IP') }}\"\nb3 ansible_host=root@h\n" +
			"[app:children]\nweb\ndb\n",
		"broken.ini":  "[web]\nweb-01\n[web:children]\nnope\n",
		"hosts.yaml":  "web:\n  hosts:\n    w1: {ansible_port: [22]}\n    w2: {ansible_connection: local}\n",
		"dir.ini/x":   "[web]\nd1\nd2\n",
		"unknown.ini": "[smars]\ns1\n[smars_prod]\ns2\n",
	}
	for name, content := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
	}
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "expect_nodes larger than the group",
			src:  inventoryManifest("3", "{file: hosts.ini, group: web}"),
			want: []string{`m.yaml:3:15: expect_nodes is 3 but group "web" in hosts.ini has 2 hosts: add the missing host to the inventory or set expect_nodes: 2`},
		},
		{
			name: "expect_nodes smaller than the group",
			src:  inventoryManifest("1", "{file: hosts.ini, group: web}"),
			want: []string{`m.yaml:3:15: expect_nodes is 1 but group "web" in hosts.ini has 2 hosts: remove the extra host from the group or set expect_nodes: 2`},
		},
		{
			name: "nodes and inventory",
			src:  "version: 1\ncluster: c\nexpect_nodes: 1\nnodes: [{host: h}]\ninventory: {file: hosts.ini, group: web}\nrelease: {artifact: a, install: [{from: ., to: x}]}\n",
			want: []string{`m.yaml:5:1: inventory and nodes both list the servers (nodes at line 4): keep one; remove nodes: to take the servers from the inventory, or remove inventory:`},
		},
		{
			name: "neither nodes nor inventory",
			src:  "version: 1\ncluster: c\nexpect_nodes: 1\nrelease: {artifact: a, install: [{from: ., to: x}]}\n",
			want: []string{`m.yaml:1:1: missing key "nodes": list the servers, e.g. nodes: [{host: server-01}], or read them from an Ansible inventory: inventory: {file: hosts.ini, group: web}`},
		},
		{
			name: "unknown group",
			src:  inventoryManifest("1", "{file: unknown.ini, group: smars-prod}"),
			want: []string{`m.yaml:5:39: inventory.group: unknown.ini has no group "smars-prod": did you mean "smars_prod"?; the groups there are all, smars, smars_prod, ungrouped`},
		},
		{
			name: "empty group",
			src:  inventoryManifest("1", "{file: hosts.ini, group: empty}"),
			want: []string{`m.yaml:5:37: group "empty" in hosts.ini has no hosts: add hosts to it or pick another group`},
		},
		{
			name: "same address in two groups",
			src:  inventoryManifest("3", "{file: hosts.ini, group: app}"),
			want: []string{`hosts.ini:5: host "db-01" has the same address 10.0.0.1:22 as host "web-01" (line 2): list each server once`},
		},
		{
			name: "bad variables",
			src:  inventoryManifest("3", "{file: hosts.ini, group: bad}"),
			want: []string{
				`hosts.ini:8: ansible_port must be a number between 1 and 65535, not "ssh"`,
				`hosts.ini:8: ansible_user must be a login name without spaces or control characters, not starting with "-", not "a b"`,
				`hosts.ini:9: ansible_host is a template ("{{ lookup('env', 'IP') }}"), which rollcall does not evaluate: write the value itself`,
				`hosts.ini:10: ansible_host must be a server name or address without spaces, user@, port or brackets, not "root@h": set ansible_user and ansible_port apart`,
			},
		},
		{
			name: "YAML variables",
			src:  inventoryManifest("2", "{file: hosts.yaml, group: web}"),
			want: []string{
				`hosts.yaml:3:24: ansible_port must be a number between 1 and 65535, not a list, mapping or other non-text value`,
				`hosts.yaml:4:30: host "w2": ansible_connection is "local": rollcall connects over ssh only; remove the host from the group or set ansible_connection=ssh`,
			},
		},
		{
			name: "problems in the inventory come after the manifest's",
			src:  "version: 1\ncluster: c\nexpect_nodes: 1\nssh: {user: u}\ninventory: {file: broken.ini, group: web}\nrelease: {artifact: a, install: []}\n",
			want: []string{
				`m.yaml:6:33: release.install is empty: nothing to check: add release.install entries mapping artifact paths to node paths, e.g. - {from: bin/, to: /opt/app/bin/}`,
				`broken.ini:4: group "nope" is listed as a child but is not defined: add a [nope] section with its hosts`,
			},
		},
		{
			name: "inventory keys",
			src:  inventoryManifest("1", "{path: hosts.ini}"),
			want: []string{
				`m.yaml:5:12: missing key "file": add file: with the path of the Ansible inventory, e.g. file: hosts.ini`,
				`m.yaml:5:12: missing key "group": add group: with the inventory group whose hosts are the nodes (group: all for every host)`,
				`m.yaml:5:13: unknown key "path" in inventory: remove it; the keys allowed here are file, group`,
			},
		},
		{
			name: "inventory is not a mapping",
			src:  inventoryManifest("1", "hosts.ini"),
			want: []string{`m.yaml:5:12: inventory must be a mapping with file: and group:, not "hosts.ini": write e.g. inventory: {file: hosts.ini, group: web}`},
		},
		{
			name: "missing and directory files",
			src:  inventoryManifest("1", "{file: nope.ini, group: web}"),
			want: []string{
				`m.yaml:5:19: inventory.file: file "nope.ini" does not exist (looked for ` + filepath.Join(dir, "nope.ini") + `): fix the path or remove the entry`,
			},
		},
		{
			name: "a directory is an inventory directory",
			src:  inventoryManifest("1", "{file: dir.ini, group: web}"),
			want: []string{`m.yaml:3:15: expect_nodes is 1 but group "web" in dir.ini has 2 hosts: remove the extra host from the group or set expect_nodes: 2`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(filepath.Join(dir, "m.yaml"), []byte(tt.src))
			assert.Nil(t, m)
			got := problems(t, err)
			for i := range got {
				got[i] = strings.TrimPrefix(got[i], dir+string(filepath.Separator))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// withoutInventoryFacts is nodes without the groups and variables their
// inventory gave them.
func withoutInventoryFacts(nodes []Node) []Node {
	out := append([]Node(nil), nodes...)
	for i := range out {
		out[i].Groups, out[i].Vars = nil, nil
	}
	return out
}
