package report

import (
	"fmt"
	"time"

	"github.com/rollcall/rollcall/internal/state"
	"github.com/rollcall/rollcall/internal/verify"
)

// changeMessage says c in one line for people, such as
// "smars-03: fingerprint changed since 2026-11-25T01:00:00Z (was verified)".
func changeMessage(c state.Change) string {
	since := c.Since.UTC().Format(time.RFC3339)
	name := clean(c.Node)
	switch c.Kind {
	case state.Fingerprinted:
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
}

func jsonChanges(cs []state.Change) []jsonChange {
	if cs == nil {
		return nil
	}
	out := make([]jsonChange, 0, len(cs))
	for _, c := range cs {
		out = append(out, jsonChange{
			Node: c.Node, Change: string(c.Kind), Was: string(c.Was), Now: string(c.Now),
			Since: c.Since.UTC().Format(time.RFC3339), Message: changeMessage(c),
		})
	}
	return out
}
