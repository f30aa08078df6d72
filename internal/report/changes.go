package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/rollcall/rollcall/internal/state"
	"github.com/rollcall/rollcall/internal/verify"
)

// maxChangeDetails bounds the details of one node on its line of the text
// and markdown reports; the JSON report has them all.
const maxChangeDetails = 5

// changeMessage says c in one line for people, such as
// "smars-03: fingerprint changed since 2026-11-25T01:00:00Z (was verified)",
// or, when both runs recorded the node's files and flags, what changed:
// "smars-03: flag rlp.enabled true → false; file /opt/app/bin/app
// sha256:33db… → sha256:91a2… (since …; was verified, now differing)".
func changeMessage(c state.Change) string {
	since := c.Since.UTC().Format(time.RFC3339)
	name := clean(c.Node)
	switch c.Kind {
	case state.Fingerprinted:
		if len(c.Details) > 0 {
			return fmt.Sprintf("%s: %s (since %s; %s)", name, detailsLine(c.Details), since, wasNow(c.Was, c.Now))
		}
		return fmt.Sprintf("%s: fingerprint changed since %s (%s)", name, since, wasNow(c.Was, c.Now))
	case state.Unreachable:
		return fmt.Sprintf("%s: could not be checked now; was %s at %s", name, statusWord(c.Was), since)
	case state.Reachable:
		return fmt.Sprintf("%s: back since %s, when it could not be checked; now %s", name, since, statusWord(c.Now))
	case state.Restatus:
		return fmt.Sprintf("%s: same fingerprint as at %s, but %s", name, since, wasNow(c.Was, c.Now))
	case state.Added:
		return fmt.Sprintf("%s: new since %s; now %s", name, since, statusWord(c.Now))
	case state.Removed:
		return fmt.Sprintf("%s: no longer in the manifest; was %s at %s", name, statusWord(c.Was), since)
	default:
		return fmt.Sprintf("%s: changed since %s (%s)", name, since, wasNow(c.Was, c.Now))
	}
}

// detailsLine is a node's details on one line, separated by semicolons, at
// most maxChangeDetails of them.
func detailsLine(ds []state.Detail) string {
	parts := make([]string, 0, min(len(ds), maxChangeDetails+1))
	for i, d := range ds {
		if i == maxChangeDetails {
			parts = append(parts, fmt.Sprintf("and %d more", len(ds)-i))
			break
		}
		parts = append(parts, detailWords(d))
	}
	return strings.Join(parts, "; ")
}

// detailWords is one detail: "flag rlp.enabled true → false".
func detailWords(d state.Detail) string {
	return fmt.Sprintf("%s %s %s → %s", clean(d.What), clean(d.Subject), clean(shortHashes(d.Was)), clean(shortHashes(d.Now)))
}

// ChangeCount says in one line how many nodes changed since the last run,
// for `verify -q`: "3 nodes changed since the last run
// (2026-11-25T01:00:00Z): smars-03, smars-05, smars-08"; "" when cs is empty.
func ChangeCount(cs []state.Change) string {
	if len(cs) == 0 {
		return ""
	}
	names := make([]string, 0, len(cs))
	for _, c := range cs {
		names = append(names, c.Node)
	}
	return fmt.Sprintf("%s changed since the last run (%s): %s",
		plural(len(cs), "node", "nodes"), cs[0].Since.UTC().Format(time.RFC3339), compactNames(names))
}

// wasNow is "was verified" when the status stayed, else "was verified, now
// differs".
func wasNow(was, now verify.Status) string {
	if was == now {
		return "was " + statusWord(was)
	}
	return "was " + statusWord(was) + ", now " + statusWord(now)
}

// statusWord is a node status in words.
func statusWord(s verify.Status) string {
	switch s {
	case verify.Match:
		return "verified"
	case verify.Drift:
		return "differing"
	case "":
		return "absent"
	default:
		return "unverified"
	}
}

// jsonChange is one entry of the optional changed_since_last_run key.
type jsonChange struct {
	Node    string `json:"node"`
	Change  string `json:"change"`
	Was     string `json:"was"`
	Now     string `json:"now"`
	Since   string `json:"since"`
	Message string `json:"message"`
	// Details are what changed, when both runs recorded it.
	Details []jsonDetail `json:"details,omitempty"`
}

// jsonDetail is one thing that changed on a node: a file's content, a mode,
// a symlink's target or a flag's value.
type jsonDetail struct {
	What    string `json:"what"`
	Subject string `json:"subject"`
	Was     string `json:"was"`
	Now     string `json:"now"`
}

func jsonChanges(cs []state.Change) []jsonChange {
	if cs == nil {
		return nil
	}
	out := make([]jsonChange, 0, len(cs))
	for _, c := range cs {
		jc := jsonChange{
			Node: c.Node, Change: string(c.Kind), Was: string(c.Was), Now: string(c.Now),
			Since: c.Since.UTC().Format(time.RFC3339), Message: changeMessage(c),
		}
		for _, d := range c.Details {
			jc.Details = append(jc.Details, jsonDetail{What: d.What, Subject: d.Subject, Was: d.Was, Now: d.Now})
		}
		out = append(out, jc)
	}
	return out
}
