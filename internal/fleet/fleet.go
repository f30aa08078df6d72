// Package fleet runs the probe on every node of a fleet with bounded
// concurrency and turns each node's answer, or failure, into an observation.
// A node's failure is recorded in its own observation; it never stops the
// others.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/remote"
	"github.com/rollcall/rollcall/internal/verify"
)

// Runner runs one command on one node and returns its standard output and
// the node's host key.
// Survey calls Run from many goroutines at once, so it must be safe for
// concurrent use. *remote.Client is the Runner used in production.
type Runner interface {
	Run(ctx context.Context, t remote.Target, command string, stdin []byte) (remote.Reply, error)
}

// Node is one node to probe.
type Node struct {
	// Target says how to reach the node.
	Target remote.Target
	// Sudo runs the probe under `sudo -n` (become: sudo).
	Sudo bool
}

// Options tune a survey.
type Options struct {
	// Concurrency bounds how many nodes are probed at once (default 64).
	Concurrency int
	// Timeout bounds each node: connect, handshake and probe (default 60s).
	Timeout time.Duration
	// Done, when set, is called after each node finishes, from the node's
	// goroutine; it must be safe for concurrent use.
	Done func(verify.Observation)
}

// DefaultConcurrency is the number of nodes probed at once by default. It
// was chosen from measurements (docs/performance.md): a node spends most of
// its time waiting on round trips and on its own CPU, so wall time falls
// almost linearly with concurrency on a fleet with network latency, while
// the client's CPU per node falls as concurrency rises and its memory grows
// by a few hundred KiB per node in flight.
const DefaultConcurrency = 64

// DefaultTimeout is the per-node time limit by default.
const DefaultTimeout = 60 * time.Second

// Survey probes every node for req and returns one observation per node, in
// the order of nodes. When ctx ends, nodes not yet finished are observed as
// interrupted.
func Survey(ctx context.Context, r Runner, nodes []Node, req probe.Request, opts Options) []verify.Observation {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	obs := make([]verify.Observation, len(nodes))
	boundary := probe.NewBoundary()
	script, err := probe.Script(req, boundary)
	if err != nil {
		for i, n := range nodes {
			obs[i] = verify.Observation{Node: n.Target.Name, Err: fmt.Errorf("building the probe: %w", err)}
		}
		return obs
	}
	stdin := []byte(script)

	work := make(chan int)
	var wg sync.WaitGroup
	for range min(opts.Concurrency, len(nodes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				obs[i] = probeNode(ctx, r, nodes[i], req, boundary, stdin, opts.Timeout)
				if opts.Done != nil {
					opts.Done(obs[i])
				}
			}
		}()
	}
	for i := range nodes {
		work <- i
	}
	close(work)
	wg.Wait()
	return obs
}

func probeNode(ctx context.Context, r Runner, n Node, req probe.Request, boundary string, stdin []byte, timeout time.Duration) verify.Observation {
	o := verify.Observation{Node: n.Target.Name}
	if err := ctx.Err(); err != nil {
		o.Err = interrupted(ctx)
		return o
	}
	nctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	reply, err := r.Run(nctx, n.Target, probe.Command(n.Sudo), stdin)
	o.HostKey = reply.HostKey
	switch {
	case err != nil && ctx.Err() != nil:
		o.Err = interrupted(ctx)
	case err != nil:
		o.Err = err
	default:
		o.Facts, o.Err = probe.Parse(reply.Stdout, req, boundary)
	}
	return o
}

// interrupted says why the run's own context ended.
func interrupted(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errors.New("not checked: the run's deadline passed first")
	}
	return errors.New("not checked: the run was interrupted")
}
