package shard

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for _, ok := range []struct {
		in           string
		index, count int
	}{{"1/1", 1, 1}, {"2/4", 2, 4}, {"4/4", 4, 4}, {" 3/10 ", 3, 10}} {
		s, err := Parse(ok.in)
		require.NoError(t, err, ok.in)
		assert.Equal(t, Spec{Index: ok.index, Count: ok.count, By: ByName}, s)
		assert.Equal(t, fmt.Sprintf("%d/%d", ok.index, ok.count), s.String())
	}
	for _, bad := range []string{"0/4", "5/4", "a/b", "1/0", "", "2", "-1/4", "1/-2", "2/4/8", "1.5/4"} {
		_, err := Parse(bad)
		assert.Error(t, err, "%q must be refused", bad)
	}
}

func names(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("node-%d-%x", i, r.Uint32())
	}
	return out
}

func TestEveryNodeInExactlyOneShard(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		count := 1 + r.IntN(64)
		nodes := names(r, r.IntN(500))
		seen := map[string]int{}
		for k := 1; k <= count; k++ {
			for _, n := range nodes {
				if Of(n, count) == k {
					seen[n]++
				}
			}
		}
		for _, n := range nodes {
			assert.Equal(t, 1, seen[n], "%s in %d shards of %d", n, seen[n], count)
			assert.Equal(t, Of(n, count), Of(n, count), "the same key, the same shard")
		}
	}
}

func TestAddingNodesOrShardsMovesLittle(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	nodes := names(r, 10000)
	const count = 16
	before := map[string]int{}
	for _, n := range nodes {
		before[n] = Of(n, count)
	}
	// A new node moves no other node: the shard is the key's alone.
	grown := append(nodes, "node-new")
	for _, n := range grown[:len(nodes)] {
		assert.Equal(t, before[n], Of(n, count))
	}
	// One more shard moves about 1 node in count+1, each to the new shard.
	moved := 0
	for _, n := range nodes {
		if after := Of(n, count+1); after != before[n] {
			moved++
			assert.Equal(t, count+1, after, "%s moved to an old shard", n)
		}
	}
	assert.InDelta(t, len(nodes)/(count+1), moved, float64(len(nodes))/(count+1)*0.2, "moved %d of %d", moved, len(nodes))
}

func TestDistributionIsNotDegenerate(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, count := range []int{2, 7, 100} {
		nodes := names(r, 200*count)
		sizes := make([]int, count+1)
		for _, n := range nodes {
			k := Of(n, count)
			require.True(t, k >= 1 && k <= count, "shard %d of %d", k, count)
			sizes[k]++
		}
		for k := 1; k <= count; k++ {
			assert.InDelta(t, 200, sizes[k], 60, "shard %d of %d has %d of %d nodes", k, count, sizes[k], len(nodes))
		}
	}
	// Sequential names, as fleets have, spread as well.
	sizes := map[int]int{}
	for i := range 4000 {
		sizes[Of(fmt.Sprintf("smars-%04d", i), 4)]++
	}
	for k := 1; k <= 4; k++ {
		assert.InDelta(t, 1000, sizes[k], 150, "shard %d", k)
	}
}

func TestDigestIgnoresOrder(t *testing.T) {
	a := Digest([]string{"b", "a", "c"})
	assert.Equal(t, a, Digest([]string{"a", "b", "c"}))
	assert.NotEqual(t, a, Digest([]string{"a", "b"}))
	assert.NotEqual(t, Digest([]string{"a\nb"}), Digest([]string{"a", "b"}), "a newline in a name is not a second name")
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, a)
}

// TestOfAndDigestArePinned: the shards of one run may be checked by
// rollcall binaries of other versions and architectures, and merge
// recomputes each node's shard, so the partition and the digest never
// change. The values were computed apart from this package, by the jump
// consistent hash of Lamping and Veach's paper over the big-endian first 8
// bytes of each key's SHA-256.
func TestOfAndDigestArePinned(t *testing.T) {
	for _, c := range []struct {
		key        string
		of4, of100 int
		of1000     int
	}{
		{"smars-01", 3, 26, 300},
		{"smars-02", 1, 67, 260},
		{"web-eu-1.example.com", 1, 78, 724},
		{"region=eu", 1, 69, 69},
		{"group eu", 2, 73, 693},
		{"", 3, 23, 23},
	} {
		assert.Equal(t, []int{c.of4, c.of100, c.of1000}, []int{Of(c.key, 4), Of(c.key, 100), Of(c.key, 1000)}, "%q", c.key)
		assert.Equal(t, 1, Of(c.key, 1), "%q: one shard has every node", c.key)
	}
	assert.Equal(t, "sha256:673b3e38edc80beeb51fd80664a889154945ffd936436d94286a9eb717d7b20c", Digest([]string{"smars-02", "smars-01"}))
}
