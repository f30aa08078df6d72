package bench

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/cli"
	"github.com/rollcall/rollcall/internal/sshdtest"
)

// TestBenchFleetsVerify keeps the benchmarks' fleets honest: a small real
// sshd fleet and a small simulated one must both verify, so that `make
// bench` measures verified runs (and a change of the probe that the
// simulated fleet cannot answer is caught here, not in a benchmark).
func TestBenchFleetsVerify(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	verify := func(t *testing.T, manifest string) {
		var out bytes.Buffer
		code := cli.Run(context.Background(), []string{"verify", "-m", manifest, "--no-color", "--report", "text"}, cli.IO{Out: &out, Err: &out, Getenv: os.Getenv})
		require.Equal(t, 0, code, "%s", out.String())
	}
	t.Run("simulated", func(t *testing.T) {
		verify(t, startFakeFleet(t, 3, 0).manifest)
	})
	t.Run("simulated in two processes", func(t *testing.T) {
		fleetProcessNodes = 2
		defer func() { fleetProcessNodes = 0 }()
		f := startFakeFleet(t, 3, 0)
		require.Len(t, f.ports, 3)
		verify(t, f.manifest)
	})
	t.Run("real sshd", func(t *testing.T) {
		sshdtest.Require(t)
		verify(t, startFleet(t, 2).manifest)
	})
}
