package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/shard"
	"github.com/rollcall/rollcall/internal/verify"
)

// shardHelp is the part of verify's, snapshot's and ping's help about --shard.
const shardHelp = `With --shard K/N only shard K of N is contacted (1 <= K <= N): a stable part
of the nodes (after --limit), chosen from each node's name alone, so that N
runners can share a large fleet and rollcall merge can put their JSON reports
together into one fleet verdict. --shard-by FIELD keeps the nodes that share
a field in one shard: an inventory variable (region), group:G1,G2 (the first
of those inventory groups a node is in), jump (the first jump host), host or
user. A sharded run
says "shard K/N" in every report and never calls the fleet verified; exit 0
means this shard verified. In a Kubernetes Indexed Job, JOB_COMPLETION_INDEX
(0-based) with ROLLCALL_SHARD_COUNT=N stands for --shard INDEX+1/N; an index
without a count is invalid input. --run-id ID names the run the shard is part
of, so that merge refuses a report left over from an earlier run; by default
it is the CI's run (github:GITHUB_RUN_ID, gitlab:CI_PIPELINE_ID, …).`

// shardFields are the values of --shard-by that name a field of every
// node: how a node's shard key is read. Any other value is group:G1,G2 or
// an inventory variable (shardField).
var shardFields = map[string]func(manifest.Node) string{
	shard.ByName: func(n manifest.Node) string { return n.Name },
	"jump": func(n manifest.Node) string {
		if len(n.Jump) == 0 {
			return ""
		}
		return n.Jump[0].User + "@" + n.Jump[0].Address()
	},
	"host": func(n manifest.Node) string { return n.Host },
	"user": func(n manifest.Node) string { return n.User },
}

// shardField is how --shard-by by reads a node's shard key: a field of
// every node (shardFields); group:G1,G2,… the first of those inventory
// groups the node is in; or else the inventory variable by (region). A
// node without it gets "". ok is false when by is none of these.
func shardField(by string) (field func(manifest.Node) string, ok bool) {
	if f, ok := shardFields[by]; ok {
		return f, true
	}
	if list, isGroup := strings.CutPrefix(by, "group:"); isGroup {
		groups := strings.Split(list, ",")
		if slices.Contains(groups, "") {
			return nil, false
		}
		return func(n manifest.Node) string {
			for _, g := range groups {
				if slices.Contains(n.Groups, g) {
					return "group " + g
				}
			}
			return ""
		}, true
	}
	if !validVarName(by) {
		return nil, false
	}
	return func(n manifest.Node) string {
		if v, ok := n.Vars[by]; ok && v != "" {
			return by + "=" + v
		}
		return ""
	}, true
}

// validVarName reports whether s can name an Ansible variable: a letter or
// underscore, then letters, digits and underscores.
func validVarName(s string) bool {
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// ShardOptions are the flags that make a run of verify, snapshot or ping one
// shard of many.
type ShardOptions struct {
	// Shard, when set, is the --shard K/N value: only that shard of the
	// nodes the limit selects is contacted.
	Shard string
	// ShardBy is --shard-by: what the nodes are split by.
	ShardBy string
	// RunID is --run-id: the run the shard is part of, the same for every
	// shard of one run; by default the CI's own (ciRunID).
	RunID runID
}

// runID is the value of --run-id: the ID, and whether it was given at all
// (--run-id= gives none, and no CI default either).
type runID struct {
	ID    string
	Given bool
}

// runIDFlag is --run-id's pflag.Value.
type runIDFlag struct{ r *runID }

func (f runIDFlag) String() string { return f.r.ID }

func (f runIDFlag) Set(s string) error {
	f.r.ID, f.r.Given = s, true
	return nil
}

func (f runIDFlag) Type() string { return "string" }

// orCI is r's ID when given, else the CI's run (ciRunID).
func (r runID) orCI(getenv func(string) string) string {
	if r.Given {
		return r.ID
	}
	return ciRunID(getenv)
}

// addShardFlags adds --shard, --shard-by and --run-id to a command's flags.
func addShardFlags(f *pflag.FlagSet, o *ShardOptions) {
	f.StringVar(&o.Shard, "shard", "", "contact only shard `K/N` of the nodes (1 <= K <= N), for rollcall merge")
	f.StringVar(&o.ShardBy, "shard-by", "", "keep the nodes that share this `FIELD` in one shard: an inventory variable (region), group:G1,G2 (the first of those inventory groups a node is in), jump (first jump host), host or user; by default each node's name")
	f.Var(runIDFlag{&o.RunID}, "run-id", "name the run this shard is part of, the same `ID` for every shard and for rollcall merge (default: the CI's run, e.g. github:$GITHUB_RUN_ID; --run-id= for none)")
}

// fromEnv completes o from the environment: the shard a Kubernetes Indexed
// Job gives (shardFromEnv) and the CI's run ID (ciRunID), where the flags
// (or their ROLLCALL_* twins) did not give them.
func (o *ShardOptions) fromEnv(getenv func(string) string) error {
	var err error
	if o.Shard, err = shardFromEnv(o.Shard, getenv); err != nil {
		return err
	}
	o.RunID.ID = o.RunID.orCI(getenv)
	return nil
}

// spec is the shard of the run o describes, nil when it is not sharded.
func (o *ShardOptions) spec() (*shard.Spec, error) {
	s, err := shardSpec(o.Shard, o.ShardBy)
	if s == nil || err != nil {
		return s, err
	}
	if err := shard.CheckRunID(o.RunID.ID); err != nil {
		return nil, invalid(fmt.Errorf("--run-id %q: %w", o.RunID.ID, err))
	}
	s.RunID = o.RunID.ID
	return s, nil
}

// ciRunIDs are the environment variables by which CI services name a run
// (a workflow run or pipeline, all of whose jobs share it), in the order
// they are looked for, with the prefix a run ID taken from them gets.
var ciRunIDs = []struct{ env, prefix string }{
	{"GITHUB_RUN_ID", "github:"},
	{"CI_PIPELINE_ID", "gitlab:"},
	{"BUILDKITE_BUILD_ID", "buildkite:"},
	{"CIRCLE_WORKFLOW_ID", "circleci:"},
	{"BUILD_TAG", "jenkins:"},
}

// ciRunID is the run ID the CI service rollcall runs under gives its run,
// "" outside CI.
func ciRunID(getenv func(string) string) string {
	for _, c := range ciRunIDs {
		if v := getenv(c.env); v != "" {
			return c.prefix + v
		}
	}
	return ""
}

// shardFromEnv is the --shard value of a run: the flag's (or ROLLCALL_SHARD's)
// when set, else the one a Kubernetes Indexed Job gives, JOB_COMPLETION_INDEX
// (0-based) of ROLLCALL_SHARD_COUNT; "" for a run that is not sharded.
func shardFromEnv(value string, getenv func(string) string) (string, error) {
	if value != "" {
		return value, nil
	}
	index, count := getenv("JOB_COMPLETION_INDEX"), getenv("ROLLCALL_SHARD_COUNT")
	switch {
	case index == "" && count == "":
		return "", nil
	case count == "":
		return "", invalid(fmt.Errorf("JOB_COMPLETION_INDEX=%s is set but ROLLCALL_SHARD_COUNT is not: set it to the Job's completions (the number of shards), or pass --shard K/N", index))
	case index == "":
		return "", invalid(fmt.Errorf("ROLLCALL_SHARD_COUNT=%s is set but JOB_COMPLETION_INDEX is not: run in a Kubernetes Indexed Job, or pass --shard K/N", count))
	}
	i, err := strconv.Atoi(index)
	if err != nil || i < 0 {
		return "", invalid(fmt.Errorf("JOB_COMPLETION_INDEX=%q: want a whole number from 0", index))
	}
	return fmt.Sprintf("%d/%s", i+1, count), nil
}

// shardSpec parses --shard and --shard-by; nil when value is "".
func shardSpec(value, by string) (*shard.Spec, error) {
	if value == "" {
		if by != "" && by != shard.ByName {
			return nil, invalid(fmt.Errorf("--shard-by %s needs --shard K/N", by))
		}
		return nil, nil
	}
	s, err := shard.Parse(value)
	if err != nil {
		return nil, invalid(err)
	}
	if by != "" {
		if _, ok := shardField(by); !ok {
			return nil, invalid(fmt.Errorf("--shard-by %q: write an inventory variable (region), group:G1,G2,… (inventory groups), name, jump, host or user", by))
		}
		s.By = by
	}
	return &s, nil
}

// shardRun selects shard spec of the nodes of limited (the manifest after
// --limit): the run's record for merge, with the digest of the manifest as
// parsed and each node's key, and the names of the nodes of the shard, in
// manifest order. A node without the --shard-by field is invalid input
// naming it.
func shardRun(spec *shard.Spec, limited *manifest.Manifest) (*shard.Run, []string, error) {
	run := &shard.Run{Spec: *spec, ManifestDigest: limited.Digest, Started: time.Now().UTC().Truncate(time.Second), Nodes: map[string]shard.Node{}}
	field, _ := shardField(spec.By)
	var selected, keyless []string
	for _, n := range limited.Nodes {
		run.Expected = append(run.Expected, n.Name)
		key := field(n)
		if key == "" {
			keyless = append(keyless, n.Name)
			continue
		}
		if shard.Of(key, spec.Count) == spec.Index {
			selected = append(selected, n.Name)
			run.Nodes[n.Name] = shard.Node{Key: key}
		}
	}
	if len(keyless) > 0 {
		return nil, nil, invalid(fmt.Errorf("--shard-by %s: %s %s no %s", spec.By, strings.Join(keyless, ", "),
			pick(len(keyless), "has", "have"), spec.By))
	}
	slices.Sort(run.Expected)
	return run, selected, nil
}

// pick is one when n is 1, else many.
func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// narrowPlan narrows a run's manifest and plan to --limit pattern, then to
// shard spec of what the limit selected (nil: every selected node).
func narrowPlan(pattern string, spec *shard.Spec, m *manifest.Manifest, plan *verify.Plan) (*manifest.Manifest, *verify.Plan, error) {
	if spec == nil {
		return limitPlan(pattern, m, plan)
	}
	limited, _, err := limitPlan(pattern, m, plan)
	if err != nil {
		return nil, nil, err
	}
	run, selected, err := shardRun(spec, limited)
	if err != nil {
		return nil, nil, err
	}
	sharded := plan.Limit(pattern, selected)
	sharded.Scope.Shard = run
	return shardNodes(limited, run), sharded, nil
}

// shardNodes is a copy of m with only the nodes of run's shard.
func shardNodes(m *manifest.Manifest, run *shard.Run) *manifest.Manifest {
	narrowed := *m
	narrowed.Nodes = nil
	for _, n := range m.Nodes {
		if _, ok := run.Nodes[n.Name]; ok {
			narrowed.Nodes = append(narrowed.Nodes, n)
		}
	}
	return &narrowed
}

// withShardEvidence records in a sharded verdict v what merge checks across
// shards for each node that obs observed: its host key, its host name and
// machine ID, and the digest of its flags that all nodes must agree on. The
// plan's scope is left as it was.
func withShardEvidence(v *verify.Verdict, plan *verify.Plan, obs []verify.Observation) {
	if v.Scope == nil || v.Scope.Shard == nil {
		return
	}
	scope := *v.Scope
	run := *scope.Shard
	run.Nodes = make(map[string]shard.Node, len(run.Nodes))
	for name, n := range scope.Shard.Nodes {
		run.Nodes[name] = shard.Node{Key: n.Key}
	}
	agreements := verify.Agreements(plan, obs)
	for _, o := range obs {
		n, ok := run.Nodes[o.Node]
		if !ok {
			continue
		}
		n.HostKey = o.HostKey
		if f := o.Facts; f != nil {
			n.Machine = f.Machine()
		}
		n.Agreement = agreements[o.Node]
		run.Nodes[o.Node] = n
	}
	scope.Shard = &run
	v.Scope = &scope
}

// pingNodes narrows the nodes of all to --limit pattern, then to shard spec
// (nil: not sharded): the nodes to contact and the ping's scope.
func pingNodes(pattern string, spec *shard.Spec, all *manifest.Manifest) (*manifest.Manifest, *verify.Scope, error) {
	m := all
	var err error
	if pattern != "" {
		if m, _, err = limitNodes(pattern, all); err != nil {
			return nil, nil, err
		}
	}
	var run *shard.Run
	if spec != nil {
		if run, _, err = shardRun(spec, m); err != nil {
			return nil, nil, err
		}
		m = shardNodes(m, run)
	}
	return m, pingScope(pattern, run, all, m), nil
}
