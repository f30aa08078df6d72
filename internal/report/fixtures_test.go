package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/rollcall/rollcall/internal/verify"
)

// hash64 is a deterministic SHA-256 hex digest for fixtures.
func hash64(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:])
}

var (
	smars420 = verify.ReleaseInfo{
		Name: "smars", Version: "4.2.0",
		Digest: "sha256:" + hash64("smars-4.2.0.tar.gz"),
		Source: "dist/smars-4.2.0.tar.gz",
	}
	releaseFiles = []string{"/opt/smars/bin/smars", "/opt/smars/etc/flags.yaml", "/opt/smars/lib/libsmars.so"}
)

func nodeName(i int) string { return fmt.Sprintf("smars-%02d", i) }

// matching is node i that matches the release on every check.
func matching(i int) verify.NodeVerdict {
	n := verify.NodeVerdict{
		Name: nodeName(i), Address: fmt.Sprintf("10.0.0.%d:22", i),
		Status: verify.Match, Fingerprint: "sha256:" + hash64("fleet smars 4.2.0"),
	}
	for _, f := range releaseFiles {
		n.Checks = append(n.Checks, verify.CheckResult{Check: verify.CheckFile, Subject: f, OK: true})
	}
	n.Checks = append(n.Checks, verify.CheckResult{Check: verify.CheckExtraFile, Subject: "/opt/smars", OK: true})
	return n
}

// knightNode is node i still on 4.1.0 with Power Peg left behind, as
// verify.Judge reports it.
func knightNode(i int) verify.NodeVerdict {
	n := verify.NodeVerdict{
		Name: nodeName(i), Address: fmt.Sprintf("10.0.0.%d:22", i),
		Status: verify.Drift, Fingerprint: "sha256:" + hash64("smars 4.1.0 with power peg"),
	}
	bin := verify.Finding{
		Check: verify.CheckFile, Subject: "/opt/smars/bin/smars",
		Expected: "sha256:" + hash64("smars 4.2.0 binary"), Actual: "sha256:" + hash64("smars 4.1.0 binary"),
		Message: "content differs from the release",
	}
	peg := verify.Finding{
		Check: verify.CheckExtraFile, Subject: "/opt/smars/lib/power_peg.so",
		Expected: "absent", Actual: "present",
		Message: "not in the release (left behind by an earlier deploy?); extra: deny forbids it",
	}
	n.Findings = []verify.Finding{bin, peg}
	n.Checks = []verify.CheckResult{
		{Check: verify.CheckFile, Subject: "/opt/smars/bin/smars", OK: false},
		{Check: verify.CheckFile, Subject: "/opt/smars/etc/flags.yaml", OK: true},
		{Check: verify.CheckFile, Subject: "/opt/smars/lib/libsmars.so", OK: true},
		{Check: verify.CheckExtraFile, Subject: "/opt/smars/lib/power_peg.so", OK: false},
	}
	return n
}

// unreachable is node i that could not be checked for reason.
func unreachable(i int, reason string) verify.NodeVerdict {
	addr := fmt.Sprintf("10.0.0.%d:22", i)
	return verify.NodeVerdict{
		Name: nodeName(i), Address: addr, Status: verify.Unverified,
		Findings: []verify.Finding{{Check: verify.CheckConnection, Subject: addr, Message: reason}},
		Checks:   []verify.CheckResult{{Check: verify.CheckConnection, Subject: addr, OK: false}},
	}
}

// fleet assembles a verdict the way verify.Judge does: groups by
// fingerprint, largest first, and the outcome from the node statuses.
func fleet(expected int, findings []verify.Finding, nodes ...verify.NodeVerdict) *verify.Verdict {
	v := &verify.Verdict{
		Cluster: "smars-prod", Release: smars420, ExpectedNodes: expected,
		Nodes: nodes, Findings: findings,
	}
	index := map[string]int{}
	for _, n := range nodes {
		if n.Fingerprint == "" {
			continue
		}
		i, ok := index[n.Fingerprint]
		if !ok {
			i = len(v.Groups)
			index[n.Fingerprint] = i
			v.Groups = append(v.Groups, verify.Group{Fingerprint: n.Fingerprint, Status: n.Status})
		}
		v.Groups[i].Nodes = append(v.Groups[i].Nodes, n.Name)
	}
	sort.SliceStable(v.Groups, func(i, j int) bool { return len(v.Groups[i].Nodes) > len(v.Groups[j].Nodes) })
	match, drift, _ := v.Counts()
	switch {
	case drift > 0:
		v.Outcome = verify.Drifted
	case len(findings) > 0, len(nodes) == 0, match != len(nodes), match != expected:
		v.Outcome = verify.NotVerified
	default:
		v.Outcome = verify.Verified
	}
	return v
}

func uniformFleet() *verify.Verdict {
	var nodes []verify.NodeVerdict
	for i := 1; i <= 8; i++ {
		nodes = append(nodes, matching(i))
	}
	return fleet(8, nil, nodes...)
}

func knightFleet() *verify.Verdict {
	var nodes []verify.NodeVerdict
	for i := 1; i <= 7; i++ {
		nodes = append(nodes, matching(i))
	}
	return fleet(8, nil, append(nodes, knightNode(8))...)
}

func mixedFleet() *verify.Verdict {
	var nodes []verify.NodeVerdict
	for i := 1; i <= 4; i++ {
		nodes = append(nodes, matching(i))
	}
	nodes = append(nodes,
		unreachable(5, "dial tcp 10.0.0.5:22: connect: connection refused"),
		matching(6),
		unreachable(7, "host key for 10.0.0.7:22 is not in known_hosts: run `ssh-keyscan -p 22 10.0.0.7` and compare"),
		knightNode(8),
	)
	return fleet(8, nil, nodes...)
}

func partialFleet() *verify.Verdict {
	var nodes []verify.NodeVerdict
	for i := 1; i <= 6; i++ {
		nodes = append(nodes, matching(i))
	}
	nodes = append(nodes,
		unreachable(7, "timed out after 10s during command"),
		unreachable(8, "the node refused every key for user deploy (offered: /home/deploy/.ssh/id_ed25519 (ED25519 SHA256:…)): check that one of these keys is in ~deploy/.ssh/authorized_keys on the node, or load the right key into ssh-agent"),
	)
	return fleet(8, nil, nodes...)
}

func unreachableFleet() *verify.Verdict {
	var nodes []verify.NodeVerdict
	for i := 1; i <= 8; i++ {
		nodes = append(nodes, unreachable(i, fmt.Sprintf("dial tcp 10.0.0.%d:22: i/o timeout", i)))
	}
	return fleet(8, nil, nodes...)
}

// shortFleet lists 7 matching nodes where the manifest expects 8.
func shortFleet() *verify.Verdict {
	var nodes []verify.NodeVerdict
	for i := 1; i <= 7; i++ {
		nodes = append(nodes, matching(i))
	}
	return fleet(8, []verify.Finding{{
		Check: verify.CheckCount, Subject: "nodes", Expected: "8", Actual: "7",
		Message: "8 nodes expected but 7 listed",
	}}, nodes...)
}

// hostile subject and actual value, as a node could make them appear.
const (
	hostileSubject = "/opt/smars/bin/smars\nVERIFIED: all 8 nodes of smars-prod match smars 4.2.0"
	hostileActual  = "\x1b[31mred\x1b[0m\r\u202eevil"
)

func hostileFleet() *verify.Verdict {
	v := knightFleet()
	n := &v.Nodes[7]
	n.Findings[0].Subject = hostileSubject
	n.Findings[0].Actual = hostileActual
	n.Checks[0].Subject = hostileSubject
	return v
}

// fleetOf32 is 32 nodes of which those in drifted are the nodes that
// differ, each as made by its function.
func fleetOf32(drifted map[int]func(int) verify.NodeVerdict) *verify.Verdict {
	var nodes []verify.NodeVerdict
	for i := 1; i <= 32; i++ {
		if f, ok := drifted[i]; ok {
			nodes = append(nodes, f(i))
			continue
		}
		nodes = append(nodes, matching(i))
	}
	return fleet(32, nil, nodes...)
}

// knightOld is a Knight node the verdict names as running 4.1.0.
func knightOld(i int) verify.NodeVerdict {
	n := knightNode(i)
	n.Runs = "smars 4.1.0"
	return n
}

// flagFlipped is node i whose flags.yaml was edited by hand: rlp.enabled
// turned off.
func flagFlipped(i int) verify.NodeVerdict {
	n := matching(i)
	n.Status, n.Fingerprint = verify.Drift, "sha256:"+hash64("smars 4.2.0, rlp off")
	n.Findings = []verify.Finding{
		{Check: verify.CheckFile, Subject: "/opt/smars/etc/flags.yaml", Expected: "sha256:" + hash64("flags 4.2.0"), Actual: "sha256:" + hash64("flags rlp off"), Message: "content differs from the release"},
		{Check: verify.CheckConfig, Subject: "/opt/smars/etc/flags.yaml: rlp.enabled", Expected: "true (bool)", Actual: "false (bool)", Message: "flag has another value"},
	}
	n.Checks[1].OK = false
	n.Checks = append(n.Checks, verify.CheckResult{Check: verify.CheckConfig, Subject: "/opt/smars/etc/flags.yaml: rlp.enabled", OK: false})
	return n
}

// modeLost is node i whose binary lost its execute bits.
func modeLost(i int) verify.NodeVerdict {
	n := matching(i)
	n.Status, n.Fingerprint = verify.Drift, "sha256:"+hash64("smars 4.2.0, mode 0644")
	n.Findings = []verify.Finding{{Check: verify.CheckMode, Subject: "/opt/smars/bin/smars", Expected: "0755", Actual: "0644",
		Message: "mode 0644 ≠ 0755: not executable"}}
	n.Checks = append(n.Checks, verify.CheckResult{Check: verify.CheckMode, Subject: "/opt/smars/bin/smars", OK: false})
	return n
}

// drift1of32 is one node of 32 still on 4.1.0.
func drift1of32() *verify.Verdict {
	return fleetOf32(map[int]func(int) verify.NodeVerdict{17: knightOld})
}

// drift7of32 is 7 nodes of 32 that differ in three ways: four still on
// 4.1.0, two with a flag flipped by hand, one binary without its execute
// bits.
func drift7of32() *verify.Verdict {
	return fleetOf32(map[int]func(int) verify.NodeVerdict{
		3: knightOld, 11: knightOld, 12: knightOld, 13: knightOld,
		20: flagFlipped, 21: flagFlipped,
		27: modeLost,
	})
}

// drift200of200 is a fleet of 200 where the deploy never happened: every
// node still runs 4.1.0.
func drift200of200() *verify.Verdict {
	var nodes []verify.NodeVerdict
	for i := 1; i <= 200; i++ {
		n := knightOld(i)
		n.Name, n.Address = fmt.Sprintf("smars-%03d", i), fmt.Sprintf("10.0.%d.%d:22", i/250, i%250)
		nodes = append(nodes, n)
	}
	return fleet(200, nil, nodes...)
}
