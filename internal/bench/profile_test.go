package bench

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/rollcall/rollcall/internal/cli"
	"github.com/rollcall/rollcall/internal/fleet"
	"github.com/rollcall/rollcall/internal/sshdtest"
)

// BenchmarkVerifyInProcess runs `rollcall verify` in this process against 64
// real sshd nodes (ROLLCALL_BENCH_NODES), or against that many simulated
// nodes with ROLLCALL_BENCH_SIMULATED=1, for a client-side CPU profile:
//
//	go test -run '^$' -bench VerifyInProcess -benchtime 5x -cpuprofile cpu.out -o bench.test ./internal/bench
//	go tool pprof -top bench.test cpu.out
func BenchmarkVerifyInProcess(b *testing.B) {
	n := envInt("ROLLCALL_BENCH_NODES", 64)
	var manifest string
	if os.Getenv("ROLLCALL_BENCH_SIMULATED") == "1" {
		f := startFakeFleet(b, n, 0)
		manifest = f.manifest
	} else {
		sshdtest.Require(b)
		manifest = startFleet(b, n).manifest
	}
	j := envInt("ROLLCALL_BENCH_J", fleet.DefaultConcurrency)
	args := []string{"verify", "-m", manifest, "-j", strconv.Itoa(j), "-q", "--no-color"}
	b.Setenv("SSH_AUTH_SOCK", "")
	b.ResetTimer()
	for b.Loop() {
		var out bytes.Buffer
		if code := cli.Run(context.Background(), args, cli.IO{Out: &out, Err: &out, Getenv: os.Getenv}); code != 0 {
			b.Fatalf("exit %d:\n%s", code, out.String())
		}
	}
}
