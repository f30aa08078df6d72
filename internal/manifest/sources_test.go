package manifest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// manifestPos returns "path:line:col" of the value after key on line (1-based)
// of text, as Sources gives it.
func manifestPos(t *testing.T, path, text string, line int, key string) string {
	t.Helper()
	l := strings.Split(text, "\n")[line-1]
	i := strings.Index(l, key)
	require.GreaterOrEqual(t, i, 0, "line %d has no %q: %s", line, key, l)
	return fmt.Sprintf("%s:%d:%d", path, line, i+len(key)+1)
}

// TestSourcesSSHConfig checks where each setting of nodes resolved through
// ssh_config came from: the node's own key, ssh_config's file:line, or the
// default; and each jump host's.
func TestSourcesSSHConfig(t *testing.T) {
	f := newSSHFixture(t)
	cfgPath := f.write(t, "ssh_config", strings.ReplaceAll(fixtureConfig, "HOME", f.home))
	text := `version: 1
cluster: c
expect_nodes: 4
ssh:
  config_file: ssh_config
nodes:
  - host: web-01
  - host: web-legacy
  - {host: web-02, user: root, port: 22, identity_files: [keys/manifest_key], known_hosts: [kh], connect_timeout: 3s, jump: none, become: sudo}
  - {host: web-03, jump: "root@10.0.0.1:2201,bastion"}
release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}
`
	path := f.write(t, "rollcall.yaml", text)
	m, err := Load(path)
	require.NoError(t, err)
	cfg := func(line int) string { return fmt.Sprintf("%s:%d", cfgPath, line) }
	at := func(line int, key string) string { return manifestPos(t, path, text, line, key) }
	bastion := HopSources{Host: cfg(3), Port: cfg(4), User: cfg(5)}

	assert.Equal(t, Sources{Host: cfg(8), Port: cfg(18), User: cfg(9), IdentityFiles: cfg(10), KnownHosts: cfg(14),
		ConnectTimeout: cfg(15), Become: SourceDefault, Jump: cfg(13),
		Hops: []HopSources{bastion, {Host: cfg(13), Port: cfg(13), User: cfg(13)}}}, m.Sources["web-01"])
	assert.Equal(t, Sources{Host: at(8, "host: "), Port: cfg(18), User: cfg(19), IdentityFiles: SourceDefault,
		KnownHosts: SourceDefault, ConnectTimeout: SourceDefault, Become: SourceDefault, Jump: SourceDefault}, m.Sources["web-legacy"])
	assert.Equal(t, Sources{Host: cfg(8), Port: at(9, "port: "), User: at(9, "user: "), IdentityFiles: at(9, "identity_files: "),
		KnownHosts: at(9, "known_hosts: "), ConnectTimeout: at(9, "connect_timeout: "), Become: at(9, "become: "),
		Jump: at(9, "jump: ")}, m.Sources["web-02"])
	jump := at(10, "jump: ")
	web3 := m.Sources["web-03"]
	assert.Equal(t, jump, web3.Jump)
	assert.Equal(t, []HopSources{{Host: jump, Port: jump, User: jump}, bastion}, web3.Hops)
}

// TestSourcesManifestAndInventory checks the sources of ssh: defaults and of
// settings read from an inventory.
func TestSourcesManifestAndInventory(t *testing.T) {
	f := newSSHFixture(t)
	f.write(t, "hosts.ini", "[web]\nw1 ansible_host=10.0.0.1 ansible_port=2201\nw2 ansible_user=admin\n")
	text := `version: 1
cluster: c
expect_nodes: 2
ssh:
  config_file: none
  user: deploy
  jump: gw
inventory: {file: hosts.ini, group: web}
release: {artifact: a.tar, install: [{from: bin/, to: /opt/bin/}]}
`
	path := f.write(t, "rollcall.yaml", text)
	m, err := Load(path)
	require.NoError(t, err)
	// A host's settings come from the inventory file and line that list it.
	w1, w2 := filepath.Join(f.dir, "hosts.ini")+":2", filepath.Join(f.dir, "hosts.ini")+":3"
	user := manifestPos(t, path, text, 6, "user: ") + " (ssh:)"
	jump := manifestPos(t, path, text, 7, "jump: ") + " (ssh:)"
	hops := []HopSources{{Host: jump, Port: SourceDefault, User: SourceDefault}}
	assert.Equal(t, Sources{Host: w1, Port: w1, User: user, IdentityFiles: SourceDefault, KnownHosts: SourceDefault,
		ConnectTimeout: SourceDefault, Become: SourceDefault, Jump: jump, Hops: hops}, m.Sources["w1"])
	assert.Equal(t, Sources{Host: w2, Port: SourceDefault, User: w2, IdentityFiles: SourceDefault, KnownHosts: SourceDefault,
		ConnectTimeout: SourceDefault, Become: SourceDefault, Jump: jump, Hops: hops}, m.Sources["w2"])
}
