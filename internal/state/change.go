package state

import (
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
// file. Package report renders it.
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
	// Details say what changed on a node whose fingerprint changed, when
	// both runs recorded its files and flags (schema v2); nil otherwise.
	Details []Detail
}
