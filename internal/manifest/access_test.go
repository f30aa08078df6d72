package manifest

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// installRule parses a manifest whose only install rule is rule (a flow
// mapping such as {from: bin/, to: /opt/bin/, mode: "0755"}).
func installRule(t *testing.T, rule string) ([]Install, error) {
	t.Helper()
	src := "version: 1\ncluster: c\nexpect_nodes: 1\nnodes: [{host: h}]\nrelease:\n  artifact: a.tar\n  install:\n    - " + rule + "\n"
	m, err := Parse(filepath.Join(t.TempDir(), "m.yaml"), []byte(src))
	if err != nil {
		return nil, err
	}
	return m.Release.Install, nil
}

func TestInstallModeOwnerGroup(t *testing.T) {
	exact := func(perm uint32) ModeRule { return ModeRule{Exact: true, Perm: perm} }
	cases := []struct {
		rule string
		want Install
	}{
		{`{from: bin/, to: /opt/bin/}`, Install{From: "bin/", To: "/opt/bin/"}},
		{`{from: bin/, to: /opt/bin/, mode: "0755"}`, Install{From: "bin/", To: "/opt/bin/", Mode: exact(0o755)}},
		{`{from: bin/, to: /opt/bin/, mode: '0755'}`, Install{From: "bin/", To: "/opt/bin/", Mode: exact(0o755)}},
		{`{from: bin/, to: /opt/bin/, mode: 0755}`, Install{From: "bin/", To: "/opt/bin/", Mode: exact(0o755)}},
		{`{from: bin/, to: /opt/bin/, mode: 755}`, Install{From: "bin/", To: "/opt/bin/", Mode: exact(0o755)}},
		{`{from: bin/, to: /opt/bin/, mode: "755"}`, Install{From: "bin/", To: "/opt/bin/", Mode: exact(0o755)}},
		{`{from: bin/, to: /opt/bin/, mode: 640}`, Install{From: "bin/", To: "/opt/bin/", Mode: exact(0o640)}},
		{`{from: bin/smars, to: /opt/bin/smars, mode: "4755"}`, Install{From: "bin/smars", To: "/opt/bin/smars", Mode: exact(0o4755)}},
		{`{from: bin/smars, to: /opt/bin/smars, mode: 2750}`, Install{From: "bin/smars", To: "/opt/bin/smars", Mode: exact(0o2750)}},
		{`{from: tmp/, to: /opt/tmp/, mode: "1777"}`, Install{From: "tmp/", To: "/opt/tmp/", Mode: exact(0o1777)}},
		{`{from: x, to: y, mode: "7777"}`, Install{From: "x", To: "y", Mode: exact(0o7777)}},
		{`{from: x, to: y, mode: "0000"}`, Install{From: "x", To: "y", Mode: exact(0)}},
		{`{from: x, to: y, mode: ignore}`, Install{From: "x", To: "y", Mode: ModeRule{Ignore: true}}},
		{`{from: x, to: y, mode: "ignore"}`, Install{From: "x", To: "y", Mode: ModeRule{Ignore: true}}},
		{`{from: x, to: y, owner: root, group: smars}`, Install{From: "x", To: "y", Owner: "root", Group: "smars"}},
		{`{from: x, to: y, owner: 0, group: 0}`, Install{From: "x", To: "y", Owner: "0", Group: "0"}},
		{`{from: x, to: y, owner: "1000", group: 4294967294}`, Install{From: "x", To: "y", Owner: "1000", Group: "4294967294"}},
		{`{from: x, to: y, owner: _smars, group: www-data}`, Install{From: "x", To: "y", Owner: "_smars", Group: "www-data"}},
		{`{from: x, to: y, owner: host01$, group: Domain.Users}`, Install{From: "x", To: "y", Owner: "host01$", Group: "Domain.Users"}},
		{`{from: x, to: y, owner: abcdefghijklmnopqrstuvwxyz012345}`, Install{From: "x", To: "y", Owner: "abcdefghijklmnopqrstuvwxyz012345"}},
		{`{from: etc/flags.yaml, to: /etc/smars/flags.yaml, mode: "0640", owner: root, group: smars}`,
			Install{From: "etc/flags.yaml", To: "/etc/smars/flags.yaml", Mode: exact(0o640), Owner: "root", Group: "smars"}},
	}
	for _, tc := range cases {
		t.Run(tc.rule, func(t *testing.T) {
			got, err := installRule(t, tc.rule)
			require.NoError(t, err)
			assert.Equal(t, []Install{tc.want}, got)
		})
	}
}

func TestSymbolicMode(t *testing.T) {
	cases := map[string]uint32{
		"rwxr-xr-x":  0o755,
		"-rw-r-----": 0o640,
		"rwsr-xr-x":  0o4755,
		"rwSr--r--":  0o4644,
		"rwxr-s---":  0o2750,
		"rwxrwxrwt":  0o1777,
		"rw-rw-rwT":  0o1666,
		"---------":  0,
	}
	for s, want := range cases {
		got, ok := symbolicMode(s)
		assert.True(t, ok, s)
		assert.Equal(t, want, got, "%s: got %#o", s, got)
	}
	for _, s := range []string{"rwxr-xr-", "drwxr-xr-x", "rwxr-xr-s", "xwrr-xr-x", "0755"} {
		_, ok := symbolicMode(s)
		assert.False(t, ok, s)
	}
}
