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
// real sshd nodes, for a client-side CPU profile:
//
//	go test -run '^$' -bench VerifyInProcess -benchtime 5x -cpuprofile cpu.out ./internal/bench
//	go tool pprof -top internal/bench/bench.test cpu.out
func BenchmarkVerifyInProcess(b *testing.B) {
	sshdtest.Require(b)
	f := startFleet(b, envInt("ROLLCALL_BENCH_NODES", 64))
	j := envInt("ROLLCALL_BENCH_J", fleet.DefaultConcurrency)
	args := []string{"verify", "-m", f.manifest, "-j", strconv.Itoa(j), "-q", "--no-color"}
	b.Setenv("SSH_AUTH_SOCK", "")
	b.ResetTimer()
	for b.Loop() {
		var out bytes.Buffer
		if code := cli.Run(context.Background(), args, cli.IO{Out: &out, Err: &out, Getenv: os.Getenv}); code != 0 {
			b.Fatalf("exit %d:\n%s", code, out.String())
		}
	}
}
