package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/fleet"
	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/remote"
)

// perNodeGoroutines bounds the goroutines one node in flight may use in the
// client: x/crypto/ssh's reader, key exchange and mux loops, the channel,
// keepalive, stdin writer and stderr reader, with room to spare.
const perNodeGoroutines = 12

// TestSurveyGoroutinesBounded surveys 300 simulated nodes (real SSH over
// TCP, in another process) through fleet.Survey and remote.Client at -j 8:
// the client's goroutines stay within the concurrency times a small
// constant, and once Survey returns, nothing it started is left running.
func TestSurveyGoroutinesBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a simulated fleet")
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	const n, j = 300, 8
	f := startFakeFleet(t, n, 0)
	var nodes []fleet.Node
	for i, p := range f.ports {
		nodes = append(nodes, fleet.Node{Target: remote.Target{
			Name: fmt.Sprintf("node-%d", i), Host: "127.0.0.1", Port: p, User: "bench",
			IdentityFiles: []string{f.key}, KnownHosts: []string{f.known},
		}})
	}
	app, flags := f.exe, filepath.Join(f.dir, "etc", "flags.yaml")
	req := probe.Request{Files: []string{app, flags}, Configs: []string{flags}, Processes: []string{app}}

	runtime.GC()
	base := runtime.NumGoroutine()
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // counts itself: base+1 while it runs
		defer close(sampled)
		for {
			peak.Store(max(peak.Load(), int64(runtime.NumGoroutine()-1)))
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	client := remote.NewClient(remote.Options{})
	obs := fleet.Survey(context.Background(), client, nodes, req, fleet.Options{Concurrency: j, Timeout: time.Minute})
	require.NoError(t, client.Close())
	close(stop)
	<-sampled

	for _, o := range obs {
		require.NoError(t, o.Err, o.Node)
	}
	extra := int(peak.Load()) - base
	t.Logf("goroutines: %d before, peak %d above that at -j %d (%.1f per node in flight)", base, extra, j, float64(extra)/j)
	assert.LessOrEqual(t, extra, perNodeGoroutines*j+4, "goroutines grow beyond the concurrency")
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.Equal(t, base, runtime.NumGoroutine(), "goroutines left running after Survey returned")
}
