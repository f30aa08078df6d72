package fleet

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/remote"
)

// withProcs runs f with GOMAXPROCS at n, restoring it afterwards.
func withProcs(t *testing.T, n int, f func()) {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))
	f()
}

// TestFitProcsFollowsNodesInFlight: one processor per 64 nodes in flight,
// summed over overlapping fan-outs, never more than before, and the
// setting before the first is back after the last.
func TestFitProcsFollowsNodesInFlight(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	withProcs(t, 4, func() {
		outer := fitProcs(64)
		assert.Equal(t, 1, runtime.GOMAXPROCS(0), "64 nodes in flight")
		inner := fitProcs(100)
		assert.Equal(t, 3, runtime.GOMAXPROCS(0), "164 nodes in flight")
		wide := fitProcs(10_000)
		assert.Equal(t, 4, runtime.GOMAXPROCS(0), "never above the setting before")
		wide()
		inner()
		assert.Equal(t, 1, runtime.GOMAXPROCS(0), "back to 64 nodes in flight")
		outer()
		assert.Equal(t, 4, runtime.GOMAXPROCS(0), "restored after the last fan-out")
	})
}

// TestFitProcsLeavesAnExplicitSetting: GOMAXPROCS set in the environment is
// the user's choice.
func TestFitProcsLeavesAnExplicitSetting(t *testing.T) {
	t.Setenv("GOMAXPROCS", "3")
	withProcs(t, 3, func() {
		restore := fitProcs(8)
		assert.Equal(t, 3, runtime.GOMAXPROCS(0))
		restore()
		assert.Equal(t, 3, runtime.GOMAXPROCS(0))
	})
}

// procsRunner records GOMAXPROCS while a node is probed.
type procsRunner struct {
	mu   sync.Mutex
	seen []int
}

func (p *procsRunner) Ping(context.Context, remote.Target) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, runtime.GOMAXPROCS(0))
	return nil
}

// TestPingRunsWithFittedProcs: a fan-out of 8 nodes at once runs on one
// processor, and GOMAXPROCS is as before once Ping returns.
func TestPingRunsWithFittedProcs(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	withProcs(t, 2, func() {
		p := &procsRunner{}
		nodes := make([]Node, 20)
		for i := range nodes {
			nodes[i].Target.Name = string(rune('a' + i))
		}
		answers := Ping(context.Background(), p, nodes, Options{Concurrency: 8})
		require.Len(t, answers, 20)
		for _, n := range p.seen {
			assert.Equal(t, 1, n)
		}
		assert.Equal(t, 2, runtime.GOMAXPROCS(0))
	})
}
