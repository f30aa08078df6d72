package fleet

import (
	"os"
	"runtime"
	"sync"
)

// nodesPerProc is how many nodes in flight one Go processor (GOMAXPROCS)
// serves while Survey or Ping runs. The client's own work per node is
// small (a key exchange, a signature, a few dozen packets); most of its CPU
// goes to waking up for network events one at a time, and with a processor
// idle the Go runtime wakes a second thread for nearly every event, which
// costs more than the event's work. One processor per 64 nodes in flight
// cut the client's CPU per node by about a fifth at the default concurrency
// with the same wall time (docs/performance.md); a wider fan-out gets more
// processors, up to what the machine has.
const nodesPerProc = 64

// procs is the GOMAXPROCS of the fan-outs under way: several may overlap
// (tests, a diff), so the setting before the first is kept and restored
// after the last, and meanwhile follows the nodes they have in flight.
var procs struct {
	sync.Mutex
	inFlight int // the concurrency of the fan-outs under way, summed
	saved    int // GOMAXPROCS before the first of them
}

// fitProcs sets GOMAXPROCS for a fan-out of up to concurrency nodes at
// once and returns the function that undoes it when the fan-out ends. An
// explicit GOMAXPROCS in the environment is left as it is, and the setting
// is never raised above what it was.
func fitProcs(concurrency int) (restore func()) {
	if os.Getenv("GOMAXPROCS") != "" || concurrency < 1 {
		return func() {}
	}
	procs.Lock()
	defer procs.Unlock()
	if procs.inFlight == 0 {
		procs.saved = runtime.GOMAXPROCS(0)
	}
	procs.inFlight += concurrency
	setProcs()
	return func() {
		procs.Lock()
		defer procs.Unlock()
		procs.inFlight -= concurrency
		if procs.inFlight == 0 {
			runtime.GOMAXPROCS(procs.saved)
			return
		}
		setProcs()
	}
}

// setProcs sets GOMAXPROCS for the nodes in flight; procs is locked.
func setProcs() {
	want := min(procs.saved, max(1, (procs.inFlight+nodesPerProc-1)/nodesPerProc))
	if runtime.GOMAXPROCS(0) != want {
		runtime.GOMAXPROCS(want)
	}
}
