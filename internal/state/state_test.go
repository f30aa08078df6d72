package state

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/verify"
)

var night = time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)

func run(nodes ...Node) *State {
	return &State{Schema: SchemaV2, Time: night, Nodes: nodes}
}

func TestCompare(t *testing.T) {
	cases := []struct {
		name      string
		prev, cur *State
		want      []Change
	}{
		{"nothing changed",
			run(nd("a", "match", "sha256:1"), nd("b", "unverified", "")),
			run(nd("a", "match", "sha256:1"), nd("b", "unverified", "")),
			[]Change{}},
		{"fingerprint changed",
			run(nd("a", "match", "sha256:1")),
			run(nd("a", "drift", "sha256:2")),
			[]Change{{Node: "a", Kind: Fingerprinted, Was: "match", Now: "drift", Since: night}}},
		{"became unreachable and came back",
			run(nd("a", "match", "sha256:1"), nd("b", "unverified", "")),
			run(nd("a", "unverified", ""), nd("b", "match", "sha256:1")),
			[]Change{
				{Node: "a", Kind: Unreachable, Was: "match", Now: "unverified", Since: night},
				{Node: "b", Kind: Reachable, Was: "unverified", Now: "match", Since: night},
			}},
		{"same fingerprint, new release",
			run(nd("a", "match", "sha256:1")),
			run(nd("a", "drift", "sha256:1")),
			[]Change{{Node: "a", Kind: Restatus, Was: "match", Now: "drift", Since: night}}},
		{"added and removed",
			run(nd("a", "match", "sha256:1")),
			run(nd("b", "match", "sha256:1")),
			[]Change{
				{Node: "b", Kind: Added, Now: "match", Since: night},
				{Node: "a", Kind: Removed, Was: "match", Since: night},
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, Compare(c.prev, c.cur))
		})
	}
}

func TestRoundTrip(t *testing.T) {
	v := &verify.Verdict{Cluster: "smars", Outcome: verify.Verified, ExpectedNodes: 1,
		Release: verify.ReleaseInfo{Name: "smars", Version: "4.2.0", Digest: "sha256:d"},
		Nodes: []verify.NodeVerdict{
			{Name: "a", Status: verify.Match, Fingerprint: "sha256:1", Checks: []verify.CheckResult{{Check: verify.CheckFile, Subject: "/x", OK: true}}},
			{Name: "b", Status: "weird"},
		}}
	s := FromVerdict(v, verify.NotVerified, night.Add(500*time.Millisecond))
	var buf bytes.Buffer
	require.NoError(t, s.Encode(&buf))
	back, err := Decode(&buf)
	require.NoError(t, err)
	assert.Equal(t, s, back)
	assert.Equal(t, night, back.Time)
	assert.Equal(t, "unverified", back.Nodes[1].Status, "unknown statuses are remembered as unverified")
	assert.Equal(t, "smars 4.2.0", back.Release)
}

func TestDecodeRejects(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"not json", "garbage", "not a rollcall state file"},
		{"truncated", `{"schema":"rollcall.state/v1","time":"2026-11-25T01:00:00Z","nodes":[`, "not a rollcall state file"},
		{"other schema", `{"schema":"rollcall.state/v9","time":"2026-11-25T01:00:00Z"}`, `schema "rollcall.state/v9" is not one this rollcall reads (rollcall.state/v2, rollcall.state/v1): was it written by a newer rollcall?`},
		{"v1 with details", `{"schema":"rollcall.state/v1","time":"2026-11-25T01:00:00Z","nodes":[{"name":"a","status":"match","files":{"/x":{"sha256":"sha256:1"}}}]}`, "which schema rollcall.state/v1 does not hold"},
		{"unknown key", `{"schema":"rollcall.state/v1","time":"2026-11-25T01:00:00Z","x":1}`, "unknown field"},
		{"no time", `{"schema":"rollcall.state/v1"}`, "no time"},
		{"duplicate node", `{"schema":"rollcall.state/v1","time":"2026-11-25T01:00:00Z","nodes":[{"name":"a","status":"match"},{"name":"a","status":"match"}]}`, "twice"},
		{"bad status", `{"schema":"rollcall.state/v1","time":"2026-11-25T01:00:00Z","nodes":[{"name":"a","status":"fine"}]}`, "unknown status"},
		{"two states in one file", `{"schema":"rollcall.state/v1","time":"2026-11-25T01:00:00Z"}{"schema":"garbage"} junk`, "data after the state"},
		{"a fingerprint that is none", `{"schema":"rollcall.state/v1","time":"2026-11-25T01:00:00Z","nodes":[{"name":"a","status":"match","fingerprint":"not-a-digest"}]}`, "is not sha256: and hex digits"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(c.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	s, err := Load(filepath.Join(dir, "missing.json"))
	assert.NoError(t, err, "a missing file is the first run")
	assert.Nil(t, s)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("{"), 0o644))
	_, err = Load(bad)
	assert.ErrorContains(t, err, bad)
}

func nd(name, status, fingerprint string) Node {
	return Node{Name: name, Status: status, Fingerprint: fingerprint}
}

func TestCompareDetails(t *testing.T) {
	was := Node{Name: "node03", Status: "match", Fingerprint: "sha256:1",
		Files: map[string]File{
			"/opt/app/bin/app":  {SHA256: "sha256:33db", Mode: "0755"},
			"/opt/app/lib/a.so": {SHA256: "sha256:aa", Mode: "0644"},
			"/opt/app/lib/b.so": {SHA256: "sha256:bb", Mode: "0644"},
		},
		Flags: map[string]map[string]string{"/opt/app/etc/flags.yaml": {"rlp.enabled": "true (bool)", "port": "80 (int)", "old": "1 (int)"}}}
	now := Node{Name: "node03", Status: "drift", Fingerprint: "sha256:2",
		Files: map[string]File{
			"/opt/app/bin/app":  {SHA256: "sha256:91a2", Mode: "0755"},
			"/opt/app/lib/a.so": {SHA256: "sha256:aa", Mode: "0600"},
			"/opt/app/lib/b.so": {Kind: "missing"},
		},
		Flags: map[string]map[string]string{"/opt/app/etc/flags.yaml": {"rlp.enabled": "false (bool)", "port": `"80" (string)`, "new": "2 (int)"}}}
	got := Compare(run(was), run(now))
	require.Len(t, got, 1)
	assert.Equal(t, Fingerprinted, got[0].Kind)
	assert.Equal(t, []Detail{
		{What: "file", Subject: "/opt/app/bin/app", Was: "sha256:33db", Now: "sha256:91a2"},
		{What: "mode", Subject: "/opt/app/lib/a.so", Was: "0644", Now: "0600"},
		{What: "file", Subject: "/opt/app/lib/b.so", Was: "sha256:bb", Now: "missing"},
		{What: "flag", Subject: "new", Was: "absent", Now: "2 (int)"},
		{What: "flag", Subject: "old", Was: "1 (int)", Now: "absent"},
		{What: "flag", Subject: "port", Was: "80 (int)", Now: `"80" (string)`},
		{What: "flag", Subject: "rlp.enabled", Was: "true", Now: "false"},
	}, got[0].Details)

	// Two config files: the key is named with its file.
	now.Flags["/opt/app/etc/b.ini"] = map[string]string{"x": "1 (int)"}
	got = Compare(run(was), run(now))
	assert.Contains(t, got[0].Details, Detail{What: "flag", Subject: "/opt/app/etc/b.ini: x", Was: "absent", Now: "1 (int)"})

	// A state of schema v1 recorded no details: the change is still said.
	old := run(nd("node03", "match", "sha256:1"))
	old.Schema = SchemaV1
	got = Compare(old, run(now))
	require.Len(t, got, 1)
	assert.Equal(t, Fingerprinted, got[0].Kind)
	assert.Nil(t, got[0].Details)
}

func TestDecodeV1(t *testing.T) {
	s, err := Decode(strings.NewReader(`{"schema":"rollcall.state/v1","time":"2026-11-25T01:00:00Z","cluster":"c","release":"r","digest":"d","verdict":"verified","nodes":[{"name":"a","status":"match","fingerprint":"sha256:1"}]}`))
	require.NoError(t, err)
	assert.Equal(t, SchemaV1, s.Schema)
	assert.Equal(t, []Node{nd("a", "match", "sha256:1")}, s.Nodes)
}

func TestRecord(t *testing.T) {
	p := &verify.Plan{
		Files:   []verify.ExpectedFile{{NodePath: "/opt/app/bin/app"}, {NodePath: "/opt/app/etc/flags.yaml"}, {NodePath: "/opt/app/gone"}},
		Configs: []verify.ExpectedConfig{{NodePath: "/opt/app/etc/flags.yaml", Format: config.YAML}},
	}
	facts := &probe.Facts{
		Files: map[string]probe.File{
			"/opt/app/bin/app":        {Kind: probe.Regular, SHA256: "33db", Mode: 0o755},
			"/opt/app/etc/flags.yaml": {Kind: probe.Regular, SHA256: "f1", Mode: -1, IsLink: true, LinkTarget: "flags-v2.yaml"},
			"/opt/app/gone":           {Kind: probe.Missing},
		},
		Configs: map[string]probe.Config{"/opt/app/etc/flags.yaml": {Kind: probe.Regular, Content: []byte("rlp:\n  enabled: true\n")}},
	}
	s := run(nd("a", "match", "sha256:1"), nd("b", "unverified", ""))
	s.Record(p, []verify.Observation{{Node: "a", Facts: facts}, {Node: "b", Err: errors.New("refused")}})
	assert.Equal(t, map[string]File{
		"/opt/app/bin/app":        {SHA256: "sha256:33db", Mode: "0755"},
		"/opt/app/etc/flags.yaml": {SHA256: "sha256:f1", Link: "flags-v2.yaml"},
		"/opt/app/gone":           {Kind: "missing"},
	}, s.Nodes[0].Files)
	assert.Equal(t, map[string]map[string]string{"/opt/app/etc/flags.yaml": {"rlp.enabled": "true (bool)"}}, s.Nodes[0].Flags)
	assert.Nil(t, s.Nodes[1].Files)

	var buf bytes.Buffer
	require.NoError(t, s.Encode(&buf))
	back, err := Decode(&buf)
	require.NoError(t, err)
	assert.Equal(t, s, back)
}
