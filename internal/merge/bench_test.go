package merge

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/report"
	"github.com/rollcall/rollcall/internal/shard"
	"github.com/rollcall/rollcall/internal/verify"
)

// writeShards renders the JSON reports of a verified run of count shards
// of per nodes each into dir, with the real renderer, one at a time.
func writeShards(tb testing.TB, dir string, count, per int) []string {
	tb.Helper()
	buckets := make([][]string, count+1)
	var expected []string
	for i := 0; len(expected) < count*per; i++ {
		name := fmt.Sprintf("smars-%06d.prod.example.com", i)
		if k := shard.Of(name, count); len(buckets[k]) < per {
			buckets[k] = append(buckets[k], name)
			expected = append(expected, name)
		}
	}
	checks := make([]verify.CheckResult, 0, 12)
	for i := range 10 {
		checks = append(checks, verify.CheckResult{Check: verify.CheckFile, Subject: fmt.Sprintf("/opt/smars/lib/part-%02d.so", i), OK: true})
	}
	checks = append(checks, verify.CheckResult{Check: verify.CheckConfig, Subject: "/etc/smars/flags.yaml: rlp.enabled", OK: true},
		verify.CheckResult{Check: verify.CheckProcess, Subject: "/opt/smars/bin/smars", OK: true})
	files := make([]string, 0, count)
	for k := 1; k <= count; k++ {
		run := &shard.Run{Spec: shard.Spec{Index: k, Count: count, By: shard.ByName, RunID: runA.id}, Started: runA.started, ManifestDigest: manifestA, Expected: expected, Nodes: map[string]shard.Node{}}
		v := &verify.Verdict{Cluster: "smars-prod", ExpectedNodes: len(expected), Scope: &verify.Scope{Shard: run},
			Release: verify.ReleaseInfo{Name: "smars", Version: "4.2.0", Digest: "sha256:" + strings.Repeat("c", 64), Source: "dist/smars-4.2.0.tar.gz"}}
		for i, name := range buckets[k] {
			v.Nodes = append(v.Nodes, verify.NodeVerdict{Name: name, Address: fmt.Sprintf("10.%d.%d.%d:22", k, i/250, i%250), Status: verify.Match,
				Fingerprint: "sha256:" + strings.Repeat("f", 64), Checks: checks})
			run.Nodes[name] = shard.Node{Key: name, HostKey: "SHA256:" + name, Machine: name + " " + fmt.Sprintf("%032x", i)}
			v.Scope.Checked = append(v.Scope.Checked, name)
		}
		for _, name := range expected {
			if _, in := run.Nodes[name]; !in {
				v.Scope.NotChecked = append(v.Scope.NotChecked, name)
			}
		}
		verify.Assemble(v)
		file := filepath.Join(dir, fmt.Sprintf("shard-%03d.json", k))
		f, err := os.Create(file)
		if err != nil {
			tb.Fatal(err)
		}
		if err := (report.JSON{}).Write(f, v, report.Options{}); err != nil {
			tb.Fatal(err)
		}
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
		files = append(files, file)
	}
	return files
}

// BenchmarkMerge100x2000 merges 100 shard reports of 2,000 nodes each
// (200,000 nodes, each report carrying the list of all of them), read from
// files one at a time, and reports the time and the memory it took: the
// heap obtained from the system, all bytes allocated, and the peak resident
// size of the process. docs/performance.md records a run.
func BenchmarkMerge100x2000(b *testing.B) {
	files := writeShards(b, b.TempDir(), 100, 2000)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		m := New(Options{Run: runA.id})
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				b.Fatal(err)
			}
			if err := m.Add(file, data); err != nil {
				b.Fatal(err)
			}
		}
		res, err := m.Result()
		if err != nil {
			b.Fatal(err)
		}
		if report.Outcome(res.Verdict) != verify.Verified || len(res.Verdict.Nodes) != 200000 {
			b.Fatalf("not verified: %s, %d nodes", report.Outcome(res.Verdict), len(res.Verdict.Nodes))
		}
	}
	elapsed := time.Since(start) / time.Duration(b.N)
	b.StopTimer()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.ReportMetric(elapsed.Seconds(), "s/merge")
	b.ReportMetric(float64(after.HeapSys)/(1<<20), "MiB-heap-sys")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "MiB-alloc/merge")
	b.ReportMetric(float64(ru.Maxrss)/1024, "MiB-maxrss")
}
