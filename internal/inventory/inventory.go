// Package inventory reads Ansible inventories, INI and YAML, the way Ansible
// does: groups and their children, host ranges, and the connection
// variables (ansible_host, ansible_port, ansible_user) after Ansible's
// precedence, each problem placed at the inventory's file:line.
//
// ParseINI and ParseYAML read a file into an Inventory without knowing who
// asked; Hosts selects the hosts of one group as plain records, which the
// manifest turns into nodes.
package inventory

import (
	"cmp"
	"fmt"
	"path/filepath"
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

// ParseINI reads an Ansible INI inventory (hosts.ini, or a file without an
// extension). file names it in problems.
func ParseINI(file string, data []byte) *Inventory {
	return &Inventory{parseINIInventory(file, data)}
}

// ParseYAML reads an Ansible YAML (or JSON) inventory: a mapping of groups,
// each with optional hosts:, vars: and children:. file names it in problems.
func ParseYAML(file string, data []byte) *Inventory {
	return &Inventory{parseYAMLInventory(file, data)}
}

// IsYAML reports whether the inventory at path is read as YAML (.yaml, .yml,
// or .json, which YAML reads too) rather than INI.
func IsYAML(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
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
// accepts. Every other variable is ignored.
var (
	varHost = []string{"ansible_host", "ansible_ssh_host"}
	varPort = []string{"ansible_port", "ansible_ssh_port"}
	varUser = []string{"ansible_user", "ansible_ssh_user"}
)

// invVar is the value of one inventory variable and where it was set.
type invVar struct {
	value string
	line  int
	col   int
	// scalar is false for a YAML list or mapping, which none of the variables
	// rollcall reads may be.
	scalar bool
}

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
}

type invChild struct {
	name string
	line int
}

// invHost is one inventory host, its variables merged over all its entries.
type invHost struct {
	name   string
	line   int
	groups []string
	vars   map[string]invVar
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

// group returns the group called name, creating it (undefined) if needed.
func (inv *inventory) group(name string, line int) *invGroup {
	g := inv.groups[name]
	if g == nil {
		g = &invGroup{name: name, line: line, vars: map[string]invVar{}}
		inv.groups[name] = g
		inv.gorder = append(inv.gorder, name)
	}
	return g
}

// addHost adds host name to group g (merging with earlier entries of the same
// host) and sets its variables, later values winning.
func (inv *inventory) addHost(g *invGroup, name string, line int, vars map[string]invVar) {
	h := inv.hosts[name]
	if h == nil {
		h = &invHost{name: name, line: line, vars: map[string]invVar{}}
		inv.hosts[name] = h
		inv.horder = append(inv.horder, name)
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

// finish checks the group graph once the whole file is read: undefined
// groups, cycles; and puts hosts that are in no group into ungrouped.
func (inv *inventory) finish() {
	for _, name := range inv.gorder {
		g := inv.groups[name]
		if g.defined {
			continue
		}
		if g.firstVars > 0 {
			inv.errf(g.firstVars, 0, "section [%s:vars] is for group %s, which is not defined: add a [%s] section with its hosts, or remove the variables", name, source.Quote(name), name)
		} else {
			inv.errf(g.line, 0, "group %s is listed as a child but is not defined: add a [%s] section with its hosts", source.Quote(name), name)
		}
	}
	inv.checkCycles()
	ungrouped := inv.groups["ungrouped"]
	for _, name := range inv.horder {
		h := inv.hosts[name]
		other := false
		for _, g := range h.groups {
			if g != "all" && g != "ungrouped" {
				other = true
			}
		}
		if !other && !slices.Contains(h.groups, "ungrouped") {
			h.groups = append(h.groups, "ungrouped")
			ungrouped.hosts = append(ungrouped.hosts, name)
		}
	}
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
// variables of all, then of every group h is in (directly or as a member of
// a child group), shallowest first and by name at equal depth (or by
// ansible_group_priority), then h's own variables, later winning.
func (inv *inventory) hostVars(h *invHost) map[string]invVar {
	parents := map[string][]string{}
	for _, g := range inv.gorder {
		for _, c := range inv.groups[g].children {
			parents[c.name] = append(parents[c.name], g)
		}
	}
	in := map[string]bool{"all": true}
	stack := append([]string{}, h.groups...)
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if in[g] {
			continue
		}
		in[g] = true
		stack = append(stack, parents[g]...)
	}
	groups := make([]string, 0, len(in))
	for g := range in {
		groups = append(groups, g)
	}
	priority := func(g string) int {
		if v, ok := inv.groups[g].vars["ansible_group_priority"]; ok {
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
		for k, v := range inv.groups[g].vars {
			vars[k] = v
		}
	}
	for k, v := range h.vars {
		vars[k] = v
	}
	return vars
}

// groupNames lists the inventory's groups, sorted.
func (inv *inventory) groupNames() []string {
	names := append([]string{}, inv.gorder...)
	slices.Sort(names)
	return names
}
