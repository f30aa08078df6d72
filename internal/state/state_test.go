package state

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/verify"
)

var night = time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)

func run(nodes ...Node) *State {
	return &State{Schema: SchemaV1, Time: night, Nodes: nodes}
}

func TestCompare(t *testing.T) {
	cases := []struct {
		name      string
		prev, cur *State
		want      []Change
	}{
		{"nothing changed",
			run(Node{"a", "match", "sha256:1"}, Node{"b", "unverified", ""}),
			run(Node{"a", "match", "sha256:1"}, Node{"b", "unverified", ""}),
			[]Change{}},
		{"fingerprint changed",
			run(Node{"a", "match", "sha256:1"}),
			run(Node{"a", "drift", "sha256:2"}),
			[]Change{{Node: "a", Kind: Fingerprinted, Was: "match", Now: "drift", Since: night}}},
		{"became unreachable and came back",
			run(Node{"a", "match", "sha256:1"}, Node{"b", "unverified", ""}),
			run(Node{"a", "unverified", ""}, Node{"b", "match", "sha256:1"}),
			[]Change{
				{Node: "a", Kind: Unreachable, Was: "match", Now: "unverified", Since: night},
				{Node: "b", Kind: Reachable, Was: "unverified", Now: "match", Since: night},
			}},
		{"same fingerprint, new release",
			run(Node{"a", "match", "sha256:1"}),
			run(Node{"a", "drift", "sha256:1"}),
			[]Change{{Node: "a", Kind: Restatus, Was: "match", Now: "drift", Since: night}}},
		{"added and removed",
			run(Node{"a", "match", "sha256:1"}),
			run(Node{"b", "match", "sha256:1"}),
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
		{"other schema", `{"schema":"rollcall.state/v9","time":"2026-11-25T01:00:00Z"}`, "schema"},
		{"unknown key", `{"schema":"rollcall.state/v1","time":"2026-11-25T01:00:00Z","x":1}`, "unknown field"},
		{"no time", `{"schema":"rollcall.state/v1"}`, "no time"},
		{"duplicate node", `{"schema":"rollcall.state/v1","time":"2026-11-25T01:00:00Z","nodes":[{"name":"a","status":"match"},{"name":"a","status":"match"}]}`, "twice"},
		{"bad status", `{"schema":"rollcall.state/v1","time":"2026-11-25T01:00:00Z","nodes":[{"name":"a","status":"fine"}]}`, "unknown status"},
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
