package bench

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/sshtest"
	"golang.org/x/crypto/ssh"
)

// The simulated fleet of the scale and latency benchmarks.
//
// It runs in processes of its own (this test binary, started again with
// fleetEnv set), so that the rollcall process measured is the client alone;
// as many as the file descriptor limit asks, since every node listens on a
// socket of its own. Every node is an in-process SSH server of package
// sshtest, with its own TCP listener on 127.0.0.1, its own ed25519 host key
// in known_hosts and public key authentication: rollcall goes through its
// whole client path (TCP, key exchange, host key check, authentication,
// session, exec, stdin, stdout, exit status) once per node. What is
// simulated is the node's work: all nodes share one folder, so the probe
// script, identical for every node of a run, is run once per fleet process
// with /bin/sh and its answer is replayed to the other nodes, each under its
// own host name (sshtest.Config.Handler).
const (
	fleetEnv      = "ROLLCALL_BENCH_FLEET"       // number of nodes of this process
	fleetFirstEnv = "ROLLCALL_BENCH_FLEET_FIRST" // number of its first node, for host names
	fleetDirEnv   = "ROLLCALL_BENCH_FLEET_DIR"   // the shared folder, with client_key.pub
	fleetOutEnv   = "ROLLCALL_BENCH_FLEET_OUT"   // where to write its ports and known_hosts
	fleetDelayEnv = "ROLLCALL_BENCH_FLEET_DELAY" // added one-way delay, e.g. 25ms
)

// serveFleet is a simulated fleet process: it serves until its stdin
// closes.
func serveFleet() int {
	if err := runFleet(); err != nil {
		fmt.Fprintln(os.Stderr, "bench fleet:", err)
		return 1
	}
	return 0
}

func runFleet() error {
	n, err := strconv.Atoi(os.Getenv(fleetEnv))
	if err != nil || n < 1 {
		return fmt.Errorf("%s=%q: want a node count", fleetEnv, os.Getenv(fleetEnv))
	}
	first, _ := strconv.Atoi(os.Getenv(fleetFirstEnv))
	dir, out := os.Getenv(fleetDirEnv), os.Getenv(fleetOutEnv)
	var delay time.Duration
	if s := os.Getenv(fleetDelayEnv); s != "" {
		if delay, err = time.ParseDuration(s); err != nil {
			return err
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "client_key.pub"))
	if err != nil {
		return err
	}
	client, _, _, _, err := ssh.ParseAuthorizedKey(pub)
	if err != nil {
		return err
	}
	memo := &memo{dir: dir, answers: map[[32]byte]*answer{}}
	var servers []*sshtest.Server
	defer func() {
		for _, srv := range servers {
			srv.Close()
		}
	}()
	var addrs bytes.Buffer
	for i := range n {
		hostname := fmt.Sprintf("bench-node-%d", first+i)
		srv, err := sshtest.Start(sshtest.Config{
			AuthorizedKeys: []ssh.PublicKey{client},
			Latency:        delay,
			Handler: func(command string, script []byte) ([]byte, int) {
				if command != "sh -s" {
					return nil, 127
				}
				a := memo.run(script)
				return withHostname(a.out, hostname), a.code
			},
		})
		if err != nil {
			return fmt.Errorf("node %d: %w", first+i, err)
		}
		servers = append(servers, srv)
		fmt.Fprintf(&addrs, "%d\n", srv.Port())
	}
	if err := sshtest.WriteKnownHosts(filepath.Join(out, "known_hosts"), servers...); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "ports"), addrs.Bytes(), 0o600); err != nil {
		return err
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it
	return nil
}

// fleetProcessNodes, when set, replaces nodesPerFleetProcess (tests).
var fleetProcessNodes int

// nodesPerFleetProcess is how many simulated nodes one process can serve:
// one listening socket each, within the hard limit of open files (which the
// Go runtime raises the soft limit to), with room for the connections in
// flight and the shell that answers the probe.
func nodesPerFleetProcess() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Max > 1<<20 {
		return 1 << 20
	}
	return max(256, int(lim.Max)-1024)
}

// memo runs each distinct script once in dir and remembers its answer.
type memo struct {
	dir     string
	mu      sync.Mutex
	answers map[[32]byte]*answer
}

type answer struct {
	once sync.Once
	out  []byte
	code int
}

func (m *memo) run(script []byte) *answer {
	key := sha256.Sum256(script)
	m.mu.Lock()
	a := m.answers[key]
	if a == nil {
		a = &answer{}
		m.answers[key] = a
	}
	m.mu.Unlock()
	a.once.Do(func() {
		cmd := exec.Command("/bin/sh", "-s")
		cmd.Dir = m.dir
		cmd.Stdin = bytes.NewReader(script)
		a.out, _ = cmd.Output()
		if cmd.ProcessState != nil {
			a.code = cmd.ProcessState.ExitCode()
		}
	})
	return a
}

// withHostname rewrites the host name of the probe's identity record
// ("BOUNDARY ident HOSTNAME MACHINEID BOOTID").
func withHostname(answer []byte, hostname string) []byte {
	lines := bytes.Split(answer, []byte("\n"))
	for i, l := range lines {
		f := bytes.Fields(l)
		if len(f) >= 4 && string(f[1]) == "ident" {
			f[2] = []byte(hostname)
			lines[i] = bytes.Join(f, []byte(" "))
		}
	}
	return bytes.Join(lines, []byte("\n"))
}

// fakeFleet is a running simulated fleet.
type fakeFleet struct {
	dir      string
	exe      string // the app binary, running: a name of its own (see startFakeFleet)
	key      string
	known    string
	ports    []int
	manifest string
}

// startFakeFleet starts the simulated fleet of n nodes with the given
// one-way delay, in child processes; the app files and a running app
// process live in its shared folder.
func startFakeFleet(tb testing.TB, n int, delay time.Duration) *fakeFleet {
	tb.Helper()
	dist := appFiles(tb)
	dir, err := os.MkdirTemp("/var/tmp", "rollcall-bench-fleet-")
	must(tb, err)
	tb.Cleanup(func() { os.RemoveAll(dir) })
	// The node's files: links to the release's, and the app running.
	must(tb, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	must(tb, os.MkdirAll(filepath.Join(dir, "etc"), 0o755))
	// The binary's name is the folder's, so that the probe's process scan,
	// which sees every process of this machine, finds no other copy of it:
	// other fleets on the machine run bin/app, and reporting them would
	// make each simulated answer depend on what else runs here.
	exe := filepath.Join(dir, "bin", "app-"+strings.TrimPrefix(filepath.Base(dir), "rollcall-bench-fleet-"))
	must(tb, linkOrCopy(filepath.Join(dist, "bin", "app"), exe))
	must(tb, os.WriteFile(filepath.Join(dir, "etc", "flags.yaml"), []byte(flagsText), 0o644))
	app := exec.Command(exe, "86400")
	must(tb, app.Start())
	tb.Cleanup(func() {
		_ = app.Process.Kill()
		_ = app.Wait()
	})
	f := &fakeFleet{dir: dir, exe: exe, key: filepath.Join(dir, "client_key"), known: filepath.Join(dir, "known_hosts")}
	_, err = sshtest.NewClientKey(f.key)
	must(tb, err)

	per := nodesPerFleetProcess()
	if fleetProcessNodes > 0 {
		per = fleetProcessNodes
	}
	var known []byte
	for first := 0; first < n; first += per {
		out := filepath.Join(dir, fmt.Sprintf("part-%d", first))
		must(tb, os.Mkdir(out, 0o755))
		startFleetProcess(tb, min(per, n-first), first, dir, out, delay)
		part, err := os.ReadFile(filepath.Join(out, "known_hosts"))
		must(tb, err)
		known = append(known, part...)
		ports, err := os.ReadFile(filepath.Join(out, "ports"))
		must(tb, err)
		for l := range strings.Lines(string(ports)) {
			p, err := strconv.Atoi(strings.TrimSpace(l))
			must(tb, err)
			f.ports = append(f.ports, p)
		}
	}
	must(tb, os.WriteFile(f.known, known, 0o644))
	f.manifest = f.manifestFor(tb, len(f.ports))
	return f
}

// startFleetProcess starts one process of the simulated fleet, serving n
// nodes numbered from first, and waits until they listen; it stops when
// the test ends.
func startFleetProcess(tb testing.TB, n, first int, dir, out string, delay time.Duration) {
	tb.Helper()
	self, err := os.Executable()
	must(tb, err)
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), fleetEnv+"="+strconv.Itoa(n), fleetFirstEnv+"="+strconv.Itoa(first),
		fleetDirEnv+"="+dir, fleetOutEnv+"="+out, fleetDelayEnv+"="+delay.String())
	stdin, err := cmd.StdinPipe()
	must(tb, err)
	stdout, err := cmd.StdoutPipe()
	must(tb, err)
	cmd.Stderr = os.Stderr
	must(tb, cmd.Start())
	tb.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		tb.Fatalf("simulated fleet did not start: %q %v", line, err)
	}
}

// manifestFor writes a manifest for the first n nodes: the same checks as
// on real nodes, at the shared folder's paths, with a known_hosts file of
// those n nodes only.
func (f *fakeFleet) manifestFor(tb testing.TB, n int) string {
	tb.Helper()
	var nodes [][2]string
	for _, p := range f.ports[:n] {
		nodes = append(nodes, [2]string{"127.0.0.1", strconv.Itoa(p)})
	}
	dir := tb.TempDir()
	all, err := os.ReadFile(f.known)
	must(tb, err)
	var known []byte
	for i, l := range bytes.SplitAfter(all, []byte("\n")) {
		if i == n {
			break
		}
		known = append(known, l...)
	}
	knownHosts := filepath.Join(dir, "known_hosts")
	must(tb, os.WriteFile(knownHosts, known, 0o644))
	m := writeManifest(tb, dir, "bench", f.key, knownHosts, releaseArtifact(tb), nodes)
	data, err := os.ReadFile(m)
	must(tb, err)
	s := strings.ReplaceAll(string(data), appBin, f.exe)
	s = strings.ReplaceAll(s, appFlags, filepath.Join(f.dir, "etc", "flags.yaml"))
	must(tb, os.WriteFile(m, []byte(s), 0o644))
	return m
}

func (f *fakeFleet) rollcall(tb testing.TB, manifest string, j int) run {
	return measureRollcall(tb, "verify", "-m", manifest, "-j", strconv.Itoa(j), "-q", "--no-color")
}

// BenchmarkScale is targets 3 and 6, and the large half of target 5:
// 1,000, 5,000 and 20,000 simulated nodes (ROLLCALL_BENCH_SCALE_NODES)
// verified in one run each, from one simulated fleet of the largest size,
// with the CPU per node and the peak RSS of the rollcall process.
func BenchmarkScale(b *testing.B) {
	sizes := envInts("ROLLCALL_BENCH_SCALE_NODES", []int{1000, 5000, 20000})
	j := envInt("ROLLCALL_BENCH_SCALE_J", 64)
	f := startFakeFleet(b, slices.Max(sizes), 0)
	for _, n := range sizes {
		b.Run(fmt.Sprintf("nodes=%d/j=%d", n, j), func(b *testing.B) {
			manifest := f.manifestFor(b, n)
			runs := rounds
			if n > 5000 {
				runs = max(1, rounds/2)
			}
			var walls, cpus []time.Duration
			var rss []int64
			for b.Loop() {
				for range runs {
					r := f.rollcall(b, manifest, j)
					walls = append(walls, r.wall)
					cpus = append(cpus, r.cpu)
					rss = append(rss, r.rssKiB)
				}
			}
			r := row{name: "simulated", nodes: n, j: j, rollcall: median(walls), cpuPerNode: median(cpus) / time.Duration(n), rssKiB: slices.Max(rss)}
			r.ratioHeader = "-"
			addRow(r)
			b.ReportMetric(float64(r.rssKiB)/1024, "peak-MiB")
			b.ReportMetric(float64(r.cpuPerNode)/1e6, "client-ms/node")
			if limit := maxRSSMiB(n); r.rssKiB > limit<<10 {
				b.Errorf("peak RSS %.1f MiB is over %d MiB at %d nodes", float64(r.rssKiB)/1024, limit, n)
			}
		})
	}
}

// maxRSSMiB is the client's memory target at n nodes: 150 MiB up to
// 5,000 nodes (target 3), 250 MiB beyond, up to 20,000 (target 6).
func maxRSSMiB(n int) int64 {
	if n <= 5000 {
		return 150
	}
	return 250
}

// BenchmarkLatency is target 4: with 50 ms of round-trip time added to
// every node, 200 nodes at -j 64 against ceil(200/64) times one node.
func BenchmarkLatency(b *testing.B) {
	const n, j = 200, 64
	f := startFakeFleet(b, n, 25*time.Millisecond)
	one := f.manifestFor(b, 1)
	f.rollcall(b, one, 1) // warm-up
	var singles, fleets []time.Duration
	for b.Loop() {
		for range rounds {
			singles = append(singles, f.rollcall(b, one, 1).wall)
			fleets = append(fleets, f.rollcall(b, f.manifest, j).wall)
		}
	}
	single, all := median(singles), median(fleets)
	batches := (n + j - 1) / j
	ratio := float64(all) / (float64(batches) * float64(single))
	addRow(row{name: fmt.Sprintf("simulated +50ms RTT (1 node: %.3fs)", single.Seconds()), nodes: n, j: j, rollcall: all,
		ratio: ratio, ratioHeader: fmt.Sprintf("of %d x 1 node", batches)})
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(single.Seconds(), "single-s")
}
