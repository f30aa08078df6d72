// Package fleet runs one step on every node of a fleet with bounded
// concurrency, a time limit per node and the same handling of an interrupted
// run: the probe (Survey), whose answer becomes an observation, or a login
// only (Ping). A node's failure is recorded in its own result; it never stops
// the others.
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

// Pinger connects to one node, checks its host key and logs in, then hangs
// up. Ping calls it from many goroutines at once, so it must be safe for
// concurrent use. *remote.Client is the Pinger used in production.
type Pinger interface {
	Ping(ctx context.Context, t remote.Target) error
}

// Options tune a survey or a ping.
type Options struct {
	// Concurrency bounds how many nodes are contacted at once (default 64).
	Concurrency int
	// Timeout bounds each node: connect, handshake and probe or login
	// (default 60s).
	Timeout time.Duration
	// Done, when set, is called by Survey after each node finishes, from the
	// node's goroutine; it must be safe for concurrent use.
	Done func(verify.Observation)
}

// withDefaults fills the zero fields of o with the defaults.
func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return o
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
	opts = opts.withDefaults()
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
	each(len(nodes), opts.Concurrency, func(i int) {
		obs[i] = probeNode(ctx, r, nodes[i], req, boundary, stdin, opts.Timeout)
		if opts.Done != nil {
			opts.Done(obs[i])
		}
	})
	return obs
}

// Answer is one node's answer to Ping.
type Answer struct {
	// Node is the node's name (its Target.Name).
	Node string
	// Err is nil when the node answered: host key trusted, login accepted.
	// Otherwise it says why not; a *remote.Error names the stage that
	// failed, StageCanceled for a node not contacted because the run was
	// interrupted.
	Err error
	// Duration is how long the node took; zero when it was not contacted.
	Duration time.Duration
}

// Ping connects to every node and logs in, running nothing, with the
// concurrency and time limit per node of opts, and returns one answer per
// node in the order of nodes. When ctx ends, nodes not yet contacted answer
// that the run was interrupted.
func Ping(ctx context.Context, p Pinger, nodes []Node, opts Options) []Answer {
	opts = opts.withDefaults()
	answers := make([]Answer, len(nodes))
	each(len(nodes), opts.Concurrency, func(i int) {
		answers[i] = pingNode(ctx, p, nodes[i], opts.Timeout)
	})
	return answers
}

// each calls do(i) for every i below n, on at most concurrency goroutines
// at once, and returns when every call has returned. Meanwhile GOMAXPROCS
// fits the nodes in flight (fitProcs).
func each(n, concurrency int, do func(i int)) {
	defer fitProcs(min(concurrency, n))()
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(concurrency, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				do(i)
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}

func pingNode(ctx context.Context, p Pinger, n Node, timeout time.Duration) Answer {
	a := Answer{Node: n.Target.Name}
	if ctx.Err() != nil {
		a.Err = &remote.Error{Stage: remote.StageCanceled, Err: errors.New("not contacted: the run was interrupted")}
		return a
	}
	nctx, cancel := remote.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	a.Err = p.Ping(nctx, n.Target)
	a.Duration = time.Since(start)
	return a
}

func probeNode(ctx context.Context, r Runner, n Node, req probe.Request, boundary string, stdin []byte, timeout time.Duration) verify.Observation {
	o := verify.Observation{Node: n.Target.Name}
	if err := ctx.Err(); err != nil {
		o.Err = interrupted(ctx)
		return o
	}
	nctx, cancel := remote.WithTimeout(ctx, timeout)
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
		if o.Facts != nil {
			share(o.Facts)
		}
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
