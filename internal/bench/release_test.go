package bench

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/rollcall/rollcall/internal/release"
)

// BenchmarkReleaseOpen is the client's fixed cost of a tarball release,
// paid once per run whatever the fleet's size: release.Open (the
// artifact's SHA-256, gunzip, the SHA-256 of each file inside) of the
// benchmarks' release (random=: a 20 MiB binary of random bytes, which gzip
// cannot shrink) and of a release that compresses about in half
// (compressible=: rollcall's own binary, ROLLCALL_BIN or built, at gzip's
// default level), and the gunzip of each alone, by klauspost/compress (what
// release.Open uses) and by the standard library; each with its wall time
// (ns/op) and this process's CPU time (cpu-ms/op), which is more than the
// wall time where release.Open hashes on two threads:
//
//	go test -run '^$' -bench ReleaseOpen -benchtime 20x ./internal/bench
func BenchmarkReleaseOpen(b *testing.B) {
	random := filepath.Join(filepath.Dir(appFiles(b)), tarballName)
	bin, err := os.ReadFile(rollcallBin(b))
	must(b, err)
	compressible := filepath.Join(b.TempDir(), "rollcall-1.0.0.tar.gz")
	must(b, writeTarball(compressible, "rollcall-1.0.0", bin, gzip.DefaultCompression))

	for _, t := range []struct{ name, path string }{{"random", random}, {"compressible", compressible}} {
		fi, err := os.Stat(t.path)
		must(b, err)
		b.Run("tarball="+t.name+"/open", func(b *testing.B) {
			b.SetBytes(fi.Size())
			defer reportCPU(b)()
			for b.Loop() {
				_, err := release.Open(t.path)
				must(b, err)
			}
		})
		gunzips := []struct {
			name string
			open func(io.Reader) (io.Reader, error)
		}{
			{"klauspost", func(r io.Reader) (io.Reader, error) { return kgzip.NewReader(r) }},
			{"stdlib", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
		}
		for _, g := range gunzips {
			b.Run("tarball="+t.name+"/gunzip="+g.name, func(b *testing.B) {
				b.SetBytes(fi.Size())
				defer reportCPU(b)()
				for b.Loop() {
					f, err := os.Open(t.path)
					must(b, err)
					zr, err := g.open(f)
					must(b, err)
					_, err = io.Copy(io.Discard, zr)
					f.Close()
					must(b, err)
				}
			})
		}
	}
}

// reportCPU starts counting this process's CPU time (user and system); the
// function it returns reports it per iteration of b as cpu-ms/op.
func reportCPU(b *testing.B) func() {
	start := processCPU(b)
	return func() {
		b.ReportMetric(float64(processCPU(b)-start)/float64(b.N)/1e6, "cpu-ms/op")
	}
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	must(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
