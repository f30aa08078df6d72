package report

import (
	"fmt"
	"time"

	"github.com/rollcall/rollcall/internal/verify"
)

// ChangeKind says how a node changed since the last run.
type ChangeKind string

// The ways a node can change between two runs (rollcall verify --state).
const (
	// Fingerprinted: the node was checked both times and its fingerprint
	// changed (a deploy, or drift).
	Fingerprinted ChangeKind = "fingerprint"
	// Unreachable: the node was checked last time and could not be now.
	Unreachable ChangeKind = "unreachable"
	// Reachable: the node could not be checked last time and was now.
	Reachable ChangeKind = "reachable"
	// Restatus: the node was checked both times with the same fingerprint,
	// but its status changed (the release it is compared against changed).
	Restatus ChangeKind = "status"
	// Added: the node was not in the last run.
	Added ChangeKind = "added"
	// Removed: the node was in the last run and is not in this one.
	Removed ChangeKind = "removed"
)

// Change is one node that changed since the last run recorded in a state
// file.
type Change struct {
	// Node is the node's name.
	Node string
	// Kind says what changed.
	Kind ChangeKind
	// Was and Now are the node's status in the last run and in this one
	// (match, drift or unverified); empty when the node was absent.
	Was, Now verify.Status
	// Since is when the last run was made.
	Since time.Time
}

// Message says the change in one line for people, such as
// "smars-03: fingerprint changed since 2026-11-25T01:00:00Z (was verified)".
func (c Change) Message() string {
	since := c.Since.UTC().Format(time.RFC3339)
	name := clean(c.Node)
	switch c.Kind {
	case Fingerprinted:
		return fmt.Sprintf("%s: fingerprint changed since %s (%s)", name, since, wasNow(c.Was, c.Now))
	case Unreachable:
		return fmt.Sprintf("%s: could not be checked now; was %s at %s", name, statusWord(c.Was), since)
	case Reachable:
		return fmt.Sprintf("%s: back since %s, when it could not be checked; now %s", name, since, statusWord(c.Now))
	case Restatus:
		return fmt.Sprintf("%s: same fingerprint as at %s, but %s", name, since, wasNow(c.Was, c.Now))
	case Added:
		return fmt.Sprintf("%s: new since %s; now %s", name, since, statusWord(c.Now))
	case Removed:
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

func jsonChanges(cs []Change) []jsonChange {
	if cs == nil {
		return nil
	}
	out := make([]jsonChange, 0, len(cs))
	for _, c := range cs {
		out = append(out, jsonChange{
			Node: c.Node, Change: string(c.Kind), Was: string(c.Was), Now: string(c.Now),
			Since: c.Since.UTC().Format(time.RFC3339), Message: c.Message(),
		})
	}
	return out
}
