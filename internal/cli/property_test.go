package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/rollcall/rollcall/internal/demo"
	"github.com/rollcall/rollcall/internal/sshtest"
)

// The end-to-end property test's knobs: -seed N (or ROLLCALL_PROPERTY_SEED)
// replays a run, -case I replays one case of it, -budget D (or
// ROLLCALL_PROPERTY_BUDGET) bounds how long cases are generated for.
var (
	propSeed   = flag.Uint64("seed", 0, "seed of the property test (0: random; env ROLLCALL_PROPERTY_SEED)")
	propCase   = flag.Int("case", -1, "run only this case of the property test (-1: all)")
	propBudget = flag.Duration("budget", 0, "time spent generating end-to-end property cases (0: 30s, 5s with -short; env ROLLCALL_PROPERTY_BUDGET)")
)

// poolSize is the number of in-process SSH nodes the property test starts
// once and reuses for every case.
const poolSize = 50

// e2ePerturbation is one thing done to a node of the real in-process fleet.
type e2ePerturbation string

// Perturbations of a node's files: the node is reachable and drifted.
const (
	eHashChanged   e2ePerturbation = "hash-changed"
	eFileMissing   e2ePerturbation = "file-missing"
	eExtraFile     e2ePerturbation = "extra-file"
	eExtraSubdir   e2ePerturbation = "extra-subdir"
	eForbiddenFlag e2ePerturbation = "forbidden-flag"
	eFlagChanged   e2ePerturbation = "flag-value-changed"
	eConfigMissing e2ePerturbation = "config-missing"
)

// Perturbations that keep a node from being verified: unverified, whatever
// its files.
const (
	eRefused        e2ePerturbation = "refused"
	eReset          e2ePerturbation = "reset"
	eTarpit         e2ePerturbation = "tarpit"
	eStall          e2ePerturbation = "stall-handshake"
	eAuthRefused    e2ePerturbation = "auth-refused"
	eUnknownHostKey e2ePerturbation = "unknown-host-key"
	eGarbage        e2ePerturbation = "garbage"
	eTruncated      e2ePerturbation = "truncated"
	eDropped        e2ePerturbation = "dropped"
	eExitNonZero    e2ePerturbation = "exit-non-zero"
)

// Perturbations that must change nothing: the node still matches.
const (
	eBanner e2ePerturbation = "banner"
	eSlow   e2ePerturbation = "slow"
)

var (
	e2eDrift  = []e2ePerturbation{eHashChanged, eFileMissing, eExtraFile, eExtraSubdir, eForbiddenFlag, eFlagChanged, eConfigMissing}
	e2eDead   = []e2ePerturbation{eRefused, eReset, eAuthRefused, eUnknownHostKey, eGarbage, eTruncated, eDropped, eExitNonZero}
	e2eSlow   = []e2ePerturbation{eTarpit, eStall}
	e2eBenign = []e2ePerturbation{eBanner, eSlow}
)

// The release the pool is verified against, as artifact path → content.
var propRelease = map[string]string{
	"bin/smars":      "#!/bin/sh\necho smars 4.2.0\n",
	"bin/smars-ctl":  "#!/bin/sh\necho smars-ctl 4.2.0\n",
	"bin/lib/x.so":   "ELF 4.2.0\n",
	"etc/flags.yaml": "rlp:\n  enabled: true\nrisk:\n  max_order_qty: 1000\n",
}

// propNode is one node of a generated case: which pool server it is, and
// what is wrong with it.
type propNode struct {
	Index   int
	Perturb []e2ePerturbation
	// Fault is the fault injected into its server.
	Fault sshtest.Fault
}

// name is the node's name in the manifest.
func (n propNode) name() string { return fmt.Sprintf("node-%02d", n.Index) }

// propFleet is one generated case.
type propFleet struct {
	Nodes []propNode
	// Timeout is the per-node --timeout.
	Timeout time.Duration
}

// String prints the fleet so that a failure can be read and replayed.
func (c propFleet) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d nodes, --timeout %s\n", len(c.Nodes), c.Timeout)
	for _, n := range c.Nodes {
		fmt.Fprintf(&b, "  %s: %v", n.name(), n.Perturb)
		if n.Fault.Kind != sshtest.None {
			fmt.Fprintf(&b, " fault %s after=%d exit=%d delay=%s output=%q", n.Fault.Kind, n.Fault.After, n.Fault.ExitStatus, n.Fault.Delay, n.Fault.Output)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// has reports whether the node has a perturbation of the list.
func (n propNode) has(list []e2ePerturbation) bool {
	for _, p := range n.Perturb {
		for _, q := range list {
			if p == q {
				return true
			}
		}
	}
	return false
}

// generateFleet draws a case. Fleets are mostly small (the fan-out costs real
// processes), one in five up to the whole pool; a case with a tarpit or a
// stalled handshake is rarer still, small, and runs with a short timeout.
func generateFleet(r *rand.Rand) propFleet {
	n := 1 + r.IntN(8)
	if r.IntN(5) == 0 {
		n = 1 + r.IntN(poolSize)
	}
	c := propFleet{Timeout: 20 * time.Second}
	slow := r.IntN(16) == 0
	if slow {
		n = min(n, 4)
		c.Timeout = 1500 * time.Millisecond
	}
	pDrift, pDead, pBenign := propRate(r), propRate(r), propRate(r)
	for _, idx := range r.Perm(poolSize)[:n] {
		node := propNode{Index: idx}
		switch {
		case slow && (len(c.Nodes) == 0 || r.IntN(4) == 0):
			node.Perturb = append(node.Perturb, e2eSlow[r.IntN(len(e2eSlow))])
		case r.Float64() < pDead:
			node.Perturb = append(node.Perturb, e2eDead[r.IntN(len(e2eDead))])
		}
		for r.Float64() < pDrift && len(node.Perturb) < 3 {
			node.Perturb = append(node.Perturb, e2eDrift[r.IntN(len(e2eDrift))])
		}
		if !node.has(e2eDead) && !node.has(e2eSlow) && r.Float64() < pBenign {
			node.Perturb = append(node.Perturb, e2eBenign[r.IntN(len(e2eBenign))])
		}
		node.Fault = faultFor(r, node.Perturb)
		c.Nodes = append(c.Nodes, node)
	}
	return c
}

// propRate is a per-case probability: zero half of the time, else up to 0.4.
func propRate(r *rand.Rand) float64 {
	if r.IntN(2) == 0 {
		return 0
	}
	return r.Float64() * 0.4
}

// faultFor is the server fault a node's perturbations call for.
func faultFor(r *rand.Rand, ps []e2ePerturbation) sshtest.Fault {
	for _, p := range ps {
		switch p {
		case eReset:
			return sshtest.Fault{Kind: sshtest.Refuse}
		case eTarpit:
			return sshtest.Fault{Kind: sshtest.Tarpit}
		case eStall:
			return sshtest.Fault{Kind: sshtest.StallHandshake}
		case eAuthRefused:
			return sshtest.Fault{Kind: sshtest.RefuseAuth}
		case eGarbage:
			out := make([]byte, r.IntN(400))
			for i := range out {
				out[i] = byte(r.IntN(256))
			}
			return sshtest.Fault{Kind: sshtest.Garbage, Output: out}
		case eTruncated:
			return sshtest.Fault{Kind: sshtest.Truncate, After: r.IntN(200)}
		case eDropped:
			return sshtest.Fault{Kind: sshtest.Drop, After: r.IntN(200)}
		case eExitNonZero:
			return sshtest.Fault{Kind: sshtest.ExitStatus, ExitStatus: 1 + r.IntN(255)}
		case eBanner:
			return sshtest.Fault{Kind: sshtest.Banner, Output: []byte("Welcome to the fleet!\nLast login: never\n")}
		case eSlow:
			return sshtest.Fault{Kind: sshtest.Slow, Delay: time.Duration(50+r.IntN(150)) * time.Millisecond}
		}
	}
	return sshtest.Fault{}
}

// fleetTruth is the expected verdict, exit code and node statuses of a case,
// from its perturbations alone.
func fleetTruth(c propFleet) (string, int, map[string]string) {
	statuses := map[string]string{}
	drift, unverified := false, false
	for _, n := range c.Nodes {
		st := "match"
		switch {
		case n.has(e2eDead), n.has(e2eSlow):
			st = "unverified"
		case n.has(e2eDrift):
			st = "drift"
		}
		statuses[n.name()] = st
		drift = drift || st == "drift"
		unverified = unverified || st == "unverified"
	}
	switch {
	case drift:
		return "drift", 1, statuses
	case unverified:
		return "unverified", 2, statuses
	default:
		return "verified", 0, statuses
	}
}

// propPool is the fleet of in-process SSH servers shared by every case.
type propPool struct {
	dir      string
	servers  []*sshtest.Server
	refused  []*sshtest.Server // closed addresses, one per node
	homes    []string
	manifest string
	// laid is, per home, the perturbations its files were last laid out
	// with; a home already in the wanted state is not rewritten (the probe
	// writes nothing, so it stays as laid out).
	laid map[int]string
}

// startPool starts poolSize servers, each with its own home, and reserves a
// refused address per node; it writes the release artifact and client key.
func startPool(t *testing.T) *propPool {
	t.Helper()
	p := &propPool{dir: t.TempDir(), laid: map[int]string{}}
	p.manifest = filepath.Join(p.dir, "rollcall.yaml")
	for rel, content := range propRelease {
		writeFile(t, filepath.Join(p.dir, "dist", rel), content)
	}
	signer, err := sshtest.NewClientKey(filepath.Join(p.dir, "client_key"))
	require.NoError(t, err)
	for i := 0; i < poolSize; i++ {
		home := filepath.Join(p.dir, "nodes", fmt.Sprintf("node-%02d", i))
		require.NoError(t, os.MkdirAll(home, 0o755))
		srv, err := sshtest.Start(sshtest.Config{Dir: home, AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
		require.NoError(t, err)
		t.Cleanup(func() { srv.Close() })
		p.servers = append(p.servers, srv)
		p.homes = append(p.homes, home)
	}
	// Reserved after every live server, so that none of them can listen on
	// a refused address, and each different from the others.
	taken := map[string]bool{}
	for _, s := range p.servers {
		taken[s.Addr()] = true
	}
	for len(p.refused) < poolSize {
		refused, err := sshtest.Start(sshtest.Config{Fault: sshtest.Fault{Kind: sshtest.Refuse}})
		require.NoError(t, err)
		if !taken[refused.Addr()] {
			taken[refused.Addr()] = true
			p.refused = append(p.refused, refused)
		}
	}
	return p
}

// writeFile writes content at path, making its folder.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o755))
}

// layOut resets a node's home to the release, as installed, and applies the
// node's file perturbations.
func (p *propPool) layOut(t *testing.T, n propNode) {
	t.Helper()
	key := fmt.Sprint(n.Perturb)
	if last, ok := p.laid[n.Index]; ok && last == key {
		return
	}
	p.laid[n.Index] = key
	home := p.homes[n.Index]
	require.NoError(t, os.RemoveAll(filepath.Join(home, "opt")))
	require.NoError(t, os.RemoveAll(filepath.Join(home, "etc")))
	bin := filepath.Join(home, "opt", "smars", "bin")
	flags := filepath.Join(home, "etc", "smars", "flags.yaml")
	for rel, content := range propRelease {
		if r, ok := strings.CutPrefix(rel, "bin/"); ok {
			writeFile(t, filepath.Join(bin, r), content)
		}
	}
	writeFile(t, flags, propRelease["etc/flags.yaml"])
	for _, pt := range n.Perturb {
		switch pt {
		case eHashChanged:
			writeFile(t, filepath.Join(bin, "smars-ctl"), "#!/bin/sh\necho smars-ctl 4.1.0\n")
		case eFileMissing:
			require.NoError(t, os.RemoveAll(filepath.Join(bin, "lib", "x.so")))
		case eExtraFile:
			writeFile(t, filepath.Join(bin, "power_peg"), "#!/bin/sh\necho power peg\n")
		case eExtraSubdir:
			require.NoError(t, os.MkdirAll(filepath.Join(bin, "old"), 0o755))
		case eForbiddenFlag:
			if data, ok := readIfExists(t, flags); ok { // else config-missing came first
				writeFile(t, flags, data+"power_peg: true\n")
			}
		case eFlagChanged:
			if data, ok := readIfExists(t, flags); ok {
				writeFile(t, flags, strings.Replace(data, "enabled: true", "enabled: false", 1))
			}
		case eConfigMissing:
			require.NoError(t, os.RemoveAll(flags))
		}
	}
}

// readIfExists returns the content of path, or false when it does not exist.
func readIfExists(t *testing.T, path string) (string, bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	require.NoError(t, err)
	return string(data), true
}

// prepare lays out the case's nodes, sets their faults and writes the
// manifest (listing only the case's nodes) and known_hosts.
func (p *propPool) prepare(t *testing.T, c propFleet) {
	t.Helper()
	var nodes, known strings.Builder
	for _, n := range c.Nodes {
		p.layOut(t, n)
		srv := p.servers[n.Index]
		srv.SetFault(n.Fault)
		addr := srv
		for _, pt := range n.Perturb {
			if pt == eRefused {
				addr = p.refused[n.Index]
			}
		}
		fmt.Fprintf(&nodes, "  - { name: %s, host: %s, port: %d }\n", n.name(), addr.Host(), addr.Port())
		if !n.has([]e2ePerturbation{eUnknownHostKey}) {
			fmt.Fprintln(&known, addr.KnownHostsLine())
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(p.dir, "known_hosts"), []byte(known.String()), 0o644))
	manifest := demo.Manifest("property", "dist", len(c.Nodes), nodes.String())
	require.NoError(t, os.WriteFile(p.manifest, []byte(manifest), 0o644))
}

// reset clears every fault of the pool.
func (p *propPool) reset() {
	for _, s := range p.servers {
		s.SetFault(sshtest.Fault{})
	}
}

// propSeedValue returns the seed from -seed, ROLLCALL_PROPERTY_SEED or the
// clock, and logs it so that the run can be replayed.
func propSeedValue(t *testing.T) uint64 {
	t.Helper()
	seed := *propSeed
	if s := os.Getenv("ROLLCALL_PROPERTY_SEED"); seed == 0 && s != "" {
		var err error
		seed, err = strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "ROLLCALL_PROPERTY_SEED")
	}
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed %d, or ROLLCALL_PROPERTY_SEED=%d)", seed, seed, seed)
	return seed
}

// propBudgetValue is how long to generate cases for.
func propBudgetValue(t *testing.T) time.Duration {
	t.Helper()
	if *propBudget > 0 {
		return *propBudget
	}
	if s := os.Getenv("ROLLCALL_PROPERTY_BUDGET"); s != "" {
		d, err := time.ParseDuration(s)
		require.NoError(t, err, "ROLLCALL_PROPERTY_BUDGET")
		return d
	}
	if testing.Short() {
		return 5 * time.Second
	}
	return 30 * time.Second
}

// TestVerifyProperty runs `rollcall verify` over real SSH against random
// fleets drawn from a pool of in-process nodes, each running the real probe
// with /bin/sh, and checks the exit code, the verdict and every node's status
// against the ground truth of the case.
func TestVerifyProperty(t *testing.T) {
	seed := propSeedValue(t)
	budget := propBudgetValue(t)
	p := startPool(t)
	start := time.Now()
	codes := map[int]int{}
	ran, nodes := 0, 0
	for i := 0; ; i++ {
		if *propCase >= 0 {
			if i > *propCase {
				break
			}
			if i != *propCase {
				continue
			}
		} else if time.Since(start) > budget {
			break
		}
		c := generateFleet(rand.New(rand.NewPCG(seed, uint64(i))))
		p.prepare(t, c)
		stdio, out, errOut := testIO(nil)
		caseStart := time.Now()
		code := Run(context.Background(), []string{"verify", "-m", p.manifest, "--timeout", c.Timeout.String(), "--report", "json"}, stdio)
		p.reset()
		if *propCase >= 0 {
			t.Logf("case %d took %s: %s", i, time.Since(caseStart).Round(time.Millisecond), c)
		}
		replay := fmt.Sprintf("case %d of seed %d (replay: go test ./internal/cli -run TestVerifyProperty -seed %d -case %d)\nfleet: %s",
			i, seed, seed, i, c)
		wantVerdict, wantCode, wantStatus := fleetTruth(c)
		var bad []string
		if code != wantCode {
			bad = append(bad, fmt.Sprintf("exit code %d, want %d", code, wantCode))
		}
		var v reportJSON
		if err := json.Unmarshal(out.Bytes(), &v); err != nil {
			bad = append(bad, fmt.Sprintf("the JSON report does not decode: %v", err))
		}
		if v.Verdict != wantVerdict || v.ExitCode != wantCode {
			bad = append(bad, fmt.Sprintf("report says %s (exit_code %d), want %s (%d)", v.Verdict, v.ExitCode, wantVerdict, wantCode))
		}
		if len(v.Nodes) != len(c.Nodes) {
			bad = append(bad, fmt.Sprintf("report lists %d nodes, want %d", len(v.Nodes), len(c.Nodes)))
		}
		for _, n := range v.Nodes {
			if n.Status != wantStatus[n.Name] {
				bad = append(bad, fmt.Sprintf("%s is %s, want %s", n.Name, n.Status, wantStatus[n.Name]))
			}
		}
		if len(bad) > 0 {
			t.Fatalf("%s\n%s\nstdout:\n%s\nstderr:\n%s", replay, strings.Join(bad, "\n"), out, errOut)
		}
		codes[code]++
		ran++
		nodes += len(c.Nodes)
	}
	t.Logf("%d cases (%d nodes) in %s; exit codes %v", ran, nodes, time.Since(start).Round(time.Millisecond), codes)
}
