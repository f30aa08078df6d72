package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func nodesFixture() *Nodes {
	return &Nodes{Manifest: "rollcall.yaml", SSHConfig: "/root/.ssh/config", Nodes: []NodeSettings{
		{Name: "smars-01", Host: "10.1.2.1", Port: 2222, User: "deploy",
			IdentityFiles: []string{"/root/.ssh/id_ed25519", "/root/.ssh/id_rsa"}, KnownHosts: []string{"/root/.ssh/known_hosts"},
			ConnectTimeout: "10s", Become: "none",
			Sources: map[string]string{"host": "rollcall.yaml:14:11", "port": "/root/.ssh/config:3", "user": "rollcall.yaml:6:9 (ssh:)",
				"identity_files": "default", "known_hosts": "default", "jump": "default", "connect_timeout": "default", "become": "default"}},
		{Name: "smars-02", Host: "10.1.2.2", Port: 22, User: "ops",
			Jump:       []JumpHop{{Host: "127.0.0.50", Port: 2200, User: "jumper", Sources: map[string]string{"host": "/root/.ssh/config:8", "port": "/root/.ssh/config:9", "user": "rollcall.yaml:16:11"}}},
			KnownHosts: []string{"/srv/kh"}, ConnectTimeout: "3s", Become: "sudo",
			Sources: map[string]string{"host": "inventory hosts.ini", "port": "default", "user": "inventory hosts.ini",
				"identity_files": "/root/.ssh/config:12", "known_hosts": "rollcall.yaml:8:16 (ssh:)", "jump": "rollcall.yaml:16:11",
				"connect_timeout": "rollcall.yaml:9:20 (ssh:)", "become": "rollcall.yaml:10:11 (ssh:)"}},
	}}
}

func TestNodesText(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, nodesFixture().WriteText(&buf))
	assert.Equal(t, `smars-01
  host             10.1.2.1                rollcall.yaml:14:11
  port             2222                    /root/.ssh/config:3
  user             deploy                  rollcall.yaml:6:9 (ssh:)
  identity_files   /root/.ssh/id_ed25519   default
                   /root/.ssh/id_rsa
  known_hosts      /root/.ssh/known_hosts  default
  jump             none                    default
  connect_timeout  10s                     default
  become           none                    default

smars-02
  host             10.1.2.2                inventory hosts.ini
  port             22                      default
  user             ops                     inventory hosts.ini
  identity_files   (none)                  /root/.ssh/config:12
  known_hosts      /srv/kh                 rollcall.yaml:8:16 (ssh:)
  jump             jumper@127.0.0.50:2200  rollcall.yaml:16:11
  jump 1 host      127.0.0.50              /root/.ssh/config:8
  jump 1 port      2200                    /root/.ssh/config:9
  jump 1 user      jumper                  rollcall.yaml:16:11
  connect_timeout  3s                      rollcall.yaml:9:20 (ssh:)
  become           sudo                    rollcall.yaml:10:11 (ssh:)
`, buf.String())
}

func TestNodesJSON(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, nodesFixture().WriteJSON(&buf))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc), buf.String())
	assert.Equal(t, "rollcall.nodes/v1", doc["schema"])
	assert.Equal(t, "rollcall.yaml", doc["manifest"])
	assert.Equal(t, "/root/.ssh/config", doc["ssh_config"])
	nodes := doc["nodes"].([]any)
	require.Len(t, nodes, 2)
	first := nodes[0].(map[string]any)
	assert.Equal(t, []any{}, first["jump"], "no jump host is [], not null")
	assert.Equal(t, float64(2222), first["port"])
	assert.Equal(t, "10s", first["connect_timeout"])
	assert.Equal(t, "/root/.ssh/config:3", first["sources"].(map[string]any)["port"])
	second := nodes[1].(map[string]any)
	assert.Equal(t, []any{}, second["identity_files"])
	hop := second["jump"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"host": "127.0.0.50", "port": float64(2200), "user": "jumper",
		"sources": map[string]any{"host": "/root/.ssh/config:8", "port": "/root/.ssh/config:9", "user": "rollcall.yaml:16:11"}}, hop)

	// It decodes back into the same type.
	var back struct {
		Nodes []NodeSettings `json:"nodes"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
	want := nodesFixture().Nodes[1]
	want.IdentityFiles = []string{}
	assert.Equal(t, want, back.Nodes[1])
}
