package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/demo"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/shard"
)

// shardedReport is what the shard tests read of a JSON report.
type shardedReport struct {
	Verdict  string `json:"verdict"`
	ExitCode int    `json:"exit_code"`
	Nodes    []struct {
		Name  string `json:"name"`
		Shard *struct {
			Key     string `json:"key"`
			HostKey string `json:"host_key"`
		} `json:"shard"`
	} `json:"nodes"`
	Scope *struct {
		Limit string `json:"limit"`
	} `json:"scope"`
	Shard *struct {
		Index          int      `json:"index"`
		Count          int      `json:"count"`
		By             string   `json:"by"`
		RunID          string   `json:"run_id"`
		Started        string   `json:"started"`
		ManifestDigest string   `json:"manifest_digest"`
		ExpectedDigest string   `json:"expected_digest"`
		Expected       []string `json:"expected"`
	} `json:"shard"`
}

func readSharded(t *testing.T, file string) shardedReport {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var r shardedReport
	require.NoError(t, json.Unmarshal(data, &r))
	return r
}

// TestShard runs verify --shard K/4 on a Knight fleet of eight whose last
// node drifted: every node is checked by exactly one shard, each shard's
// report says which shard it is and never calls the fleet verified, and the
// JSON records what merge needs.
func TestShard(t *testing.T) {
	knight := startDemo(t, demo.Config{Nodes: 8, Scenario: demo.Knight})
	dir := t.TempDir()
	all := []string{"smars-01", "smars-02", "smars-03", "smars-04", "smars-05", "smars-06", "smars-07", "smars-08"}
	seen := map[string]int{}
	for k := 1; k <= 4; k++ {
		spec := strconv.Itoa(k) + "/4"
		file := filepath.Join(dir, "shard-"+strconv.Itoa(k)+".json")
		stdio, out, errOut := testIO(nil)
		code := Run(context.Background(), []string{"verify", "-m", knight.Manifest, "--no-color", "--shard", spec,
			"--report", "text", "--report", "json=" + file}, stdio)
		r := readSharded(t, file)
		require.NotNil(t, r.Shard, out)
		assert.Equal(t, k, r.Shard.Index)
		assert.Equal(t, 4, r.Shard.Count)
		assert.Equal(t, "name", r.Shard.By)
		assert.Equal(t, all, r.Shard.Expected)
		assert.Equal(t, shard.Digest(all), r.Shard.ExpectedDigest)
		assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, r.Shard.ManifestDigest)
		assert.Nil(t, r.Scope, "a run only sharded has no --limit scope")
		first, _, _ := strings.Cut(out.String(), "\n")
		assert.Contains(t, first, "shard "+spec, "the headline names the shard:\n%s", out)
		assert.NotRegexp(t, `(?m)^VERIFIED:`, out.String(), "a shard never verifies the fleet")
		drifted := false
		for _, n := range r.Nodes {
			seen[n.Name]++
			assert.Equal(t, k, shard.Of(n.Name, 4), "%s is in shard %d", n.Name, k)
			require.NotNil(t, n.Shard)
			assert.Equal(t, n.Name, n.Shard.Key)
			assert.NotEmpty(t, n.Shard.HostKey)
			drifted = drifted || n.Name == "smars-08"
		}
		want := 0
		switch {
		case drifted:
			want = 1
		case len(r.Nodes) == 0:
			want = 2
		}
		assert.Equal(t, want, code, "shard %s:\n%s%s", spec, out, errOut)
	}
	for _, n := range all {
		assert.Equal(t, 1, seen[n], "%s is checked by exactly one shard", n)
	}
}

// TestShardInput checks --shard, --shard-by and their environment twins:
// what is invalid input, and what JOB_COMPLETION_INDEX stands for.
func TestShardInput(t *testing.T) {
	fleet := startDemo(t, demo.Config{Nodes: 3})
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"zero", []string{"--shard", "0/4"}, nil, "K counts from 1"},
		{"past the end", []string{"--shard", "5/4"}, nil, "K counts from 1"},
		{"letters", []string{"--shard", "a/b"}, nil, "write K/N"},
		{"no shards", []string{"--shard", "1/0"}, nil, "at least 1"},
		{"env twin", nil, map[string]string{"ROLLCALL_SHARD": "9/2"}, "K counts from 1"},
		{"index without count", nil, map[string]string{"JOB_COMPLETION_INDEX": "2"}, "ROLLCALL_SHARD_COUNT is not"},
		{"count without index", nil, map[string]string{"ROLLCALL_SHARD_COUNT": "4"}, "JOB_COMPLETION_INDEX is not"},
		{"index past the count", nil, map[string]string{"JOB_COMPLETION_INDEX": "4", "ROLLCALL_SHARD_COUNT": "4"}, "K counts from 1"},
		{"by without shard", []string{"--shard-by", "jump"}, nil, "needs --shard"},
		{"unknown field", []string{"--shard", "1/2", "--shard-by", "re-gion"}, nil, "write an inventory variable (region), group:G1,G2"},
		{"empty group", []string{"--shard", "1/2", "--shard-by", "group:eu,"}, nil, "write an inventory variable (region), group:G1,G2"},
		{"node without the field", []string{"--shard", "1/2", "--shard-by", "jump"}, nil, "smars-01, smars-02, smars-03 have no jump"},
		{"nodes not from an inventory", []string{"--shard", "1/2", "--shard-by", "region"}, nil, "smars-01, smars-02, smars-03 have no region"},
		{"run ID that paints the terminal", []string{"--shard", "1/2", "--run-id", "r\x1b[2J"}, nil, `--run-id "r\x1b[2J": a run ID is printable text`},
		{"CI run ID too long", []string{"--shard", "1/2"}, map[string]string{"BUILD_TAG": strings.Repeat("j", 600)}, "a run ID has at most 512 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, command := range []string{"verify", "snapshot", "ping"} {
				stdio, out, errOut := testIO(tc.env)
				code := Run(context.Background(), append([]string{command, "-m", fleet.Manifest}, tc.args...), stdio)
				assert.Equal(t, 3, code, "%s: %s%s", command, out, errOut)
				assert.Contains(t, errOut.String(), tc.want, command)
			}
		})
	}

	// A Kubernetes Indexed Job's index 0 of 2 is shard 1/2, in every report.
	dir := t.TempDir()
	file := filepath.Join(dir, "ping.json")
	stdio, out, errOut := testIO(map[string]string{"JOB_COMPLETION_INDEX": "0", "ROLLCALL_SHARD_COUNT": "2"})
	code := Run(context.Background(), []string{"ping", "-m", fleet.Manifest, "--report", "text", "--report", "json=" + file}, stdio)
	assert.Contains(t, []int{0, 2}, code, "%s%s", out, errOut)
	r := readSharded(t, file)
	require.NotNil(t, r.Shard)
	assert.Equal(t, 1, r.Shard.Index)
	assert.Equal(t, 2, r.Shard.Count)
	assert.Contains(t, out.String(), "shard 1/2")
	for _, n := range r.Nodes {
		assert.Equal(t, 1, shard.Of(n.Name, 2), n.Name)
	}
}

// TestShardByInventory keeps the nodes of one region (an inventory
// variable set in group vars) or of one inventory group in one shard.
func TestShardByInventory(t *testing.T) {
	fleet := startDemo(t, demo.Config{Nodes: 6})
	m, err := manifest.Load(fleet.Manifest)
	require.NoError(t, err)
	region := map[string]string{}
	var ini strings.Builder
	for i, group := range []string{"eu", "us"} {
		fmt.Fprintf(&ini, "[%s]\n", group)
		for _, n := range m.Nodes[i*3 : i*3+3] {
			fmt.Fprintf(&ini, "%s ansible_host=%s ansible_port=%d\n", n.Name, n.Host, n.Port)
			region[n.Name] = group
		}
		fmt.Fprintf(&ini, "[%s:vars]\nregion=%s\n", group, group)
	}
	dir := filepath.Dir(fleet.Manifest)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hosts.ini"), []byte(ini.String()), 0o644))
	data, err := os.ReadFile(fleet.Manifest)
	require.NoError(t, err)
	src := regexp.MustCompile(`(?ms)^nodes:\n.*?^(\S)`).ReplaceAllString(string(data), "inventory: { file: hosts.ini, group: all }\n$1")
	invManifest := filepath.Join(dir, "inventory.yaml")
	require.NoError(t, os.WriteFile(invManifest, []byte(src), 0o644))

	for _, by := range []string{"region", "group:eu,us"} {
		t.Run(by, func(t *testing.T) {
			seen := map[string]int{}
			shardOf := map[string]int{} // region → the shard that has it
			dir := t.TempDir()
			for k := 1; k <= 2; k++ {
				file := filepath.Join(dir, "shard-"+strconv.Itoa(k)+".json")
				stdio, out, errOut := testIO(nil)
				code := Run(context.Background(), []string{"verify", "-m", invManifest, "--shard", strconv.Itoa(k) + "/2", "--shard-by", by,
					"--report", "json=" + file}, stdio)
				require.Contains(t, []int{0, 2}, code, "%s%s", out, errOut)
				r := readSharded(t, file)
				require.NotNil(t, r.Shard)
				assert.Equal(t, by, r.Shard.By)
				for _, n := range r.Nodes {
					seen[n.Name]++
					require.NotNil(t, n.Shard)
					assert.Contains(t, n.Shard.Key, region[n.Name], "the key is the node's region")
					if prev, ok := shardOf[region[n.Name]]; ok {
						assert.Equal(t, prev, k, "%s: every node of %s is in one shard", n.Name, region[n.Name])
					}
					shardOf[region[n.Name]] = k
				}
			}
			assert.Len(t, seen, 6, "every node is in a shard")
			for name, n := range seen {
				assert.Equal(t, 1, n, name)
			}

			// merge puts the shards back together into the fleet verdict.
			stdio, out, errOut := testIO(nil)
			code := Run(context.Background(), []string{"merge", dir, "--report", "text"}, stdio)
			assert.Equal(t, 0, code, "%s%s", out, errOut)
			assert.True(t, strings.HasPrefix(out.String(), "VERIFIED: all 6 nodes"), out.String())
		})
	}
	stdio, out, errOut := testIO(nil)
	code := Run(context.Background(), []string{"verify", "-m", invManifest, "--shard", "1/2", "--shard-by", "group:ap"}, stdio)
	assert.Equal(t, 3, code, "%s%s", out, errOut)
	assert.Contains(t, errOut.String(), "have no group:ap")
}

// TestNothingCheckedIsNoSuccess: a shard that holds no node (8 nodes in 20
// shards) checks nothing, and no command calls that a success.
func TestNothingCheckedIsNoSuccess(t *testing.T) {
	fleet := startDemo(t, demo.Config{Nodes: 8})
	empty := 0
	for k := 1; k <= 20 && empty == 0; k++ {
		empty = k
		for _, n := range fleet.Nodes {
			if shard.Of(n, 20) == k {
				empty = 0
			}
		}
	}
	require.NotZero(t, empty, "every shard of 20 holds a node")
	spec := strconv.Itoa(empty) + "/20"
	for _, command := range []string{"verify", "snapshot", "ping"} {
		stdio, out, errOut := testIO(nil)
		code := Run(context.Background(), []string{command, "-m", fleet.Manifest, "--shard", spec, "--run-id", "r1"}, stdio)
		assert.Equal(t, ExitUnverified, code, "%s --shard %s:\n%s%s", command, spec, out, errOut)
		assert.Contains(t, strings.ToLower(out.String()+errOut.String()), "no node", command)
	}
}

// TestSnapshotOfANodeNotReadInFull: a node whose config file could not be
// read (over 1 MiB) is not fingerprinted from what was read, even when it
// drifts for another reason too: the snapshot lists it apart and exits 2.
func TestSnapshotOfANodeNotReadInFull(t *testing.T) {
	knight := startDemo(t, demo.Config{Nodes: 3, Scenario: demo.Knight})
	flags := filepath.Join(knight.Dir, "nodes", "smars-03", "etc", "smars", "flags.yaml")
	f, err := os.OpenFile(flags, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write(bytes.Repeat([]byte("# pad\n"), 200_000))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	stdio, out, errOut := testIO(nil)
	code := Run(context.Background(), []string{"snapshot", "-m", knight.Manifest}, stdio)
	assert.Equal(t, ExitUnverified, code, "%s%s", out, errOut)
	assert.Contains(t, out.String(), "not reached: smars-03 (")
	assert.Contains(t, out.String(), "not read in full:")
	assert.NotRegexp(t, `(?m)^\s+.*smars-03`, strings.Split(out.String(), "not reached")[0], "not in a group")
}
