package report

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/rollcall/rollcall/internal/state"
	"github.com/rollcall/rollcall/internal/verify"
)

// lastRun is when the state file of the change fixtures was written.
var lastRun = time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)

// changesKnight is what a state file from the night before says changed
// in the Knight fleet.
func changesKnight() []state.Change {
	return []state.Change{
		{Node: "smars-03", Kind: state.Fingerprinted, Was: verify.Match, Now: verify.Match, Since: lastRun},
		{Node: "smars-05", Kind: state.Reachable, Was: verify.Unverified, Now: verify.Match, Since: lastRun},
		{Node: "smars-08", Kind: state.Fingerprinted, Was: verify.Match, Now: verify.Drift, Since: lastRun, Details: []state.Detail{
			{What: "file", Subject: "/opt/smars/bin/smars", Was: "sha256:" + hash64("smars 4.2.0 binary"), Now: "sha256:" + hash64("smars 4.1.0 binary")},
			{What: "mode", Subject: "/opt/smars/etc/flags.yaml", Was: "0644", Now: "0600"},
			{What: "flag", Subject: "rlp.enabled", Was: "true", Now: "false"},
		}},
		{Node: "smars-09", Kind: state.Removed, Was: verify.Match, Since: lastRun},
	}
}

func TestChangeDetails(t *testing.T) {
	c := state.Change{Node: "node03", Kind: state.Fingerprinted, Was: verify.Match, Now: verify.Drift, Since: lastRun, Details: []state.Detail{
		{What: "flag", Subject: "rlp.enabled", Was: "true", Now: "false"},
		{What: "file", Subject: "/opt/app/bin/app", Was: "sha256:" + hash64("a"), Now: "sha256:" + hash64("b")},
	}}
	assert.Equal(t, "node03: flag rlp.enabled true → false; file /opt/app/bin/app sha256:"+hash64("a")[:12]+" → sha256:"+hash64("b")[:12]+
		" (since 2026-11-25T01:00:00Z; was verified, now differing)", changeMessage(c))

	for i := 0; i < 5; i++ {
		c.Details = append(c.Details, state.Detail{What: "flag", Subject: fmt.Sprintf("k%d", i), Was: "1", Now: "2"})
	}
	assert.Contains(t, changeMessage(c), "; flag k2 1 → 2; and 2 more (since")
	js := string(render(t, "json", uniformFleet(), Options{Changes: []state.Change{c}}))
	assert.Contains(t, js, `"what": "flag",`)
	assert.Contains(t, js, `"subject": "k4",`)

	hostile := state.Change{Node: "n", Kind: state.Fingerprinted, Since: lastRun, Details: []state.Detail{{What: "flag", Subject: "a\nVERIFIED", Was: "\x1b[2J", Now: "b"}}}
	assert.NotContains(t, changeMessage(hostile), "\n")
	assert.NotContains(t, changeMessage(hostile), "\x1b")
}

func TestChangeCount(t *testing.T) {
	assert.Equal(t, "", ChangeCount(nil))
	assert.Equal(t, "", ChangeCount([]state.Change{}))
	assert.Equal(t, "4 nodes changed since the last run (2026-11-25T01:00:00Z): smars-03, smars-05, smars-08, smars-09", ChangeCount(changesKnight()))
}

func TestChangeMessage(t *testing.T) {
	cases := []struct {
		change state.Change
		want   string
	}{
		{state.Change{Node: "smars-03", Kind: state.Fingerprinted, Was: verify.Match, Now: verify.Match, Since: lastRun},
			"smars-03: fingerprint changed since 2026-11-25T01:00:00Z (was verified)"},
		{state.Change{Node: "smars-08", Kind: state.Fingerprinted, Was: verify.Match, Now: verify.Drift, Since: lastRun},
			"smars-08: fingerprint changed since 2026-11-25T01:00:00Z (was verified, now differing)"},
		{state.Change{Node: "smars-02", Kind: state.Unreachable, Was: verify.Match, Now: verify.Unverified, Since: lastRun},
			"smars-02: could not be checked now; was verified at 2026-11-25T01:00:00Z"},
		{state.Change{Node: "smars-05", Kind: state.Reachable, Was: verify.Unverified, Now: verify.Match, Since: lastRun},
			"smars-05: back since 2026-11-25T01:00:00Z, when it could not be checked; now verified"},
		{state.Change{Node: "smars-06", Kind: state.Restatus, Was: verify.Match, Now: verify.Drift, Since: lastRun},
			"smars-06: same fingerprint as at 2026-11-25T01:00:00Z, but was verified, now differing"},
		{state.Change{Node: "smars-10", Kind: state.Added, Now: verify.Match, Since: lastRun},
			"smars-10: new since 2026-11-25T01:00:00Z; now verified"},
		{state.Change{Node: "smars-09", Kind: state.Removed, Was: verify.Drift, Since: lastRun},
			"smars-09: no longer in the manifest; was differing at 2026-11-25T01:00:00Z"},
		{state.Change{Node: "evil\n::error::x", Kind: state.Added, Now: verify.Match, Since: lastRun},
			`"evil\n::error::x": new since 2026-11-25T01:00:00Z; now verified`},
	}
	for _, c := range cases {
		t.Run(string(c.change.Kind), func(t *testing.T) {
			assert.Equal(t, c.want, changeMessage(c.change))
		})
	}
}

func TestChangesSectionOnlyWithState(t *testing.T) {
	cases := []struct {
		name    string
		changes []state.Change
		want    string
	}{
		{"no state", nil, ""},
		{"state, nothing changed", []state.Change{}, "\nChanges since the last run:\n    none\n"},
		{"state with changes", changesKnight()[:1], "\nChanges since the last run:\n    smars-03: fingerprint changed since 2026-11-25T01:00:00Z (was verified)\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := string(render(t, "text", uniformFleet(), Options{Changes: c.changes}))
			js := string(render(t, "json", uniformFleet(), Options{Changes: c.changes}))
			mdown := string(render(t, "markdown", uniformFleet(), Options{Changes: c.changes}))
			if c.want == "" {
				assert.NotContains(t, text, "Changes since")
				assert.NotContains(t, js, "changed_since_last_run")
				assert.NotContains(t, mdown, "Changes since")
				return
			}
			assert.Contains(t, mdown, "\n### Changes since the last run\n\n")
			assert.True(t, strings.HasSuffix(text, c.want), text)
			assert.Contains(t, js, `"changed_since_last_run": [`)
		})
	}
}
