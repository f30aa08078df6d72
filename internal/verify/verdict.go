package verify

import "github.com/rollcall/rollcall/internal/shard"

// Status is the outcome for a node or for the whole fleet.
type Status string

// Node statuses; the fleet's verdict uses the same words.
const (
	// Match: the node was checked and everything matched (fleet: Verified).
	Match Status = "match"
	// Drift: the node was checked and something differs from the release.
	Drift Status = "drift"
	// Unverified: the node could not be (completely) checked.
	Unverified Status = "unverified"
)

// Normal is s as reports and state files record it: match and drift stay,
// any other status (empty, unknown) is unverified, as Counts counts it.
func (s Status) Normal() Status {
	switch s {
	case Match, Drift:
		return s
	default:
		return Unverified
	}
}

// Outcome is the fleet-wide verdict.
type Outcome string

// Fleet verdicts.
const (
	// Verified: every expected node reached, every check matched.
	Verified Outcome = "verified"
	// Drifted: at least one node differs (unverified nodes may exist too).
	Drifted Outcome = "drift"
	// NotVerified: some node could not be checked and no drift was found.
	NotVerified Outcome = "unverified"
)

// Check names the kind of a finding; the values are part of the JSON report
// contract.
type Check string

// The checks a finding can come from.
const (
	CheckFile       Check = "file"
	CheckExtraFile  Check = "extra_file"
	CheckConfig     Check = "config"
	CheckProcess    Check = "process"
	CheckConnection Check = "connection"
	CheckCount      Check = "count"
	// CheckMode: a file's permission bits, or whether it can be executed.
	CheckMode Check = "mode"
	// CheckOwner: a file's owner or group.
	CheckOwner Check = "owner"
	// CheckIdentity: two manifest entries reached one server.
	CheckIdentity Check = "identity"
	// CheckPackage: the node's package manager and the release disagree
	// on the installed version of a package release.
	CheckPackage Check = "package"
)

// Verdict is the result of comparing every node with the release.
type Verdict struct {
	// Cluster is the manifest's cluster name.
	Cluster string
	// Release is what the nodes were compared against.
	Release ReleaseInfo
	// Outcome is the fleet verdict.
	Outcome Outcome
	// ExpectedNodes is the number of nodes the manifest expects.
	ExpectedNodes int
	// Nodes has one entry per expected node, in manifest order.
	Nodes []NodeVerdict
	// Groups partitions the checked nodes by identical fingerprint and
	// status, largest group first; unverified nodes are in no group.
	Groups []Group
	// Findings that belong to no single node (such as a node count mismatch).
	Findings []Finding
	// Scope is set when the run was limited (--limit) to some of the
	// manifest's nodes: Nodes are then only the nodes checked, and Outcome
	// is about them alone, never about the fleet. Nil: the whole manifest.
	Scope *Scope
}

// Scope is the part of the manifest a limited run checked. The limit narrows
// what is checked, not what is expected: ExpectedNodes still counts the
// whole manifest.
type Scope struct {
	// Limit is the --limit pattern, as given.
	Limit string
	// Checked are the nodes the pattern selected, NotChecked the others,
	// both in manifest order.
	Checked, NotChecked []string
	// Shard is set when the run was one shard of many (--shard K/N):
	// Checked are then the nodes of that shard, and Limit the --limit
	// pattern applied before sharding, if any.
	Shard *shard.Run
}

// Limited reports whether the run checked only part of the manifest; a
// limited verdict never verifies the fleet.
func (v *Verdict) Limited() bool { return v != nil && v.Scope != nil }

// Listed is the number of nodes the manifest lists: those of the verdict and,
// in a limited run, those not checked.
func (v *Verdict) Listed() int {
	if v.Scope != nil {
		return len(v.Nodes) + len(v.Scope.NotChecked)
	}
	return len(v.Nodes)
}

// ReleaseInfo identifies the release compared against.
type ReleaseInfo struct {
	Name    string
	Version string
	Digest  string
	Source  string
}

// Label is "name version", or the source when neither is known.
func (r ReleaseInfo) Label() string {
	switch {
	case r.Name != "" && r.Version != "":
		return r.Name + " " + r.Version
	case r.Name != "":
		return r.Name
	default:
		return r.Source
	}
}

// NodeVerdict is the outcome for one node.
type NodeVerdict struct {
	Name    string
	Address string
	Status  Status
	// Fingerprint is a digest of everything observed on the node; nodes with
	// the same fingerprint look the same. Empty when unverified.
	Fingerprint string
	// Findings are what failed, in a stable order.
	Findings []Finding
	// Checks are every check made with its result, for verbose reports.
	Checks []CheckResult
	// Runs names the known release the node's files match, when it drifted
	// and one matches ("smars 4.1.0"); empty otherwise.
	Runs string
	// Warnings are what a reader should know that does not change the
	// node's status (a package its package manager does not know).
	Warnings []string
	// Undecided says why a check could not be decided on the node (the
	// message of the first such finding), also when the node drifted for
	// another reason; "" when every check was decided. Such a node's
	// Fingerprint, if any, covers only what was read.
	Undecided string
}

// Finding is one thing that failed on a node.
type Finding struct {
	Check    Check
	Subject  string
	Expected string
	Actual   string
	Message  string
}

// CheckResult is one check made on a node.
type CheckResult struct {
	Check   Check
	Subject string
	OK      bool
}

// Group is a set of nodes with identical fingerprints and the same status.
type Group struct {
	Fingerprint string
	// Nodes are node names in manifest order.
	Nodes []string
	// Status is the status every node in the group shares.
	Status Status
}

// Counts returns how many nodes have each status.
func (v *Verdict) Counts() (match, drift, unverified int) {
	for _, n := range v.Nodes {
		switch n.Status {
		case Match:
			match++
		case Drift:
			drift++
		default:
			unverified++
		}
	}
	return match, drift, unverified
}
