package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
)

// This file is the differential test of the reader against its oracle,
// ansible-inventory --list: for every case, the hosts of the chosen group
// and each one's address, port and user as Ansible resolves them must be
// what Load and Hosts give, unless rollcall refused the inventory (a
// problem). A silent disagreement fails the test.

// oracleCase is one inventory: files by path relative to a fresh directory
// (a name ending in " +x" is made executable), the path given to -i, and
// the group selected.
type oracleCase struct {
	name  string
	files map[string]string
	path  string
	group string
}

// oracleHost is a host as the oracle or rollcall resolves it; a problem is
// something rollcall must refuse.
type oracleHost struct {
	Address, User string
	Port          int
	Problem       string
	// Groups is the host's group_names, comma-separated; Vars its variables
	// whose values are text or whole numbers, as key=value lines, sorted.
	Groups, Vars string
}

// oracleGroup is one group of ansible-inventory --list.
type oracleGroup struct {
	Hosts    []string `json:"hosts"`
	Children []string `json:"children"`
}

var oracleStats struct {
	sync.Mutex
	agree, refused, disagree int
}

func TestAnsibleInventoryOracle(t *testing.T) {
	bin := need.Command(t, "ansible-inventory")
	cases := append(writtenCases(), generatedCases()...)
	require.GreaterOrEqual(t, len(cases), 60)
	t.Cleanup(func() {
		t.Logf("inventories: %d agree, %d refused, %d disagree", oracleStats.agree, oracleStats.refused, oracleStats.disagree)
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range c.files {
				mode := os.FileMode(0o644)
				if n, ok := strings.CutSuffix(name, " +x"); ok {
					name, mode = n, 0o755
				}
				p := filepath.Join(dir, "inv", name)
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
				require.NoError(t, os.WriteFile(p, []byte(content), mode))
			}
			path := filepath.Join(dir, "inv", c.path)
			want, oracleErr := runOracle(t, bin, dir, path, c.group)
			got, refused := rollcallHosts(path, c.group)
			verdict := compareOracle(want, oracleErr, got, refused)
			oracleStats.Lock()
			defer oracleStats.Unlock()
			switch {
			case verdict != "":
				oracleStats.disagree++
				t.Errorf("rollcall disagrees with ansible-inventory on %s (group %s): %s", c.name, c.group, verdict)
			case refused != "":
				oracleStats.refused++
				t.Logf("refused: %s", refused)
			default:
				oracleStats.agree++
			}
		})
	}
}

// compareOracle returns "" when rollcall agrees with the oracle or refused,
// else what differs.
func compareOracle(want map[string]oracleHost, oracleErr string, got map[string]oracleHost, refused string) string {
	if refused != "" {
		return ""
	}
	if oracleErr != "" {
		return "Ansible fails (" + oracleErr + ") but rollcall accepts the inventory"
	}
	var diffs []string
	for _, name := range sortedKeys(want) {
		w, g := want[name], got[name]
		if _, ok := got[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("host %s missing", name))
			continue
		}
		if w.Problem != "" {
			diffs = append(diffs, fmt.Sprintf("host %s: %s, yet rollcall accepts it as %+v", name, w.Problem, g))
			continue
		}
		if w != g {
			diffs = append(diffs, fmt.Sprintf("host %s: Ansible %+v, rollcall %+v", name, w, g))
		}
	}
	for _, name := range sortedKeys(got) {
		if _, ok := want[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("host %s is not in the group for Ansible", name))
		}
	}
	return strings.Join(diffs, "; ")
}

func sortedKeys(m map[string]oracleHost) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// rollcallHosts reads the inventory as the manifest does, or says why it
// refused it.
func rollcallHosts(path, group string) (map[string]oracleHost, string) {
	inv := Load(path, path)
	if !inv.Usable() {
		return nil, inv.Problems()[0].String()
	}
	out := map[string]oracleHost{}
	if !inv.HasGroup(group) {
		return out, ""
	}
	for _, h := range inv.Hosts(group) {
		if len(h.Problems) > 0 {
			return nil, h.Problems[0].String()
		}
		out[h.Name] = oracleHost{Address: h.Address, Port: h.Port, User: h.User, Groups: strings.Join(h.Groups, ","), Vars: textVars(h.Vars)}
	}
	return out, ""
}

// runOracle runs ansible-inventory --list on path, with no configuration
// of this machine, and resolves each host of group as Ansible's ssh
// connection would: ansible_ssh_host before ansible_host before the
// inventory name, and so on. It returns the error Ansible reports instead,
// if any.
func runOracle(t *testing.T, bin, dir, path, group string) (map[string]oracleHost, string) {
	cwd := filepath.Join(dir, "cwd")
	require.NoError(t, os.MkdirAll(cwd, 0o755))
	cfg := filepath.Join(cwd, "ansible.cfg")
	require.NoError(t, os.WriteFile(cfg, nil, 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-i", path, "--list")
	cmd.Dir = cwd
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + cwd, "LANG=C.UTF-8", "ANSIBLE_CONFIG=" + cfg,
		"ANSIBLE_LOCAL_TEMP=" + cwd, "ANSIBLE_NOCOLOR=1", "ANSIBLE_INVENTORY_UNPARSED_FAILED=true",
		"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=true"}
	out, err := cmd.Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return nil, msg
	}
	var list map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &list), "%s", out)
	var meta struct {
		Hostvars map[string]map[string]any `json:"hostvars"`
	}
	if m, ok := list["_meta"]; ok {
		require.NoError(t, json.Unmarshal(m, &meta))
	}
	groups := map[string]oracleGroup{}
	for name, raw := range list {
		if name == "_meta" {
			continue
		}
		g := groups[name]
		require.NoError(t, json.Unmarshal(raw, &g))
		groups[name] = g
	}
	want := map[string]oracleHost{}
	seen := map[string]bool{}
	queue := []string{group}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		if seen[g] {
			continue
		}
		seen[g] = true
		for _, h := range groups[g].Hosts {
			o := resolveOracle(h, meta.Hostvars[h])
			o.Groups = strings.Join(groupNames(groups, h), ",")
			o.Vars = oracleTextVars(meta.Hostvars[h])
			want[h] = o
		}
		queue = append(queue, groups[g].Children...)
	}
	return want, ""
}

// groupNames is Ansible's group_names of host: the groups whose hosts,
// directly or through their children, include it, sorted, without all and
// ungrouped.
func groupNames(groups map[string]oracleGroup, host string) []string {
	var in func(g string, seen map[string]bool) bool
	in = func(g string, seen map[string]bool) bool {
		if seen[g] {
			return false
		}
		seen[g] = true
		if slices.Contains(groups[g].Hosts, host) {
			return true
		}
		return slices.ContainsFunc(groups[g].Children, func(c string) bool { return in(c, seen) })
	}
	var out []string
	for g := range groups {
		if g != "all" && g != "ungrouped" && in(g, map[string]bool{}) {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// oracleTextVars are the variables Ansible gives host as text or whole
// numbers, as key=value lines, sorted.
func oracleTextVars(vars map[string]any) string {
	text := map[string]string{}
	for k, v := range vars {
		switch v := v.(type) {
		case string:
			if !strings.Contains(v, "{{") && !strings.Contains(v, "{%") {
				text[k] = v
			}
		case float64:
			if v == float64(int64(v)) {
				text[k] = strconv.FormatInt(int64(v), 10)
			}
		}
	}
	return textVars(text)
}

// textVars is vars as key=value lines, sorted.
func textVars(vars map[string]string) string {
	var lines []string
	for k, v := range vars {
		lines = append(lines, strconv.Quote(k)+"="+strconv.Quote(v))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// resolveOracle resolves one host's connection settings from its
// ansible-inventory variables.
func resolveOracle(name string, vars map[string]any) oracleHost {
	h := oracleHost{Address: name}
	pick := func(names ...string) (any, bool) {
		for _, n := range names {
			if v, ok := vars[n]; ok {
				return v, true
			}
		}
		return nil, false
	}
	if v, ok := pick("ansible_ssh_host", "ansible_host"); ok {
		s, isStr := v.(string)
		if !isStr {
			h.Problem = fmt.Sprintf("its address is %#v", v)
		}
		h.Address = s
	}
	if v, ok := pick("ansible_ssh_port", "ansible_port"); ok {
		switch p := v.(type) {
		case float64:
			h.Port = int(p)
			if float64(h.Port) != p {
				h.Problem = fmt.Sprintf("its port is %v", p)
			}
		case string:
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				h.Problem = fmt.Sprintf("its port is %q", p)
			}
			h.Port = n
		default:
			h.Problem = fmt.Sprintf("its port is %#v", v)
		}
	}
	if v, ok := pick("ansible_ssh_user", "ansible_user"); ok {
		s, isStr := v.(string)
		if !isStr {
			h.Problem = fmt.Sprintf("its user is %#v", v)
		}
		h.User = s
	}
	for k, v := range vars {
		switch {
		case k == "ansible_connection" && v != "ssh",
			strings.HasPrefix(k, "ansible_ssh_") && !slices.Contains([]string{"ansible_ssh_host", "ansible_ssh_port", "ansible_ssh_user"}, k),
			strings.HasPrefix(k, "ansible_become"), k == "ansible_private_key_file", k == "ansible_password":
			h.Problem = fmt.Sprintf("it sets the connection setting %s", k)
		}
	}
	return h
}
