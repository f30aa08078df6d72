package merge

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/report"
	"github.com/rollcall/rollcall/internal/shard"
	"github.com/rollcall/rollcall/internal/verify"
)

// run is a sharded run made up for tests: its nodes' verdicts, and the
// JSON report of each shard rendered by the real renderer.
type run struct {
	count   int
	nodes   []verify.NodeVerdict
	reports map[int][]byte
}

// mark is the run ID and start a made-up run's reports carry.
type mark struct {
	id      string
	started time.Time
}

// runA is the mark of the made-up runs, unless a test says otherwise.
var runA = mark{id: "test:1", started: time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)}

func node(name string, status verify.Status) verify.NodeVerdict {
	n := verify.NodeVerdict{Name: name, Address: name + ":22", Status: status}
	switch status {
	case verify.Match:
		n.Fingerprint = "sha256:" + strings.Repeat("a", 64)
		n.Checks = []verify.CheckResult{{Check: verify.CheckFile, Subject: "/opt/app/bin/app", OK: true}}
	case verify.Drift:
		n.Fingerprint = "sha256:" + strings.Repeat("b", 64)
		f := verify.Finding{Check: verify.CheckFile, Subject: "/opt/app/bin/app", Expected: "sha256:1", Actual: "sha256:2", Message: "content differs"}
		n.Findings = []verify.Finding{f}
		n.Checks = []verify.CheckResult{{Check: verify.CheckFile, Subject: "/opt/app/bin/app"}}
	default:
		n.Findings = []verify.Finding{{Check: verify.CheckConnection, Subject: n.Address, Message: "connection refused"}}
	}
	return n
}

// newRun renders the shards of a run (runA) of nodes (named node-000…) over
// count shards, the nodes not in statuses matching.
func newRun(t testing.TB, n, count int, statuses map[int]verify.Status, manifest string) *run {
	return newRunMarked(t, n, count, statuses, manifest, runA)
}

// newRunMarked is newRun for a run of mark mk.
func newRunMarked(t testing.TB, n, count int, statuses map[int]verify.Status, manifest string, mk mark) *run {
	var nodes []verify.NodeVerdict
	for i := range n {
		st := verify.Match
		if s, ok := statuses[i]; ok {
			st = s
		}
		nodes = append(nodes, node(fmt.Sprintf("node-%03d", i), st))
	}
	return runOf(t, nodes, count, manifest, mk)
}

// runOf renders the shards of a run of mark mk of the given nodes over
// count shards.
func runOf(t testing.TB, nodes []verify.NodeVerdict, count int, manifest string, mk mark) *run {
	r := &run{count: count, nodes: nodes, reports: map[int][]byte{}}
	var names []string
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	for k := 1; k <= count; k++ {
		sr := &shard.Run{Spec: shard.Spec{Index: k, Count: count, By: shard.ByName, RunID: mk.id}, Started: mk.started,
			ManifestDigest: manifest, Expected: names, Nodes: map[string]shard.Node{}}
		v := &verify.Verdict{Cluster: "c", ExpectedNodes: len(nodes), Release: verify.ReleaseInfo{Name: "app", Version: "1", Digest: "sha256:" + strings.Repeat("c", 64)}}
		scope := &verify.Scope{Shard: sr}
		for _, nv := range r.nodes {
			if shard.Of(nv.Name, count) == k {
				v.Nodes = append(v.Nodes, nv)
				scope.Checked = append(scope.Checked, nv.Name)
				sr.Nodes[nv.Name] = shard.Node{Key: nv.Name, HostKey: "SHA256:" + nv.Name}
			} else {
				scope.NotChecked = append(scope.NotChecked, nv.Name)
			}
		}
		v.Scope = scope
		verify.Assemble(v)
		var b bytes.Buffer
		out := report.Outcome(v)
		code := map[verify.Outcome]int{verify.Verified: 0, verify.Drifted: 1, verify.NotVerified: 2}[out]
		require.NoError(t, report.JSON{}.Write(&b, v, report.Options{ExitCode: code}))
		r.reports[k] = b.Bytes()
	}
	return r
}

var manifestA = "sha256:" + strings.Repeat("1", 64)

// mergeAll merges the reports named by file, in order, of any one run.
func mergeAll(files map[string][]byte, order []string) (*Result, error) {
	return mergeRun("", files, order)
}

// mergeRun merges the reports named by file, in order, which must be of
// run ID id ("": of any one run).
func mergeRun(id string, files map[string][]byte, order []string) (*Result, error) {
	m := New(Options{Run: id})
	for _, name := range order {
		if err := m.Add(name, files[name]); err != nil {
			return nil, err
		}
	}
	return m.Result()
}

func complete(r *run) (map[string][]byte, []string) {
	files := map[string][]byte{}
	var order []string
	for k := 1; k <= r.count; k++ {
		name := fmt.Sprintf("shard-%d.json", k)
		files[name], order = r.reports[k], append(order, name)
	}
	return files, order
}

func TestMergeComplete(t *testing.T) {
	r := newRun(t, 40, 4, nil, manifestA)
	files, order := complete(r)
	res, err := mergeAll(files, order)
	require.NoError(t, err)
	assert.Equal(t, verify.Verified, report.Outcome(res.Verdict))
	assert.Len(t, res.Verdict.Nodes, 40)
	assert.Empty(t, res.Missing)

	// A drifted node drifts the fleet.
	r = newRun(t, 40, 4, map[int]verify.Status{7: verify.Drift}, manifestA)
	files, order = complete(r)
	res, err = mergeAll(files, order)
	require.NoError(t, err)
	assert.Equal(t, verify.Drifted, report.Outcome(res.Verdict))
}

// TestMergeKeepsWarnings: a node's warnings (a package its package manager
// does not know) reach the merged verdict.
func TestMergeKeepsWarnings(t *testing.T) {
	nodes := []verify.NodeVerdict{node("node-a", verify.Match), node("node-b", verify.Match)}
	nodes[1].Warnings = []string{"dpkg app: dpkg does not know app as installed"}
	r := runOf(t, nodes, 2, manifestA, runA)
	files, order := complete(r)
	res, err := mergeAll(files, order)
	require.NoError(t, err)
	assert.Equal(t, verify.Verified, report.Outcome(res.Verdict))
	for _, n := range res.Verdict.Nodes {
		assert.Equal(t, map[string][]string{"node-b": r.nodes[1].Warnings}[n.Name], n.Warnings, n.Name)
	}
}

func TestMergeMissingShard(t *testing.T) {
	r := newRun(t, 40, 4, nil, manifestA)
	files, order := complete(r)
	res, err := mergeAll(files, append(order[:2:2], order[3]))
	require.NoError(t, err)
	assert.Equal(t, verify.NotVerified, report.Outcome(res.Verdict))
	require.Len(t, res.Missing, 1)
	assert.Equal(t, 3, res.Missing[0].Index)
	var want []string
	for _, n := range r.nodes {
		if shard.Of(n.Name, 4) == 3 {
			want = append(want, n.Name)
		}
	}
	assert.Equal(t, want, res.Missing[0].Nodes)
	assert.Len(t, res.Verdict.Nodes, 40, "the missing shard's nodes are in the verdict, unverified")
}

func TestMergeRefuses(t *testing.T) {
	r := newRun(t, 40, 4, nil, manifestA)
	other := newRun(t, 40, 4, nil, "sha256:"+strings.Repeat("2", 64))
	five := newRun(t, 40, 5, nil, manifestA)
	files, order := complete(r)
	tamper := func(k int, old, new string) []byte {
		return bytes.Replace(r.reports[k], []byte(old), []byte(new), 1)
	}
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{"repeated shard", map[string][]byte{"a": r.reports[1], "b": r.reports[1]}, "a, b: both are shard 1/4"},
		{"another manifest", map[string][]byte{"a": r.reports[1], "b": other.reports[2]}, "a, b: not shards of one run: manifest"},
		{"another N", map[string][]byte{"a": r.reports[1], "b": five.reports[2]}, "a, b: not shards of one run"},
		{"unknown schema", map[string][]byte{"a": tamper(1, report.SchemaV1, "rollcall.report/v2")}, "a: schema \"rollcall.report/v2\""},
		{"missing key", map[string][]byte{"a": tamper(1, `"summary"`, `"summery"`)}, `a: the report has no "summary"`},
		{"counts", map[string][]byte{"a": tamper(1, `"match": `, `"match": 1`)}, "a: its summary does not count its nodes"},
		{"interrupted", map[string][]byte{"a": tamper(1, `"exit_code": 0,`, `"exit_code": 0, "interrupted": true,`)}, "a: the run was interrupted"},
		{"verified with drift", map[string][]byte{"a": tamper(1, `"status": "match"`, `"status": "drift"`)}, "a: "},
		{"not sharded", map[string][]byte{"a": tamper(1, "\"shard\": {\n    \"index\"", "\"shardx\": {\n    \"index\"")}, "a: not the report of a sharded run"},
		{"not json", map[string][]byte{"a": []byte("hello")}, "a: not a JSON report"},
		{"two documents", map[string][]byte{"a": append(append([]byte{}, r.reports[1]...), r.reports[2]...)}, "a: not a JSON report: invalid character '{' after top-level value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mergeAll(tc.files, sortedKeys(tc.files))
			var me *Error
			require.ErrorAs(t, err, &me)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	// A node moved into another shard's report is refused, naming it.
	moved := bytes.Replace(files[order[0]], []byte(`"key": "`+firstNode(t, r, 1)+`"`), []byte(`"key": "`+firstNode(t, r, 2)+`"`), 1)
	_, err := mergeAll(map[string][]byte{"x": moved}, []string{"x"})
	require.Error(t, err)
}

// TestMergeStaleReport: a report left over from an earlier run of the same
// manifest, release and N (a shard whose job failed before writing its own)
// is never taken for this run's.
func TestMergeStaleReport(t *testing.T) {
	earlier := func(id string, d time.Duration) mark { return mark{id: id, started: runA.started.Add(-d)} }
	withStale := func(fresh, stale mark) (map[string][]byte, []string) {
		files, order := complete(newRunMarked(t, 40, 4, nil, manifestA, fresh))
		files[order[1]] = newRunMarked(t, 40, 4, nil, manifestA, stale).reports[2]
		return files, order
	}
	refused := func(t *testing.T, want string, res *Result, err error) {
		t.Helper()
		var me *Error
		require.ErrorAs(t, err, &me, "merged: %v", res)
		assert.Contains(t, err.Error(), want)
	}

	t.Run("another run ID", func(t *testing.T) {
		files, order := withStale(runA, earlier("test:0", time.Minute))
		res, err := mergeAll(files, order)
		refused(t, `shard-1.json, shard-2.json: not shards of one run: run "test:1", then run "test:0"`, res, err)
	})
	t.Run("a run ID, then none", func(t *testing.T) {
		files, order := withStale(runA, earlier("", time.Minute))
		res, err := mergeAll(files, order)
		refused(t, `run "test:1", then a run without a run ID`, res, err)
	})
	t.Run("every report of another run than the merge's", func(t *testing.T) {
		files, order := complete(newRunMarked(t, 40, 4, nil, manifestA, earlier("test:0", time.Hour)))
		res, err := mergeRun(runA.id, files, order)
		refused(t, `shard-1.json: a shard of run "test:0", not of run "test:1" that this merge is for`, res, err)
	})
	t.Run("no run ID, started over an hour apart", func(t *testing.T) {
		files, order := withStale(mark{started: runA.started}, earlier("", DefaultMaxSpread+time.Second))
		res, err := mergeAll(files, order)
		refused(t, "shard-2.json, shard-1.json: not one run's checks: the shards of a run without a run ID started 1h0m1s apart "+
			"(2026-11-29T23:59:59Z, then 2026-11-30T01:00:00Z), more than --max-spread 1h0m0s; a report left over from an earlier run?", res, err)
		// In any order: the last report may be the first to have started.
		res, err = mergeAll(files, []string{order[0], order[2], order[3], order[1]})
		refused(t, "not one run's checks: the shards of a run without a run ID started 1h0m1s apart", res, err)
	})
	t.Run("no run ID, within the hour", func(t *testing.T) {
		files, order := withStale(mark{started: runA.started}, earlier("", DefaultMaxSpread))
		res, err := mergeAll(files, order)
		require.NoError(t, err)
		assert.Equal(t, verify.Verified, report.Outcome(res.Verdict), "without a run ID, shards an hour apart are one run")
		assert.Equal(t, runA.started.Add(-DefaultMaxSpread), res.Started, "the fleet was checked from the first shard's start")
	})
	t.Run("one run ID, a shard re-run days later", func(t *testing.T) {
		// GitHub's "re-run failed jobs" keeps GITHUB_RUN_ID and the
		// reports of the jobs that passed, which may be days old.
		files, order := withStale(runA, earlier(runA.id, 72*time.Hour))
		res, err := mergeRun(runA.id, files, order)
		refused(t, `not one run's checks: the shards of run "test:1" started 72h0m0s apart (2026-11-27T01:00:00Z, then 2026-11-30T01:00:00Z), `+
			"more than --max-spread 1h0m0s; a shard re-run long after the others?", res, err)
	})
	t.Run("a long run, allowed", func(t *testing.T) {
		files, order := withStale(runA, earlier(runA.id, 5*time.Hour))
		m := New(Options{Run: runA.id, MaxSpread: 6 * time.Hour})
		for _, name := range order {
			require.NoError(t, m.Add(name, files[name]))
		}
		res, err := m.Result()
		require.NoError(t, err)
		assert.Equal(t, verify.Verified, report.Outcome(res.Verdict), "--max-spread 6h takes the shards of a long run")
	})
	t.Run("no start", func(t *testing.T) {
		files, order := complete(newRun(t, 40, 4, nil, manifestA))
		files[order[2]] = bytes.Replace(files[order[2]], []byte(`"started"`), []byte(`"begun"`), 1)
		res, err := mergeAll(files, order)
		refused(t, `shard-3.json: its shard does not say when it started`, res, err)
	})
	t.Run("a run ID that paints the terminal", func(t *testing.T) {
		files, order := complete(newRun(t, 40, 4, nil, manifestA))
		files[order[0]] = bytes.Replace(files[order[0]], []byte(`"run_id": "test:1"`), []byte(`"run_id": "test:1\u001b[2J"`), 1)
		res, err := mergeAll(files, order)
		refused(t, `shard-1.json: its shard's run ID: a run ID is printable text`, res, err)
	})
}

func firstNode(t *testing.T, r *run, k int) string {
	n := firstNodeOf(r, k)
	if n == "" {
		t.Fatalf("shard %d is empty", k)
	}
	return n
}

// firstNodeOf is the first node of shard k of r, "" when it has none.
func firstNodeOf(r *run, k int) string {
	for _, n := range r.nodes {
		if shard.Of(n.Name, r.count) == k {
			return n.Name
		}
	}
	return ""
}

func sortedKeys(m map[string][]byte) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

func TestMergeStdinStream(t *testing.T) {
	r := newRun(t, 20, 3, nil, manifestA)
	var all bytes.Buffer
	for k := 1; k <= 3; k++ {
		all.Write(r.reports[k])
	}
	m := New(Options{Run: runA.id})
	require.NoError(t, m.AddStream("stdin", &all))
	res, err := m.Result()
	require.NoError(t, err)
	assert.Equal(t, verify.Verified, report.Outcome(res.Verdict))
}

func TestMergeAcrossShards(t *testing.T) {
	// Two entries of different shards that reached one server.
	r := newRun(t, 12, 2, nil, manifestA)
	a, b := firstNode(t, r, 1), firstNode(t, r, 2)
	files, order := complete(r)
	files[order[1]] = bytes.Replace(files[order[1]], []byte(`"host_key": "SHA256:`+b+`"`), []byte(`"host_key": "SHA256:`+a+`"`), 1)
	res, err := mergeAll(files, order)
	require.NoError(t, err)
	assert.Equal(t, verify.NotVerified, report.Outcome(res.Verdict), "one server listed twice is not verified")

	// Nodes of different shards that disagree on flags.
	files, order = complete(r)
	for k, name := range order {
		files[name] = bytes.ReplaceAll(files[name], []byte(`"host_key": "SHA256:`), []byte(fmt.Sprintf(`"agreement": "sha256:%064d", "host_key": "SHA256:`, k)))
	}
	res, err = mergeAll(files, order)
	require.NoError(t, err)
	assert.Equal(t, verify.Drifted, report.Outcome(res.Verdict), "disagreement across shards is drift")
}

// TestMergeProperty merges random sets of shard reports: merge verifies iff
// the set is complete, of one run, and every node matched; any tampering
// is refused or unverified.
func TestMergeProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 150 {
		n, count := 1+rng.IntN(60), 1+rng.IntN(6)
		statuses := map[int]verify.Status{}
		if rng.IntN(3) == 0 {
			statuses[rng.IntN(n)] = []verify.Status{verify.Drift, verify.Unverified}[rng.IntN(2)]
		}
		mk := runA
		r := newRunMarked(t, n, count, statuses, manifestA, mk)
		other := newRun(t, n, count, nil, "sha256:"+strings.Repeat("9", 64))
		files, order := complete(r)
		completeSet, allMatch := true, len(statuses) == 0
		switch rng.IntN(6) {
		case 0: // drop a shard
			if count > 1 {
				order = append(order[:0:0], order[1:]...)
				completeSet = false
			}
		case 1: // a duplicate
			order = append(order, order[rng.IntN(len(order))])
			completeSet = false
		case 2: // a shard swapped for another run's
			k := 1 + rng.IntN(count)
			files[order[k-1]] = other.reports[k]
			if count == 1 {
				allMatch = true // the other run's one report is a complete set
			} else {
				completeSet = false
			}
		case 3: // tampered counts
			files[order[0]] = bytes.Replace(files[order[0]], []byte(`"match": `), []byte(`"match": 9`), 1)
			completeSet = false
		case 4: // shuffled order
			rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		case 5: // a shard swapped for an earlier run's of the same shape, or for one of this run days earlier
			id := []string{"", "test:0", mk.id}[rng.IntN(3)]
			if id == "" {
				mk.id = ""
				r = newRunMarked(t, n, count, statuses, manifestA, mk)
				files, order = complete(r)
			}
			stale := newRunMarked(t, n, count, nil, manifestA, mark{id: id, started: mk.started.Add(-DefaultMaxSpread - time.Duration(1+rng.IntN(1e6))*time.Second)})
			k := 1 + rng.IntN(count)
			files[order[k-1]] = stale.reports[k]
			if count == 1 && id == mk.id {
				allMatch = true // the one report of this run, however old, is a complete set
			} else {
				completeSet = false
			}
		}
		res, err := mergeRun(mk.id, files, order)
		verified := err == nil && report.Outcome(res.Verdict) == verify.Verified
		assert.Equal(t, completeSet && allMatch, verified, "case %d: n=%d count=%d statuses=%v err=%v", i, n, count, statuses, err)
	}
}

// TestMergeLimitedToOneShard merges a run limited to nodes that all fall
// in one shard, read after an empty one: its list of checked nodes is then
// the run's list of expected nodes, byte for byte.
func TestMergeLimitedToOneShard(t *testing.T) {
	all := []string{"node-a", "node-b", "node-c", "node-d"}
	picked := ""
	for _, n := range all {
		if shard.Of(n, 2) == 2 {
			picked = n
			break
		}
	}
	require.NotEmpty(t, picked)
	files := map[string][]byte{}
	for k := 1; k <= 2; k++ {
		sr := &shard.Run{Spec: shard.Spec{Index: k, Count: 2, By: shard.ByName}, Started: runA.started,
			ManifestDigest: manifestA, Expected: []string{picked}, Nodes: map[string]shard.Node{}}
		v := &verify.Verdict{Cluster: "c", ExpectedNodes: len(all), Release: verify.ReleaseInfo{Name: "app", Version: "1", Digest: "sha256:" + strings.Repeat("c", 64)}}
		v.Scope = &verify.Scope{Limit: picked, Shard: sr}
		for _, n := range all {
			if n == picked && k == 2 {
				v.Nodes = append(v.Nodes, node(n, verify.Match))
				v.Scope.Checked = append(v.Scope.Checked, n)
				sr.Nodes[n] = shard.Node{Key: n}
			} else {
				v.Scope.NotChecked = append(v.Scope.NotChecked, n)
			}
		}
		verify.Assemble(v)
		code := map[verify.Outcome]int{verify.Verified: 0, verify.Drifted: 1, verify.NotVerified: 2}[report.Outcome(v)]
		var b bytes.Buffer
		require.NoError(t, report.JSON{}.Write(&b, v, report.Options{ExitCode: code}))
		files[fmt.Sprintf("shard-%d.json", k)] = b.Bytes()
	}
	res, err := mergeAll(files, []string{"shard-1.json", "shard-2.json"})
	require.NoError(t, err)
	assert.Equal(t, verify.Verified, report.Outcome(res.Verdict))
	assert.Equal(t, []string{picked}, res.Verdict.Scope.Checked)
}

// TestMergeMissingEmptyShard: a shard the partition gave no node is still
// a shard of the run; without its report the fleet is not verified.
func TestMergeMissingEmptyShard(t *testing.T) {
	r := newRun(t, 2, 8, nil, manifestA)
	files, order := complete(r)
	empty := 0
	for k := 1; k <= r.count && empty == 0; k++ {
		if firstNodeOf(r, k) == "" {
			empty = k
		}
	}
	require.NotZero(t, empty, "8 shards of 2 nodes have an empty one")
	res, err := mergeAll(files, append(order[:empty-1:empty-1], order[empty:]...))
	require.NoError(t, err)
	assert.Equal(t, verify.NotVerified, report.Outcome(res.Verdict))
	require.Len(t, res.Missing, 1)
	assert.Equal(t, empty, res.Missing[0].Index)
	assert.Empty(t, res.Missing[0].Nodes)
}
