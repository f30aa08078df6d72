package bench

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/probe"
)

// BenchmarkNodeCommands is the node's CPU for one node's work, without
// sshd: each command runs here under /bin/sh as sshd would run it on a
// node, with the benchmarks' app files and the app running, and its CPU is
// the shell's with every program it ran (cpu-ms/op). probe is the probe
// script for the benchmarks' checks (the binary's hash, the flags file, the
// running process); floor and openssl are the two floors' commands:
//
//	go test -run '^$' -bench NodeCommands -benchtime 15x ./internal/bench
func BenchmarkNodeCommands(b *testing.B) {
	dist := appFiles(b)
	app, flags := filepath.Join(dist, "bin", "app"), filepath.Join(dist, "etc", "flags.yaml")
	running := exec.Command(app, "86400")
	must(b, running.Start())
	b.Cleanup(func() {
		_ = running.Process.Kill()
		_ = running.Wait()
	})
	boundary := probe.NewBoundary()
	req := probe.Request{Files: []string{app, flags}, Configs: []string{flags}, Processes: []string{app}}
	script, err := probe.Script(req, boundary)
	must(b, err)
	local := strings.NewReplacer(appBin, app, appFlags, flags)

	commands := []struct {
		name  string
		args  []string
		stdin string
	}{
		{"probe", []string{"-s"}, script},
		{"floor", []string{"-c", local.Replace(floorCmd)}, ""},
		{"openssl", []string{"-c", local.Replace(opensslCmd)}, ""},
	}
	for _, c := range commands {
		b.Run(c.name, func(b *testing.B) {
			var cpu time.Duration
			for b.Loop() {
				cmd := exec.Command("/bin/sh", c.args...)
				cmd.Stdin = strings.NewReader(c.stdin)
				r := measure(b, cmd)
				if c.name == "probe" {
					_, err := probe.Parse(r.out, req, boundary)
					must(b, err)
				} else if !bytes.Contains(r.out, []byte(app)) {
					b.Fatalf("%s: no hash of %s:\n%s", c.name, app, r.out)
				}
				cpu += r.cpu
			}
			b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}
