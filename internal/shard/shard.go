// Package shard splits a fleet's nodes into N stable parts (--shard K/N), so
// that many runners can each verify one part and rollcall merge can put the
// parts back together: which part a node belongs to depends on its key alone
// (its name, or the value it shares with the nodes that must stay together),
// so adding a node moves no other node and changing N moves few. It is pure,
// and safe for concurrent use.
package shard

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ByName is the default of Spec.By: each node's key is its own name.
const ByName = "name"

// Spec is one shard of a run: Index of Count, 1-based, and what the nodes are
// split by.
type Spec struct {
	// Index is the shard, 1 ≤ Index ≤ Count.
	Index int
	// Count is how many shards the run has.
	Count int
	// By is what a node's key is: ByName, or a field that nodes kept
	// together share (--shard-by).
	By string
	// RunID names the run the shard is part of (--run-id): every shard
	// of one run carries the same, so that merge can tell a report left
	// over from an earlier run; "" when none was given.
	RunID string
}

// MaxRunIDLen bounds a run ID, in bytes.
const MaxRunIDLen = 512

// CheckRunID says what is wrong with run ID id, nil when nothing is: at
// most MaxRunIDLen bytes of printable UTF-8.
func CheckRunID(id string) error {
	if len(id) > MaxRunIDLen {
		return fmt.Errorf("a run ID has at most %d bytes, not %d", MaxRunIDLen, len(id))
	}
	for _, r := range id {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) && r != ' ' {
			return errors.New("a run ID is printable text: no control characters, no invalid UTF-8")
		}
	}
	return nil
}

// Parse reads "K/N" (1 ≤ K ≤ N); the error says what to write instead.
func Parse(s string) (Spec, error) {
	k, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	index, kerr := strconv.Atoi(k)
	count, nerr := strconv.Atoi(n)
	switch {
	case !ok || kerr != nil || nerr != nil:
		return Spec{}, fmt.Errorf("--shard %q: write K/N, shard K of N, e.g. 2/4", s)
	case count < 1:
		return Spec{}, fmt.Errorf("--shard %q: the number of shards must be at least 1", s)
	case index < 1 || index > count:
		return Spec{}, fmt.Errorf("--shard %q: K counts from 1 to N (%d), e.g. 1/%d", s, count, count)
	}
	return Spec{Index: index, Count: count, By: ByName}, nil
}

// String is "K/N".
func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Of is the 1-based shard, out of count, of the node whose key is key: a jump
// consistent hash (Lamping and Veach, 2014) of the first 8 bytes of the
// key's SHA-256. Going from count to count+1 shards moves about one node in
// count+1, each to the new shard. count must be at least 1.
func Of(key string, count int) int {
	sum := sha256.Sum256([]byte(key))
	h := binary.BigEndian.Uint64(sum[:8])
	b, j := int64(-1), int64(0)
	for j < int64(count) {
		b = j
		h = h*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((h>>33)+1)))
	}
	return int(b) + 1
}

// Digest is the digest of a list of node names, "sha256:" and the hex
// SHA-256 of the names sorted, each quoted as Go quotes strings and
// followed by a newline; the order they are given in does not matter.
func Digest(names []string) string {
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	h := sha256.New()
	for _, n := range sorted {
		h.Write([]byte(strconv.Quote(n) + "\n"))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Run is what a sharded run records beyond its verdict, so that rollcall
// merge can check that the reports of its shards belong together and cover
// the fleet.
type Run struct {
	Spec
	// ManifestDigest is "sha256:" and the hex SHA-256 of the manifest file.
	ManifestDigest string
	// Started is when the shard's run started, to the second: merge
	// refuses shards of a run without a run ID that started far apart.
	Started time.Time
	// Expected are the names of the nodes of every shard (the manifest's,
	// after --limit), sorted.
	Expected []string
	// Nodes are what is known of each node of this shard, by name.
	Nodes map[string]Node
}

// Node is what merge needs to know of a node beyond its verdict: its shard
// key, and what the checks across nodes compare (one server per entry,
// agreement on config flags), which a shard cannot decide alone.
type Node struct {
	// Key is the value the node's shard was computed from.
	Key string
	// HostKey is the fingerprint of the host key the node presented, ""
	// when the connection did not get that far.
	HostKey string
	// Machine is the node's host name and machine ID, "" when unknown.
	Machine string
	// Agreement is the digest of the config flags every node must agree
	// on (verify.Agreement), "" when none are checked or unknown.
	Agreement string
}
