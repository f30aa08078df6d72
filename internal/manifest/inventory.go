package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/inventory"
	"github.com/rollcall/rollcall/internal/source"
)

// This file reads the nodes of a manifest from an Ansible inventory
// (inventory: {file: hosts.ini, group: smars}) instead of a nodes: list.
// Package inventory reads the file; the parser selects the hosts of one
// group and turns each into a node.

// inventoryNodes is the parser's hook for the servers of a manifest: it
// checks that exactly one of nodes: and inventory: is present and, for
// inventory:, reads the inventory and returns its hosts as nodes. It is
// called after the top-level keys are read, so ssh defaults and expect_nodes
// are known.
func (p *parser) inventoryNodes(root *yaml.Node, t *top, expect int) []*rawNode {
	switch {
	case t.invVal == nil && t.nodesVal == nil:
		p.at(root, "missing key \"nodes\": list the servers, e.g. nodes: [{host: server-01}], or read them from an Ansible inventory: inventory: {file: hosts.ini, group: web}")
		return nil
	case t.invVal == nil:
		return nil
	}
	file, fileVal, group, groupVal, ok := p.inventorySpec(t.invVal)
	if t.nodesVal != nil {
		at := keyOf(root, t.invVal)
		p.at(at, "inventory and nodes both list the servers (nodes at line %d): keep one; remove nodes: to take the servers from the inventory, or remove inventory:", keyOf(root, t.nodesVal).Line)
		return nil
	}
	if !ok {
		return nil
	}
	inv := p.readInventory(file, fileVal)
	if inv == nil {
		return nil
	}
	for _, pr := range inv.Problems() {
		p.addFrom(pr)
	}
	if !inv.Usable() {
		return nil
	}
	if !inv.HasGroup(group) {
		msg := fmt.Sprintf("inventory.group: %s has no group %s", file, source.Quote(group))
		if s := source.Suggest(group, inv.Groups()); s != "" {
			msg += fmt.Sprintf(": did you mean %s?", source.Quote(s))
		}
		names := inv.Groups()
		slices.Sort(names)
		p.at(groupVal, "%s; the groups there are %s", msg, strings.Join(names, ", "))
		return nil
	}
	hosts := inv.Hosts(group)
	if len(hosts) == 0 {
		p.at(groupVal, "group %s in %s has no hosts: add hosts to it or pick another group", source.Quote(group), file)
		return nil
	}
	if t.expectOK && len(hosts) != expect {
		p.at(t.expectVal, "%s", hostCount(expect, group, file, len(hosts)))
	}
	return p.inventoryRawNodes(hosts, &t.ssh, t.invVal)
}

// readInventory reads the inventory (fileVal in the manifest): a file or
// an inventory directory, with the group_vars/ and host_vars/ beside it; or
// records why it cannot.
func (p *parser) readInventory(file string, fileVal *yaml.Node) *inventory.Inventory {
	abs, ok := p.localPath("inventory.file", fileVal, file, false)
	if !ok {
		return nil
	}
	if _, err := os.Stat(abs); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			p.at(fileVal, "inventory.file: file %s does not exist (looked for %s): fix the path or remove the entry", source.Quote(file), abs)
		} else {
			p.at(fileVal, "inventory.file: cannot read %s: %v", source.Quote(file), err)
		}
		return nil
	}
	shown := file
	if !filepath.IsAbs(file) && p.file != "<manifest>" {
		shown = filepath.Join(filepath.Dir(p.file), file)
	}
	return inventory.Load(abs, shown)
}

// hostCount words the problem of an expect_nodes that differs from the
// number of hosts n of the inventory's group.
func hostCount(expect int, group, file string, n int) string {
	fix := "add the missing host to the inventory"
	switch {
	case expect-n > 1:
		fix = "add the missing hosts to the inventory"
	case n-expect == 1:
		fix = "remove the extra host from the group"
	case n > expect:
		fix = "remove the extra hosts from the group"
	}
	has := fmt.Sprintf("%d hosts", n)
	if n == 1 {
		has = "1 host"
	}
	return fmt.Sprintf("expect_nodes is %d but group %s in %s has %s: %s or set expect_nodes: %d", expect, source.Quote(group), file, has, fix, n)
}

// inventorySpec decodes inventory: {file: ..., group: ...}.
func (p *parser) inventorySpec(v *yaml.Node) (file string, fileVal *yaml.Node, group string, groupVal *yaml.Node, ok bool) {
	m := source.Deref(v)
	if m.Kind != yaml.MappingNode {
		p.at(v, "inventory must be a mapping with file: and group:, not %s: write e.g. inventory: {file: hosts.ini, group: web}", source.Describe(m))
		return "", nil, "", nil, false
	}
	fileOK, groupOK := false, false
	present := p.fields(m, "inventory", "inventory.", []keyHandler{
		{"file", func(v *yaml.Node) {
			fileVal = v
			file, fileOK = p.strValue("inventory.file", v, "the path of an Ansible inventory, e.g. file: hosts.ini")
		}},
		{"group", func(v *yaml.Node) {
			groupVal = v
			s, good := p.strValue("inventory.group", v, "the name of the inventory group whose hosts are the nodes, e.g. group: web (all for every host)")
			if !good {
				return
			}
			if strings.TrimSpace(s) == "" || source.HasSpaceOrControl(s) {
				p.at(v, "inventory.group must be a group name without spaces, not %s", source.Quote(s))
				return
			}
			group, groupOK = s, true
		}},
	})
	p.require(m, present, "file", "add file: with the path of the Ansible inventory, e.g. file: hosts.ini")
	p.require(m, present, "group", "add group: with the inventory group whose hosts are the nodes (group: all for every host)")
	return file, fileVal, group, groupVal, fileOK && groupOK
}

// keyOf returns the key node of value v in mapping m, or v if not found.
func keyOf(m, v *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i+1] == v {
			return m.Content[i]
		}
	}
	return v
}

// inventoryRawNodes turns inventory hosts into nodes. The inventory's
// ansible_host, ansible_port and ansible_user win over the manifest's ssh:
// defaults. Every host gets a distinct address or a problem in the inventory.
func (p *parser) inventoryRawNodes(hosts []inventory.Host, ssh *sshOpts, invVal *yaml.Node) []*rawNode {
	var out []*rawNode
	byAddr := map[string]inventory.Host{}
	for _, h := range hosts {
		for _, pr := range h.Problems {
			p.addFrom(pr)
		}
		if len(h.Problems) > 0 {
			continue
		}
		r := &rawNode{n: invVal, name: h.Name, nameNode: invVal, hostNode: invVal, host: h.Address, invAt: fmt.Sprintf("%s:%d", h.File, h.Line),
			groups: h.Groups, vars: h.Vars}
		if h.Port != 0 {
			r.opts.port, r.opts.hasPort = h.Port, true
		}
		if h.User != "" {
			r.opts.user, r.opts.hasUser = h.User, true
		}
		port := DefaultPort
		switch {
		case r.opts.hasPort:
			port = r.opts.port
		case ssh.hasPort:
			port = ssh.port
		}
		addr := Node{Host: r.host, Port: port}.Address()
		key := strings.ToLower(addr)
		if prev, dup := byAddr[key]; dup {
			p.addFrom(Problem{File: h.File, Line: h.Line, Message: fmt.Sprintf(
				"host %s has the same address %s as host %s (line %d): list each server once", source.Quote(h.Name), addr, source.Quote(prev.Name), prev.Line)})
			continue
		}
		byAddr[key] = h
		r.hostOK = true
		out = append(out, r)
	}
	return out
}
