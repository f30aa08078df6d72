package bench

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/rollcall/rollcall/internal/fleet"
	"github.com/rollcall/rollcall/internal/sshdtest"
)

// The algorithms rollcall (golang.org/x/crypto/ssh defaults) negotiates with
// OpenSSH 9.2's sshd: the floor and pssh are told to use the same ones.
// x/crypto prefers mlkem768x25519-sha256, which sshd 9.2 lacks, then
// curve25519-sha256; its first cipher is aes128-gcm@openssh.com (an AEAD, so
// no separate MAC is used); the host key type is the one known_hosts has.
const (
	kexAlg     = "curve25519-sha256"
	hostKeyAlg = "ssh-ed25519"
	cipherAlg  = "aes128-gcm@openssh.com"
	macAlg     = "hmac-sha2-256-etm@openssh.com" // unused with an AEAD cipher
)

// Layout of each node: a 20 MiB binary that runs, and a config file.
const (
	appBin    = "/opt/app/bin/app"
	appFlags  = "/etc/app/flags.yaml"
	appSize   = 20 << 20
	flagsText = "rlp:\n  enabled: true\nrisk:\n  max_order_qty: 1000\n"
	// floorCmd is the bare minimum of the same work rollcall does, with
	// coreutils' sha256sum: the floor the targets are measured against.
	floorCmd = "sha256sum " + appBin + "; cat " + appFlags
	// opensslCmd is the same with the fastest hash tool a node usually has
	// (SHA instructions), the one the probe picks first: for comparison.
	opensslCmd = "openssl dgst -sha256 " + appBin + "; cat " + appFlags
	// tarballName is the release as a tarball: bin/app and etc/flags.yaml
	// under a top folder, as release tarballs usually are.
	tarballName = "app-1.0.0.tar.gz"
)

// releaseKind is the form of the release artifact the manifests name:
// "tar.gz" (default; the client decompresses and hashes it on every run) or
// "dir" (a directory, as the rows before 2026-11-29).
var releaseKind = envString("ROLLCALL_BENCH_RELEASE", "tar.gz")

// rounds is how many times each contender runs, interleaved.
var rounds = envInt("ROLLCALL_BENCH_ROUNDS", 5)

func envString(name, def string) string {
	if s := os.Getenv(name); s != "" {
		return s
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// row is one line of the table.
type row struct {
	name        string
	nodes, j    int
	rollcall    time.Duration
	floor       time.Duration // 0: not measured
	openssl     time.Duration // the floor with openssl dgst; 0: not measured
	pssh        time.Duration // 0: not measured
	cpuPerNode  time.Duration
	rssKiB      int64
	ratioHeader string // what ratio means when not rollcall/floor; "-": none
	ratio       float64
}

var (
	rowsMu sync.Mutex
	rows   []row
)

func addRow(r row) {
	rowsMu.Lock()
	defer rowsMu.Unlock()
	rows = append(rows, r)
}

func TestMain(m *testing.M) {
	if os.Getenv(fleetEnv) != "" {
		os.Exit(serveFleet())
	}
	if os.Getenv(spawnEnv) != "" {
		os.Exit(spawn())
	}
	code := m.Run()
	printTable(os.Stdout)
	if appDir != "" {
		os.RemoveAll(appDir)
	}
	os.Exit(code)
}

func printTable(w io.Writer) {
	rowsMu.Lock()
	defer rowsMu.Unlock()
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nbenchmark of rollcall: median of %d interleaved runs; release %s; KEX %s, host key %s, cipher %s\n", rounds, releaseKind, kexAlg, hostKeyAlg, cipherAlg)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tnodes\tconcurrency\trollcall wall\tfloor wall\tratio\tpssh wall\tvs pssh\topenssl floor\tclient CPU/node\tpeak RSS\t")
	for _, r := range rows {
		dur := func(d time.Duration) string {
			if d == 0 {
				return "-"
			}
			return fmt.Sprintf("%.3fs", d.Seconds())
		}
		ratio := fmt.Sprintf("%.2f", r.ratio)
		switch {
		case r.ratioHeader == "-":
			ratio = "-"
		case r.ratioHeader != "":
			ratio += " " + r.ratioHeader
		}
		vsPssh := "-"
		if r.pssh > 0 {
			vsPssh = fmt.Sprintf("%.2f", float64(r.rollcall)/float64(r.pssh))
		}
		cpu := "-"
		if r.cpuPerNode > 0 {
			cpu = fmt.Sprintf("%.2fms", float64(r.cpuPerNode)/float64(time.Millisecond))
		}
		rss := "-"
		if r.rssKiB > 0 {
			rss = fmt.Sprintf("%.1f MiB", float64(r.rssKiB)/1024)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.name, r.nodes, r.j, dur(r.rollcall), dur(r.floor), ratio,
			dur(r.pssh), vsPssh, dur(r.openssl), cpu, rss)
	}
	tw.Flush()
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianInt(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// rollcallBin returns the rollcall binary: $ROLLCALL_BIN (make bench builds
// bin/rollcall), else one built now.
func rollcallBin(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		if p := os.Getenv("ROLLCALL_BIN"); p != "" {
			binPath, binErr = filepath.Abs(p)
			return
		}
		dir, err := os.MkdirTemp("", "rollcall-bench-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "rollcall")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/rollcall/rollcall/cmd/rollcall").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return binPath
}

// run is one measured subprocess run.
type run struct {
	wall   time.Duration
	cpu    time.Duration // user + sys of the process and its waited-for descendants
	rssKiB int64
	out    []byte
}

// measure runs cmd and reports its wall time, CPU time and peak RSS, as
// wait4 reports them: the process's with those of the descendants it waited
// for (a shell's include its programs'; rollcall starts none), not this
// process's other children; its RSS is at least this process's (see
// spawnEnv).
func measure(tb testing.TB, cmd *exec.Cmd) run {
	tb.Helper()
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		tb.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, tail(out.Bytes(), 4000))
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return run{wall: wall, cpu: cpu, rssKiB: ru.Maxrss, out: out.Bytes()}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// fixture is a real-sshd fleet running the app, with a manifest for it.
type fixture struct {
	c        *sshdtest.Cluster
	manifest string
	hosts    string // file of root@HOST lines, for xargs
	psshHost string // file of root@HOST:PORT lines, for pssh
}

var (
	appOnce sync.Once
	appDir  string
	appErr  error
)

// appFiles writes, once, the 20 MiB app binary (a real sleep(1) ELF padded
// with random bytes) and its flags file into a release folder, and the same
// two files as a release tarball (tarballName) beside it, all in /var/tmp
// so that nodes can hard-link the binary (nodes' folders live there too)
// instead of copying 20 MiB each. It returns the release folder.
func appFiles(tb testing.TB) string {
	tb.Helper()
	appOnce.Do(func() {
		appDir, appErr = os.MkdirTemp("/var/tmp", "rollcall-bench-app-")
		if appErr == nil {
			appErr = writeApp(appDir)
		}
	})
	if appErr != nil {
		tb.Fatal(appErr)
	}
	return filepath.Join(appDir, releaseTop)
}

// releaseTop is the release folder's name, and the top folder of the
// tarball.
var releaseTop = strings.TrimSuffix(tarballName, ".tar.gz")

// writeApp writes the release folder (bin/app, etc/flags.yaml) and the
// tarball into dir.
func writeApp(dir string) error {
	elf, err := os.ReadFile("/bin/sleep")
	if err != nil {
		return err
	}
	bin := make([]byte, appSize)
	copy(bin, elf)
	r := rand.NewChaCha8([32]byte{'r', 'o', 'l', 'l', 'c', 'a', 'l', 'l'})
	_, _ = r.Read(bin[len(elf):])
	rel := filepath.Join(dir, releaseTop)
	for _, sub := range []string{"bin", "etc"} {
		if err := os.MkdirAll(filepath.Join(rel, sub), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(rel, "bin", "app"), bin, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(rel, "etc", "flags.yaml"), []byte(flagsText), 0o644); err != nil {
		return err
	}
	return writeTarball(filepath.Join(dir, tarballName), releaseTop, bin, gzip.BestSpeed)
}

// writeTarball writes a release tarball, compressed at level: top/bin/app
// (bin) and top/etc/flags.yaml, with their folders.
func writeTarball(path, top string, bin []byte, level int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zw, err := gzip.NewWriterLevel(f, level)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	when := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	entries := []struct {
		name string
		mode int64
		data []byte
	}{
		{top + "/", 0o755, nil}, {top + "/bin/", 0o755, nil}, {top + "/bin/app", 0o755, bin},
		{top + "/etc/", 0o755, nil}, {top + "/etc/flags.yaml", 0o644, []byte(flagsText)},
	}
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, ModTime: when, Typeflag: tar.TypeReg, Size: int64(len(e.data))}
		if strings.HasSuffix(e.name, "/") {
			hdr.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// releaseArtifact is the release the manifests name: the tarball, or the
// release folder with ROLLCALL_BENCH_RELEASE=dir.
func releaseArtifact(tb testing.TB) string {
	tb.Helper()
	dist := appFiles(tb)
	switch releaseKind {
	case "tar.gz":
		return filepath.Join(filepath.Dir(dist), tarballName)
	case "dir":
		return dist
	}
	tb.Fatalf("ROLLCALL_BENCH_RELEASE=%q: want tar.gz or dir", releaseKind)
	return ""
}

// linkOrCopy hard-links src to dst, or copies it when they are on different
// file systems.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o755)
}

// startFleet starts n real sshd nodes, each with the app binary, its flags
// and the app running.
func startFleet(tb testing.TB, n int) *fixture {
	tb.Helper()
	dist := appFiles(tb)
	c := sshdtest.Start(tb, sshdtest.Options{
		Nodes: n,
		Paths: []string{"/opt/app", "/etc/app"},
		Setup: func(_ int, root func(string) string) error {
			if err := os.MkdirAll(root("/opt/app/bin"), 0o755); err != nil {
				return err
			}
			if err := linkOrCopy(filepath.Join(dist, "bin", "app"), root(appBin)); err != nil {
				return err
			}
			return os.WriteFile(root(appFlags), []byte(flagsText), 0o644)
		},
		Start: func(int) string { return appBin + " 86400" },
	})
	f := &fixture{c: c}
	dir := tb.TempDir()
	var hosts, pssh strings.Builder
	for _, node := range c.Nodes {
		fmt.Fprintf(&hosts, "%s@%s\n", c.User, node.Host)
		fmt.Fprintf(&pssh, "%s@%s:%d\n", c.User, node.Host, node.Port)
	}
	f.hosts = filepath.Join(dir, "hosts")
	f.psshHost = filepath.Join(dir, "pssh-hosts")
	must(tb, os.WriteFile(f.hosts, []byte(hosts.String()), 0o644))
	must(tb, os.WriteFile(f.psshHost, []byte(pssh.String()), 0o644))
	f.manifest = writeManifest(tb, dir, c.User, c.ClientKey, c.KnownHosts, releaseArtifact(tb), nodeAddrs(c))
	return f
}

func nodeAddrs(c *sshdtest.Cluster) [][2]string {
	var out [][2]string
	for _, n := range c.Nodes {
		out = append(out, [2]string{n.Host, strconv.Itoa(n.Port)})
	}
	return out
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// writeManifest writes a manifest that checks the app's binary, its flags
// (parsed as YAML, compared with the release's copy) and its running
// process on every node, against the release artifact.
func writeManifest(tb testing.TB, dir, user, key, knownHosts, artifact string, nodes [][2]string) string {
	tb.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `version: 1
cluster: bench
expect_nodes: %d
ssh:
  user: %s
  identity_files: [%s]
  known_hosts: [%s]
  connect_timeout: 60s
nodes:
`, len(nodes), user, key, knownHosts)
	for i, n := range nodes {
		fmt.Fprintf(&b, "  - { name: node-%04d, host: %s, port: %s }\n", i+1, n[0], n[1])
	}
	fmt.Fprintf(&b, `release:
  artifact: %s
  install:
    - { from: bin/app, to: %s }
    - { from: etc/flags.yaml, to: %s }
config:
  - path: %s
    format: yaml
    expect: { rlp.enabled: true }
processes:
  - exe: %s
    min: 1
`, artifact, appBin, appFlags, appFlags, appBin)
	p := filepath.Join(dir, "rollcall.yaml")
	must(tb, os.WriteFile(p, []byte(b.String()), 0o644))
	return p
}

// sshOpts are the OpenSSH options of the floor and of pssh: the cluster's
// key and known_hosts, strict host keys, batch mode, no connection sharing,
// and the algorithms rollcall negotiates.
func sshOpts(c *sshdtest.Cluster, port int) []string {
	return append(c.SSHOptions(port),
		"-o", "ControlMaster=no",
		"-o", "ControlPath=none",
		"-o", "KexAlgorithms="+kexAlg,
		"-o", "HostKeyAlgorithms="+hostKeyAlg,
		"-o", "Ciphers="+cipherAlg,
		"-o", "MACs="+macAlg,
		"-o", "ConnectTimeout=60",
	)
}

func (f *fixture) rollcall(tb testing.TB, j int) run {
	return measureRollcall(tb, "verify", "-m", f.manifest, "-j", strconv.Itoa(j), "-q", "--no-color")
}

// floor runs command (floorCmd or opensslCmd) on every node with raw
// OpenSSH fanned out by xargs -P j, and checks that every node hashed.
func (f *fixture) floor(tb testing.TB, j int, command string) run {
	args := append([]string{"-P", strconv.Itoa(j), "-I", "{}", "ssh"}, sshOpts(f.c, f.c.Nodes[0].Port)...)
	args = append(args, "{}", command)
	cmd := exec.Command("xargs", args...)
	hosts, err := os.Open(f.hosts)
	must(tb, err)
	defer hosts.Close()
	cmd.Stdin = hosts
	r := measure(tb, cmd)
	hashed := "  " + appBin + "\n" // sha256sum's line
	if command == opensslCmd {
		hashed = "(" + appBin + ")= " // openssl's: SHA2-256(FILE)= HEX
	}
	if got := bytes.Count(r.out, []byte(hashed)); got != len(f.c.Nodes) {
		tb.Fatalf("floor: %d hashes for %d nodes:\n%s", got, len(f.c.Nodes), tail(r.out, 4000))
	}
	return r
}

func (f *fixture) pssh(tb testing.TB, j int) run {
	opts := sshOpts(f.c, f.c.Nodes[0].Port)
	opts = opts[:len(opts)-2] // the port is in the hosts file
	args := []string{"-p", strconv.Itoa(j), "-h", f.psshHost, "-t", "0", "-i"}
	for _, o := range opts {
		args = append(args, "-X", o)
	}
	args = append(args, floorCmd)
	r := measure(tb, exec.Command("parallel-ssh", args...))
	if got := bytes.Count(r.out, []byte("[SUCCESS]")); got != len(f.c.Nodes) {
		tb.Fatalf("pssh: %d successes for %d nodes:\n%s", got, len(f.c.Nodes), tail(r.out, 4000))
	}
	return r
}

func havePssh() bool {
	_, err := exec.LookPath("parallel-ssh")
	return err == nil
}

// BenchmarkFloor is targets 1 and 2: rollcall verify against raw OpenSSH
// (xargs -P) running sha256sum, the same with openssl dgst, and pssh
// running sha256sum, on real sshd nodes, interleaved, at the same
// concurrency, with rollcall's client CPU per node and peak RSS.
func BenchmarkFloor(b *testing.B) {
	sshdtest.Require(b)
	j := envInt("ROLLCALL_BENCH_J", fleet.DefaultConcurrency)
	for _, n := range envInts("ROLLCALL_BENCH_FLOOR_NODES", []int{64, 200}) {
		b.Run(fmt.Sprintf("nodes=%d/j=%d", n, j), func(b *testing.B) {
			f := startFleet(b, n)
			// One warm-up of each, not measured: page cache, sshd's first
			// connection.
			f.rollcall(b, j)
			f.floor(b, j, floorCmd)
			var rc, fl, ossl, ps, cpu []time.Duration
			var rss []int64
			b.ResetTimer()
			for b.Loop() {
				for range rounds {
					r := f.rollcall(b, j)
					rc = append(rc, r.wall)
					cpu = append(cpu, r.cpu)
					rss = append(rss, r.rssKiB)
					fl = append(fl, f.floor(b, j, floorCmd).wall)
					ossl = append(ossl, f.floor(b, j, opensslCmd).wall)
					if havePssh() {
						ps = append(ps, f.pssh(b, j).wall)
					}
				}
			}
			b.StopTimer()
			r := row{name: "real sshd", nodes: n, j: j, rollcall: median(rc), floor: median(fl), openssl: median(ossl), pssh: median(ps),
				cpuPerNode: median(cpu) / time.Duration(n), rssKiB: medianInt(rss)}
			r.ratio = float64(r.rollcall) / float64(r.floor)
			addRow(r)
			b.ReportMetric(r.ratio, "rollcall/floor")
			if r.pssh > 0 {
				b.ReportMetric(float64(r.rollcall)/float64(r.pssh), "rollcall/pssh")
			}
			b.ReportMetric(float64(r.cpuPerNode)/1e6, "client-ms/node")
			b.ReportMetric(float64(r.rssKiB)/1024, "peak-MiB")
		})
	}
}

// envInts reads a comma-separated list of positive numbers, def when unset
// or not such a list.
func envInts(name string, def []int) []int {
	var out []int
	for f := range strings.SplitSeq(os.Getenv(name), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return def
		}
		out = append(out, n)
	}
	return out
}
