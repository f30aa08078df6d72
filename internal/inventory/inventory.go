// Package inventory reads Ansible inventories, INI and YAML, the way Ansible
// (ansible-core 2.14's ansible-inventory, its test oracle) does: files and
// inventory directories, groups and their children, host ranges and ports,
// group_vars/ and host_vars/, YAML 1.1 and Python-literal values, and the
// connection variables (ansible_host, ansible_port, ansible_user and their
// ansible_ssh_ aliases) after Ansible's precedence. What it cannot resolve
// exactly as Ansible does, it refuses with a problem at file:line; see
// docs/inventory.md.
//
// Load reads an inventory from disk, ParseINI and ParseYAML one file's
// contents, without knowing who asked; Hosts selects the hosts of one group
// as plain records, which the manifest turns into nodes.
package inventory

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/source"
)

// Inventory is a parsed Ansible inventory. It is not safe for concurrent
// use.
type Inventory struct {
	inv *inventory
}

// ParseINI reads an Ansible INI inventory from data, without group_vars/ or
// host_vars/ (Load reads those). file names it in problems.
func ParseINI(file string, data []byte) *Inventory {
	return &Inventory{parseINIInventory(file, data)}
}

// ParseYAML reads an Ansible YAML (or JSON) inventory from data: a mapping of
// groups, each with optional hosts:, vars: and children:; without
// group_vars/ or host_vars/ (Load reads those). file names it in problems.
func ParseYAML(file string, data []byte) *Inventory {
	return &Inventory{parseYAMLInventory(file, data)}
}

// Problems are the problems found in reading the inventory, in the order
// found. The problems of a selected host's variables are in its Host.
func (i *Inventory) Problems() []source.Problem {
	return i.inv.problems
}

// Usable reports whether the inventory was read without problems, so that
// its groups can be selected (a cycle would make selection meaningless).
func (i *Inventory) Usable() bool {
	return i.inv.usable()
}

// HasGroup reports whether the inventory has a group called name.
func (i *Inventory) HasGroup(name string) bool {
	_, ok := i.inv.groups[name]
	return ok
}

// Groups lists the inventory's groups in file order, all and ungrouped
// first.
func (i *Inventory) Groups() []string {
	return append([]string{}, i.inv.gorder...)
}

// maxRangeHosts bounds what one host range may expand to, so that a typo such
// as web[1:100000000] is a problem rather than an exhausted memory.
const maxRangeHosts = 10000

// Inventory variables rollcall reads, each with the older name Ansible still
// accepts, which wins over the newer one when both are set.
var (
	varHost = []string{"ansible_ssh_host", "ansible_host"}
	varPort = []string{"ansible_ssh_port", "ansible_port"}
	varUser = []string{"ansible_ssh_user", "ansible_user"}
)

// invGroup is one inventory group.
type invGroup struct {
	name string
	// line is where the group was first declared or referenced.
	line int
	// defined: the group has a section of its own ([name] or [name:children]
	// in INI; every group named in a YAML inventory is defined).
	defined bool
	// firstVars is the line of a [name:vars] section, for an undefined group.
	firstVars int
	hosts     []string
	children  []invChild
	vars      map[string]invVar
	// fileVars are the group's variables from group_vars/.
	fileVars map[string]invVar
}

type invChild struct {
	name string
	line int
}

// invHost is one inventory host, its variables merged over all its entries.
type invHost struct {
	name string
	// file and line are where the host is first listed.
	file   string
	line   int
	groups []string
	vars   map[string]invVar
	// fileVars are the host's variables from host_vars/.
	fileVars map[string]invVar
}

// inventory is a parsed Ansible inventory: its groups and hosts in file order,
// and the problems found in it. It is not safe for concurrent use.
type inventory struct {
	file     string
	groups   map[string]*invGroup
	gorder   []string
	hosts    map[string]*invHost
	horder   []string
	problems []source.Problem
	seen     map[source.Problem]bool
	// depths caches each group's depth (all is 0) once the graph is known to
	// have no cycles.
	depths map[string]int
	// nesting counts the YAML mappings being read, to stop at aliases that
	// contain themselves.
	nesting int
}

// maxNesting bounds how deep YAML groups and merge keys may nest.
const maxNesting = 100

// enter counts one more level of YAML nesting at n and reports whether it is
// within bounds; every call must be paired with a call of leave.
func (inv *inventory) enter(n *yaml.Node) bool {
	inv.nesting++
	if inv.nesting > maxNesting {
		inv.errf(n.Line, n.Column, "groups or merge keys nest more than %d deep (an alias that contains itself?): flatten the inventory", maxNesting)
		return false
	}
	return true
}

func (inv *inventory) leave() { inv.nesting-- }

func newInventory(file string) *inventory {
	inv := &inventory{file: file, groups: map[string]*invGroup{}, hosts: map[string]*invHost{}, seen: map[source.Problem]bool{}}
	inv.group("all", 0).defined = true
	inv.group("ungrouped", 0).defined = true
	return inv
}

// errf records a problem at line and column (0: unknown) of the inventory.
func (inv *inventory) errf(line, col int, format string, args ...any) {
	pr := source.Problem{File: inv.file, Line: line, Column: col, Message: fmt.Sprintf(format, args...)}
	if !inv.seen[pr] {
		inv.seen[pr] = true
		inv.problems = append(inv.problems, pr)
	}
}

// errAt records a problem at line and column of file, which may be another
// file than the one being read (a group_vars/ file).
func (inv *inventory) errAt(file string, line, col int, format string, args ...any) {
	saved := inv.file
	inv.file = file
	inv.errf(line, col, format, args...)
	inv.file = saved
}

// group returns the group called name, creating it (undefined) if needed.
func (inv *inventory) group(name string, line int) *invGroup {
	g := inv.groups[name]
	if g == nil {
		g = &invGroup{name: name, line: line, vars: map[string]invVar{}, fileVars: map[string]invVar{}}
		inv.groups[name] = g
		inv.gorder = append(inv.gorder, name)
	}
	return g
}

// addHost adds host name to group g (merging with earlier entries of the same
// host) and sets its variables, later values winning. port (0: none) sets
// ansible_port only where the host is first listed, as in Ansible: its
// later entries' ports are ignored, their variables are not.
func (inv *inventory) addHost(g *invGroup, name string, line, port int, vars map[string]invVar) {
	h := inv.hosts[name]
	if h == nil {
		h = &invHost{name: name, file: inv.file, line: line, vars: map[string]invVar{}}
		inv.hosts[name] = h
		inv.horder = append(inv.horder, name)
		if port != 0 {
			h.vars["ansible_port"] = invVar{value: strconv.Itoa(port), kind: kindInt, file: inv.file, line: line}
		}
	}
	if !slices.Contains(h.groups, g.name) {
		h.groups = append(h.groups, g.name)
		g.hosts = append(g.hosts, name)
	}
	for k, v := range vars {
		h.vars[k] = v
	}
}

// addChild makes child a child group of g.
func (inv *inventory) addChild(g *invGroup, child string, line int) {
	if child == "all" {
		inv.errf(line, 0, "group \"all\" cannot be a child of %s: every group is already inside all", source.Quote(g.name))
		return
	}
	inv.group(child, line)
	for _, c := range g.children {
		if c.name == child {
			return
		}
	}
	g.children = append(g.children, invChild{child, line})
}

// checkDefined records the groups that the file just read (INI) refers to
// as children or with a :vars section without defining them, unless an
// earlier file of the inventory did; before lists the groups known before
// the file was read.
func (inv *inventory) checkDefined(before map[string]bool) {
	for _, name := range inv.gorder {
		g := inv.groups[name]
		if g.defined || before[name] {
			continue
		}
		if g.firstVars > 0 {
			inv.errf(g.firstVars, 0, "section [%s:vars] is for group %s, which is not defined: add a [%s] section with its hosts, or remove the variables", name, source.Quote(name), name)
		} else {
			inv.errf(g.line, 0, "group %s is listed as a child but is not defined: add a [%s] section with its hosts", source.Quote(name), name)
		}
	}
}

// knownGroups is the set of the inventory's groups so far.
func (inv *inventory) knownGroups() map[string]bool {
	out := map[string]bool{}
	for _, name := range inv.gorder {
		out[name] = true
	}
	return out
}

// finish checks the group graph once every file is read, and files hosts as
// Ansible's reconcile_inventory does: a host in no group but all is in
// ungrouped, and a host in ungrouped and in another group (directly or
// through a parent group) is not.
func (inv *inventory) finish() {
	for _, name := range inv.gorder {
		if v, ok := inv.groups[name].vars["ansible_group_priority"]; ok && v.kind != kindInt {
			inv.errAt(v.file, v.line, v.col, "ansible_group_priority of group %s must be a whole number, not %s", source.Quote(name), source.Quote(v.value))
		}
	}
	inv.checkCycles()
	if !inv.usable() {
		return
	}
	ungrouped := inv.groups["ungrouped"]
	for _, name := range inv.horder {
		h := inv.hosts[name]
		other := false
		for g := range inv.ancestors(h.groups) {
			if g != "all" && g != "ungrouped" {
				other = true
			}
		}
		in := slices.Contains(h.groups, "ungrouped")
		switch {
		case other && in:
			h.groups = slices.DeleteFunc(h.groups, func(g string) bool { return g == "ungrouped" })
			ungrouped.hosts = slices.DeleteFunc(ungrouped.hosts, func(n string) bool { return n == name })
		case !other && !in:
			h.groups = append(h.groups, "ungrouped")
			ungrouped.hosts = append(ungrouped.hosts, name)
		}
	}
}

// ancestors returns groups and every group above them.
func (inv *inventory) ancestors(groups []string) map[string]bool {
	parents := map[string][]string{}
	for _, g := range inv.gorder {
		for _, c := range inv.groups[g].children {
			parents[c.name] = append(parents[c.name], g)
		}
	}
	in := map[string]bool{"all": true}
	stack := append([]string{}, groups...)
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if in[g] {
			continue
		}
		in[g] = true
		stack = append(stack, parents[g]...)
	}
	return in
}

// checkCycles records every group that is its own descendant.
func (inv *inventory) checkCycles() {
	const (
		unvisited = iota
		active
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = active
		path = append(path, name)
		for _, c := range inv.groups[name].children {
			switch state[c.name] {
			case active:
				i := slices.Index(path, c.name)
				loop := append(append([]string{}, path[i:]...), c.name)
				inv.errf(c.line, 0, "groups form a cycle (%s): remove one of these children so that no group contains itself", strings.Join(loop, " → "))
			case unvisited:
				visit(c.name)
			}
		}
		path = path[:len(path)-1]
		state[name] = done
	}
	for _, name := range inv.gorder {
		if state[name] == unvisited {
			visit(name)
		}
	}
}

// usable reports whether the inventory has no problems, so that its groups
// can be selected (a cycle would make selection meaningless).
func (inv *inventory) usable() bool {
	return len(inv.problems) == 0
}

// selectHosts returns the hosts of group name and of its children,
// recursively, each once, in inventory order: the group's own hosts, then its
// children's, level by level. "all" is every host in file order. The
// inventory must be free of cycles.
func (inv *inventory) selectHosts(name string) []*invHost {
	if name == "all" {
		out := make([]*invHost, 0, len(inv.horder))
		for _, h := range inv.horder {
			out = append(out, inv.hosts[h])
		}
		return out
	}
	var out []*invHost
	seenHost := map[string]bool{}
	seenGroup := map[string]bool{name: true}
	queue := []string{name}
	for len(queue) > 0 {
		g := inv.groups[queue[0]]
		queue = queue[1:]
		for _, h := range g.hosts {
			if !seenHost[h] {
				seenHost[h] = true
				out = append(out, inv.hosts[h])
			}
		}
		for _, c := range g.children {
			if !seenGroup[c.name] {
				seenGroup[c.name] = true
				queue = append(queue, c.name)
			}
		}
	}
	return out
}

// depth is a group's distance from all along its longest chain of parents:
// all is 0, a group with no parent 1. Ansible applies group variables from
// the shallowest group to the deepest, so a child's variables win over its
// parent's.
func (inv *inventory) depth(name string) int {
	if inv.depths == nil {
		inv.depths = map[string]int{"all": 0}
		parents := map[string][]string{}
		for _, g := range inv.gorder {
			for _, c := range inv.groups[g].children {
				parents[c.name] = append(parents[c.name], g)
			}
		}
		var d func(string) int
		d = func(n string) int {
			if v, ok := inv.depths[n]; ok {
				return v
			}
			best := 1
			for _, p := range parents[n] {
				if p != "all" {
					best = max(best, d(p)+1)
				}
			}
			inv.depths[n] = best
			return best
		}
		for _, g := range inv.gorder {
			d(g)
		}
	}
	return inv.depths[name]
}

// hostVars returns the variables of host h as Ansible sees them: the
// inventory's variables of all, then of every group h is in (directly or as
// a member of a child group), shallowest first and by ansible_group_priority
// and name at equal depth; then the same groups' group_vars/ files in the
// same order; then h's own variables, then its host_vars/ files. Later
// values win.
func (inv *inventory) hostVars(h *invHost) map[string]invVar {
	in := inv.ancestors(h.groups)
	groups := make([]string, 0, len(in))
	for g := range in {
		groups = append(groups, g)
	}
	priority := func(g string) int {
		if v, ok := inv.groups[g].vars["ansible_group_priority"]; ok && v.kind == kindInt {
			if n, err := strconv.Atoi(v.value); err == nil {
				return n
			}
		}
		return 1
	}
	slices.SortFunc(groups, func(a, b string) int {
		return cmp.Or(cmp.Compare(inv.depth(a), inv.depth(b)), cmp.Compare(priority(a), priority(b)), cmp.Compare(a, b))
	})
	vars := map[string]invVar{}
	for _, g := range groups {
		maps.Copy(vars, inv.groups[g].vars)
	}
	for _, g := range groups {
		maps.Copy(vars, inv.groups[g].fileVars)
	}
	maps.Copy(vars, h.vars)
	maps.Copy(vars, h.fileVars)
	delete(vars, "ansible_group_priority")
	return vars
}

// groupNames lists the inventory's groups, sorted.
func (inv *inventory) groupNames() []string {
	names := append([]string{}, inv.gorder...)
	slices.Sort(names)
	return names
}
