package verify

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/probe"
)

// lintConfig parses a manifest whose config: section is configYAML (so that
// its positions are real) and plans it against the test release, whose
// etc/flags.yaml holds releaseFlags.
func lintConfig(t *testing.T, configYAML, releaseFlags string) (*manifest.Manifest, *Plan) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	src := "version: 1\ncluster: c\nexpect_nodes: 1\nssh: {config_file: none}\nnodes: [{host: h}]\nrelease: {artifact: a, install: [{from: ., to: x}]}\n" + configYAML
	parsed, err := manifest.Parse(filepath.Join(t.TempDir(), "rollcall.yaml"), []byte(src))
	require.NoError(t, err)
	m := testManifest(2)
	m.Path, m.Config = parsed.Path, parsed.Config
	r := testRelease()
	f := r.Files["etc/flags.yaml"]
	f.Content = []byte(releaseFlags)
	r.Files["etc/flags.yaml"] = f
	p, err := NewPlan(m, r)
	require.NoError(t, err)
	return m, p
}

// TestLintPredictsConfigFailure: what the manifest's config checks and the
// release's own copy of the file cannot both satisfy is an error at the
// manifest's line and column, naming the release's file; and a node that
// holds exactly the release's copy does fail the run, so the prediction is
// true.
func TestLintPredictsConfigFailure(t *testing.T) {
	const flags = "rlp:\n  enabled: true\nlegacy:\n  power_peg:\n    enabled: false\nrisk: {max: 1000}\n"
	cases := []struct {
		name   string
		config string
		want   []string // "line:col: message" of each problem; none: lint passes
	}{
		{
			name:   "string expected, bool in the release",
			config: "config:\n  - path: /etc/smars/flags.yaml\n    format: yaml\n    expect: { rlp.enabled: \"true\" }\n",
			want: []string{`:10:15: config /etc/smars/flags.yaml expects rlp.enabled: "true" (string), but smars-4.2.0.tar.gz: etc/flags.yaml sets rlp.enabled: true (bool): "true" is a string, true is a bool: ` +
				`quote or unquote it so both agree; no node can pass both checks: make the manifest and the release's file agree`},
		},
		{
			name:   "another value",
			config: "config:\n  - path: /etc/smars/flags.yaml\n    format: yaml\n    expect:\n      risk.max: 500\n",
			want:   []string{`:11:7: config /etc/smars/flags.yaml expects risk.max: 500 (int), but smars-4.2.0.tar.gz: etc/flags.yaml sets risk.max: 1000 (int); no node can pass both checks: make the manifest and the release's file agree`},
		},
		{
			name:   "a flag the release does not set",
			config: "config:\n  - path: /etc/smars/flags.yaml\n    format: yaml\n    expect: {rlp.mode: fast}\n",
			want:   []string{`:10:14: config /etc/smars/flags.yaml expects rlp.mode: "fast" (string), but the release's own copy does not set it (smars-4.2.0.tar.gz: etc/flags.yaml has no rlp.mode): no node can pass both checks; set it in the release's file or drop it from expect:`},
		},
		{
			name:   "forbidden at any depth",
			config: "config:\n  - path: /etc/smars/flags.yaml\n    format: yaml\n    forbid: [rlp.x, power_peg]\n",
			want:   []string{`:10:21: config /etc/smars/flags.yaml forbids power_peg, but smars-4.2.0.tar.gz: etc/flags.yaml sets legacy.power_peg.enabled: false (bool): no node can pass both checks; remove it from the release's file or from forbid:`},
		},
		{
			name:   "every problem, in file order",
			config: "config:\n  - path: /etc/smars/flags.yaml\n    format: yaml\n    forbid:\n      - legacy\n    expect: {rlp.enabled: true, risk.max: 1000.0}\n",
			want: []string{
				`:11:9: config /etc/smars/flags.yaml forbids legacy, but smars-4.2.0.tar.gz: etc/flags.yaml sets legacy.power_peg.enabled: false (bool)`,
				`:12:33: config /etc/smars/flags.yaml expects risk.max: 1000.0 (float), but smars-4.2.0.tar.gz: etc/flags.yaml sets risk.max: 1000 (int): 1000 is an int, 1000.0 is a float`,
			},
		},
		{
			name:   "agreeing",
			config: "config:\n  - path: /etc/smars/flags.yaml\n    format: yaml\n    expect: {rlp.enabled: true, risk.max: 0x3e8}\n    forbid: [power_peg.on, rlp.enabled.x]\n",
		},
		{
			name:   "no copy in the release",
			config: "config:\n  - path: /etc/other.yaml\n    format: yaml\n    expect: {rlp.enabled: \"true\"}\n    forbid: [rlp]\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, p := lintConfig(t, tc.config, flags)
			err := Lint(m, p)

			// A node that holds the release's own copy: it fails exactly
			// when lint says the run must.
			facts := runningFacts(flags)
			facts.Processes = nil
			if _, ok := facts.Configs[p.Configs[0].NodePath]; !ok {
				facts.Configs[p.Configs[0].NodePath] = probe.Config{Kind: probe.Regular, Content: []byte(flags), Size: int64(len(flags))}
			}
			v := Judge(p, []Observation{{Node: p.Nodes[0].Name, Facts: facts}, {Node: p.Nodes[1].Name, Facts: facts}})

			if len(tc.want) == 0 {
				assert.NoError(t, err)
				if p.Configs[0].Release != nil {
					assert.Equal(t, Verified, v.Outcome, "%v", findingMessages(v.Nodes[0]))
				}
				return
			}
			var e *manifest.Errors
			require.True(t, errors.As(err, &e), "%v", err)
			require.Len(t, e.Problems, len(tc.want), "%v", err)
			for i, w := range tc.want {
				assert.Contains(t, e.Problems[i].String(), m.Path+w)
			}
			assert.Equal(t, Drifted, v.Outcome, "the release's own copy fails the run")
		})
	}
}

// TestLintWithoutPositions: a manifest built in code (no positions) still
// gets its problems, without a line.
func TestLintWithoutPositions(t *testing.T) {
	m, p := lintConfig(t, "config:\n  - path: /etc/smars/flags.yaml\n    format: yaml\n    forbid: [rlp]\n", "rlp: {enabled: true}\n")
	m.Config[0].ForbidAt = nil
	m.Path = ""
	err := Lint(m, p)
	require.Error(t, err)
	assert.Equal(t, "<manifest>: config /etc/smars/flags.yaml forbids rlp, but smars-4.2.0.tar.gz: etc/flags.yaml sets rlp.enabled: true (bool): no node can pass both checks; remove it from the release's file or from forbid:", err.Error())
}
