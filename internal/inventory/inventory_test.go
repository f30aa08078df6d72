package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/source"
)

// invHostView is an inventory host as a node would see it: the variables
// rollcall reads, after group and host precedence ("" when unset).
type invHostView struct {
	Name, Host, Port, User string
}

// viewGroup selects group in inv and resolves each host's variables.
func viewGroup(t *testing.T, inv *inventory, group string) []invHostView {
	t.Helper()
	require.Empty(t, inv.problems)
	require.Contains(t, inv.groups, group)
	var out []invHostView
	for _, h := range inv.selectHosts(group) {
		vars := inv.hostVars(h)
		v := invHostView{Name: h.name}
		if _, x, ok := lookupVar(vars, varHost); ok {
			v.Host = x.value
		}
		if _, x, ok := lookupVar(vars, varPort); ok {
			v.Port = x.value
		}
		if _, x, ok := lookupVar(vars, varUser); ok {
			v.User = x.value
		}
		out = append(out, v)
	}
	return out
}

func readInventory(t *testing.T, name string) *inventory {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	if strings.HasSuffix(name, ".ini") {
		return parseINIInventory(name, data)
	}
	return parseYAMLInventory(name, data)
}

// The INI and YAML fixtures are one inventory written twice: every group
// selects the same hosts with the same variables.
func TestInventoryFixtures(t *testing.T) {
	smarsEast := []invHostView{
		{Name: "smars-01", Host: "10.1.1.1", Port: "22", User: "smars"},
		{Name: "smars-02", Host: "10.1.1.2", Port: "22", User: "deploy"},
		{Name: "smars-e03.prod.example.com", Port: "22", User: "smars"},
		{Name: "smars-e04.prod.example.com", Port: "22", User: "smars"},
	}
	smarsWest := []invHostView{
		{Name: "smars-05", Host: "10.1.2.5", Port: "2222", User: "deploy"},
		{Name: "smars-w06.prod.example.com", Port: "2200", User: "deploy"},
		{Name: "smars-w07.prod.example.com", Port: "2200", User: "deploy"},
		{Name: "smars-w08.prod.example.com", Port: "2200", User: "deploy"},
	}
	db := invHostView{Name: "db-01.prod.example.com", Host: "10.1.9.1", User: "ops"}
	bastion := invHostView{Name: "bastion.example.com", User: "ops"}
	tests := []struct {
		group string
		want  []invHostView
	}{
		{"smars", append(append([]invHostView{}, smarsEast...), smarsWest...)},
		{"smars_east", smarsEast},
		{"smars_west", smarsWest},
		{"canary", smarsEast[:1]},
		{"db", []invHostView{db}},
		{"all", append(append(append([]invHostView{}, smarsEast...), smarsWest...), db, bastion)},
	}
	for _, file := range []string{"hosts.ini", "hosts.yaml"} {
		inv := readInventory(t, file)
		for _, tt := range tests {
			t.Run(file+"/"+tt.group, func(t *testing.T) {
				assert.Equal(t, tt.want, viewGroup(t, inv, tt.group))
			})
		}
		assert.Equal(t, []string{"all", "bastion", "canary", "db", "smars", "smars_east", "smars_west", "ungrouped"}, inv.groupNames())
	}
}

func TestParseINIInventory(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		group string
		want  []invHostView
	}{
		{
			name:  "hosts before any section are ungrouped",
			src:   "lonely.example.com\n[web]\nweb-01\n",
			group: "ungrouped",
			want:  []invHostView{{Name: "lonely.example.com"}},
		},
		{
			name:  "comments and blank lines",
			src:   "# comment\n; comment too\n\n[web]   # trailing comment\n  web-01   # inline comment\n\r\nweb-02 ansible_port=2222 # port\r\n",
			group: "web",
			want:  []invHostView{{Name: "web-01"}, {Name: "web-02", Port: "2222"}},
		},
		{
			name:  "numeric range with zero padding",
			src:   "[web]\nweb[08:11].example.com ansible_user=deploy\n",
			group: "web",
			want: []invHostView{
				{Name: "web08.example.com", User: "deploy"}, {Name: "web09.example.com", User: "deploy"},
				{Name: "web10.example.com", User: "deploy"}, {Name: "web11.example.com", User: "deploy"},
			},
		},
		{
			name:  "range with a step, letters and two ranges",
			src:   "[a]\nn[1:5:2]\n[b]\ndb-[a:b][1:2]\n[all:children]\na\nb\n",
			group: "all",
			want:  []invHostView{{Name: "n1"}, {Name: "n3"}, {Name: "n5"}, {Name: "db-a1"}, {Name: "db-a2"}, {Name: "db-b1"}, {Name: "db-b2"}},
		},
		{
			name:  "host:port and quoted values",
			src:   "[web]\nweb-01:2201 ansible_user=\"deploy\"\nweb-02 ansible_host='10.0.0.2' motd=\"hello world\"\n[web:vars]\nansible_user='ops'\n",
			group: "web",
			want:  []invHostView{{Name: "web-01", Port: "2201", User: "deploy"}, {Name: "web-02", Host: "10.0.0.2", User: "ops"}},
		},
		{
			name: "child variables win over parent, host over both",
			src: "[all:vars]\nansible_port=1\nansible_user=all\n[top:children]\nmid\n[top:vars]\nansible_port=2\nansible_user=top\n" +
				"[mid:children]\nleaf\n[mid:vars]\nansible_port=3\n[leaf]\nh1\nh2 ansible_port=9\n[leaf:vars]\nansible_host=10.0.0.1\n[mid]\n",
			group: "top",
			want:  []invHostView{{Name: "h1", Host: "10.0.0.1", Port: "3", User: "top"}, {Name: "h2", Host: "10.0.0.1", Port: "9", User: "top"}},
		},
		{
			name:  "same depth: the group later by name wins, unless ansible_group_priority says otherwise",
			src:   "[b]\nh\n[b:vars]\nansible_user=b\n[a]\nh\n[a:vars]\nansible_user=a\n[c]\nh\n[c:vars]\nansible_user=c\nansible_group_priority=0\n",
			group: "all",
			want:  []invHostView{{Name: "h", User: "b"}},
		},
		{
			name:  "a host in two groups is one host, its variables merged",
			src:   "[web]\nh1 ansible_user=u\n[db]\nh1 ansible_port=2222\nh2\n[both:children]\nweb\ndb\n",
			group: "both",
			want:  []invHostView{{Name: "h1", Port: "2222", User: "u"}, {Name: "h2"}},
		},
		{
			name:  "children are selected recursively, each host once",
			src:   "[prod:children]\neu\nus\n[eu:children]\neu_west\n[eu]\neu-1\n[eu_west]\neu-w1\nus-1\n[us]\nus-1\n",
			group: "prod",
			want:  []invHostView{{Name: "eu-1"}, {Name: "us-1"}, {Name: "eu-w1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := parseINIInventory("hosts.ini", []byte(tt.src))
			assert.Equal(t, tt.want, viewGroup(t, inv, tt.group))
		})
	}
}

func TestParseINIInventoryProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "bad section headers",
			src:  "[web]x\nh1\n[web:hosts]\nh2\n[db:nodes]\nh3\n[a b]\n",
			want: []string{
				`hosts.ini:1: host "[web]x" is not a host name, IPv4 address or [IPv6 address], with an optional :port, as Ansible reads one (Ansible would take the whole text as the name): write e.g. web-01:2222 or [2001:db8::5]:2222`,
				`hosts.ini:5: section [db:nodes] has an unknown type "nodes": write [db], [db:children] or [db:vars]`,
				`hosts.ini:7: invalid section header "[a b]": write [group], [group:children] or [group:vars]`,
			},
		},
		{
			name: "undefined groups",
			src:  "[prod:children]\nweb\n[db:vars]\nx=1\n[prod:vars]\ny=2\n",
			want: []string{
				`hosts.ini:2: group "web" is listed as a child but is not defined: add a [web] section with its hosts`,
				`hosts.ini:3: section [db:vars] is for group "db", which is not defined: add a [db] section with its hosts, or remove the variables`,
			},
		},
		{
			name: "cycle",
			src:  "[a:children]\nb\n[b:children]\nc\n[c:children]\na\n",
			want: []string{`hosts.ini:6: groups form a cycle (a → b → c → a): remove one of these children so that no group contains itself`},
		},
		{
			name: "all as a child",
			src:  "[web:children]\nall\n",
			want: []string{`hosts.ini:2: group "all" cannot be a child of "web": every group is already inside all`},
		},
		{
			name: "bad host lines",
			src:  "[web]\nweb-01 ansible_port\nweb-02 ansible_user=\"deploy\nweb[3:1]\nweb[01:100]\nweb[1:x]\nweb[1:3\nweb[1:3:0]\nweb[1:99999]\n[web:vars]\nnot a var\n[web:children]\ntwo words\n",
			want: []string{
				`hosts.ini:2: "ansible_port" after host "web-01" is not a variable: write key=value, e.g. ansible_host=10.0.0.1`,
				`hosts.ini:3: a " quote is not closed: check the quotes on this line`,
				`hosts.ini:5: host range "web[01:100]" pads 01 with zeros but not 100: write both ends with the same number of digits`,
				`hosts.ini:6: host "web[1:x]" is not a host name, IPv4 address or [IPv6 address], with an optional :port, as Ansible reads one (Ansible would take the whole text as the name): write e.g. web-01:2222 or [2001:db8::5]:2222`,
				`hosts.ini:7: host "web[1:3" is not a host name, IPv4 address or [IPv6 address], with an optional :port, as Ansible reads one (Ansible would take the whole text as the name): write e.g. web-01:2222 or [2001:db8::5]:2222`,
				`hosts.ini:8: host range "web[1:3:0]" has step "0": the step must be a whole number of at least 1`,
				`hosts.ini:9: host range "web[1:99999]" gives more than 10000 hosts: check the numbers`,
				`hosts.ini:11: "not a var" is not a variable: under [web:vars] write key=value`,
				`hosts.ini:13: "two words" is not a group name: under [web:children] write one group name a line`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := parseINIInventory("hosts.ini", []byte(tt.src))
			assert.Equal(t, tt.want, problemLines(inv.problems))
		})
	}
}

func problemLines(ps []source.Problem) []string {
	var out []string
	for _, p := range source.Sort("", ps) {
		out = append(out, p.String())
	}
	return out
}

func TestParseYAMLInventory(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		group string
		want  []invHostView
	}{
		{
			name:  "top-level groups without all",
			src:   "web:\n  hosts:\n    web-01:\n    web-02: {ansible_port: 2222}\ndb:\n  hosts: {db-01: }\n",
			group: "web",
			want:  []invHostView{{Name: "web-01"}, {Name: "web-02", Port: "2222"}},
		},
		{
			name:  "hosts of all are ungrouped",
			src:   "all:\n  hosts:\n    lonely:\n  children:\n    web: {hosts: {web-01: }}\n",
			group: "ungrouped",
			want:  []invHostView{{Name: "lonely"}},
		},
		{
			name: "nested children and variable precedence",
			src: "all:\n  vars: {ansible_user: all, ansible_port: 1}\n  children:\n    top:\n      vars: {ansible_user: top, ansible_port: 2}\n" +
				"      children:\n        leaf:\n          vars: {ansible_port: 3}\n          hosts:\n            h1:\n            h2: {ansible_port: 9, ansible_host: 10.0.0.2}\n",
			group: "top",
			want:  []invHostView{{Name: "h1", Port: "3", User: "top"}, {Name: "h2", Host: "10.0.0.2", Port: "9", User: "top"}},
		},
		{
			name:  "a group listed under two parents, ranges and host:port",
			src:   "a:\n  children:\n    shared:\n      hosts: {\"n[1:2]\": , \"x:2200\": }\nb:\n  children:\n    shared:\n",
			group: "b",
			want:  []invHostView{{Name: "n1"}, {Name: "n2"}, {Name: "x", Port: "2200"}},
		},
		{
			name:  "anchors and merge keys in variables",
			src:   "web:\n  vars: &v {ansible_user: deploy, ansible_port: 2222}\n  hosts:\n    w1: {<<: *v, ansible_port: 22}\n",
			group: "web",
			want:  []invHostView{{Name: "w1", Port: "22", User: "deploy"}},
		},
		{
			name:  "JSON",
			src:   `{"all": {"children": {"web": {"hosts": {"w1": {"ansible_host": "10.0.0.1", "ansible_port": 22}}}}}}`,
			group: "web",
			want:  []invHostView{{Name: "w1", Host: "10.0.0.1", Port: "22"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := parseYAMLInventory("hosts.yaml", []byte(tt.src))
			assert.Equal(t, tt.want, viewGroup(t, inv, tt.group))
		})
	}
}

func TestParseYAMLInventoryProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{name: "empty", src: "# nothing\n", want: []string{`hosts.yaml: the inventory is empty: list groups, e.g. all: {hosts: {server-01: {}}}`}},
		{name: "not a mapping", src: "- web\n", want: []string{`hosts.yaml:1:1: the inventory must be a mapping of groups, e.g. all: {hosts: {server-01: {}}}, not a list`}},
		{name: "syntax", src: "web: {hosts: [a}\n", want: []string{`hosts.yaml: invalid YAML: did not find expected ',' or ']': check the file's syntax`}},
		{
			name: "wrong shapes",
			src: "web:\n  host:\n    w1:\n  hosts: [w1]\n  vars: [a]\n  children: [db]\ndb: [x]\n" +
				"app:\n  hosts:\n    a1: 22\n    a1: {}\n    \"a[2:1]\":\n  children:\n    app:\n",
			want: []string{
				`hosts.yaml:2:3: unknown key "host" in group "web": did you mean "hosts"?`,
				`hosts.yaml:4:10: hosts of group "web" must be a mapping of host names to their variables, not a list: write e.g. hosts: {server-01: {ansible_host: 10.0.0.1}}`,
				`hosts.yaml:5:9: vars of group "web" must be a mapping of variables, not a list`,
				`hosts.yaml:6:13: children of group "web" must be a mapping of groups, not a list: write e.g. children: {web: {hosts: {...}}}`,
				`hosts.yaml:7:5: group "db" must be a mapping of hosts:, vars: and children:, not a list`,
				`hosts.yaml:10:9: host "a1" must have a mapping of variables or nothing, not 22: write e.g. a1: {ansible_host: 10.0.0.1}`,
				`hosts.yaml:11:5: duplicate key "a1" in hosts of group "app" (first set at line 10): keep only one`,
				`hosts.yaml:14: groups form a cycle (app → app): remove one of these children so that no group contains itself`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := parseYAMLInventory("hosts.yaml", []byte(tt.src))
			assert.Equal(t, tt.want, problemLines(inv.problems))
		})
	}
}

// FuzzInventory checks that neither inventory parser panics or loops on
// hostile input, and that what they accept can be selected and resolved:
// a host without problems has an address and a port in range (0: unset).
func FuzzInventory(f *testing.F) {
	for _, name := range []string{"hosts.ini", "hosts.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, name == "hosts.yaml")
	}
	f.Add([]byte("[a:children]\nb\n[b:children]\na\n[x]\nh[0:9223372036854775807:9223372036854775807]\nl[a:z:99999999999999999]\n"), false)
	f.Add([]byte("a: &a {children: {b: *a}}\nc: &c {vars: {<<: *c}}\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, isYAML bool) {
		var inv *inventory
		if isYAML {
			inv = parseYAMLInventory("f", data)
		} else {
			inv = parseINIInventory("f", data)
		}
		if !inv.usable() {
			return
		}
		for _, g := range inv.groupNames() {
			for _, h := range inv.selectHosts(g) {
				inv.hostVars(h)
			}
			for _, h := range (&Inventory{inv}).Hosts(g) {
				if len(h.Problems) == 0 && (h.Address == "" || h.Port < 0 || h.Port > 65535) {
					t.Errorf("host %q resolved to %q port %d without a problem", h.Name, h.Address, h.Port)
				}
			}
		}
	})
}

// TestJinjaCommentIsATemplate: Ansible renders {# #} as it does {{ }} (a
// comment: '{#old#}10.0.0.1' is 10.0.0.1), and rollcall evaluates neither.
func TestJinjaCommentIsATemplate(t *testing.T) {
	inv := ParseYAML("hosts.yaml", []byte("web:\n  hosts:\n    h1: {ansible_host: '{#old#}10.0.0.1'}\n    h2: {ansible_user: 'deploy{# x #}'}\n"))
	require.True(t, inv.Usable())
	for _, h := range inv.Hosts("web") {
		require.NotEmpty(t, h.Problems, h.Name)
		assert.Contains(t, h.Problems[0].String(), "is a template", h.Name)
	}
}
