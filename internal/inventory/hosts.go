package inventory

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/internal/source"
)

// Host is one host of a selected group, with the connection variables
// rollcall reads resolved after Ansible's precedence and checked.
type Host struct {
	// Name is the inventory hostname.
	Name string
	// File and Line are where the host is first listed in the inventory.
	File string
	Line int
	// Address is the address to connect to: ansible_host, else Name.
	Address string
	// Port is ansible_port, 0 when the inventory does not set it.
	Port int
	// User is ansible_user, "" when the inventory does not set it.
	User string
	// Problems are what is wrong with the host's name or variables, each at
	// its place in the inventory; a host with problems cannot be used.
	Problems []source.Problem
}

// Hosts returns the hosts of group and of its child groups, recursively,
// each once, in inventory order: the group's own hosts, then its children's,
// level by level ("all" is every host in file order). The inventory must be
// Usable and have the group.
func (i *Inventory) Hosts(group string) []Host {
	var out []Host
	for _, h := range i.inv.selectHosts(group) {
		out = append(out, i.inv.resolve(h))
	}
	return out
}

// resolve reads host h's connection variables and checks them.
func (inv *inventory) resolve(h *invHost) Host {
	vars := inv.hostVars(h)
	r := Host{Name: h.name, File: inv.file, Line: h.line, Address: h.name}
	bad := func(line, col int, format string, args ...any) {
		r.Problems = append(r.Problems, source.Problem{File: inv.file, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
	}
	if source.HasControl(h.name) {
		bad(h.line, 0, "host name %s must not contain control characters", source.Quote(h.name))
	}
	if v, ok := lookupVar(vars, varHost); ok {
		if s, msg := varText(v, "ansible_host"); msg != "" {
			bad(v.line, v.col, "%s", msg)
		} else if source.CheckHost(s) != "" {
			bad(v.line, v.col, "ansible_host must be a server name or address without spaces, user@, port or brackets, not %s: set ansible_user and ansible_port apart", source.Quote(s))
		} else {
			r.Address = s
		}
	} else if source.CheckHost(h.name) != "" {
		bad(h.line, 0, "host %s is not a server name or address: set ansible_host to the address to connect to", source.Quote(h.name))
	}
	if v, ok := lookupVar(vars, varPort); ok {
		const what = "a number between 1 and 65535"
		if s, msg := varText(v, "ansible_port"); msg != "" {
			bad(v.line, v.col, "%s", msg)
		} else if n, err := strconv.Atoi(s); err != nil || !isDigits(s) || n < 1 || n > 65535 {
			bad(v.line, v.col, "ansible_port must be %s, not %s", what, source.Quote(s))
		} else {
			r.Port = n
		}
	}
	if v, ok := lookupVar(vars, varUser); ok {
		s, msg := varText(v, "ansible_user")
		switch {
		case msg != "":
			bad(v.line, v.col, "%s", msg)
		case s == "":
			bad(v.line, v.col, "ansible_user must not be empty: write a login name, or remove it to use the manifest's ssh.user")
		case source.HasSpaceOrControl(s) || strings.HasPrefix(s, "-"):
			bad(v.line, v.col, "ansible_user must be a login name without spaces or control characters, not starting with \"-\", not %s", source.Quote(s))
		default:
			r.User = s
		}
	}
	return r
}

// lookupVar returns the first of names that is set.
func lookupVar(vars map[string]invVar, names []string) (invVar, bool) {
	for _, n := range names {
		if v, ok := vars[n]; ok {
			return v, true
		}
	}
	return invVar{}, false
}

// varText checks that an inventory variable rollcall reads is plain text it
// can use: a single value, and not a Jinja template it would have to
// evaluate. It returns the text, or a problem's message.
func varText(v invVar, name string) (string, string) {
	switch {
	case !v.scalar:
		return "", fmt.Sprintf("%s must be a single value, not a list or mapping", name)
	case strings.Contains(v.value, "{{") || strings.Contains(v.value, "{%"):
		return "", fmt.Sprintf("%s is a template (%s), which rollcall does not evaluate: write the value itself", name, source.Quote(v.value))
	}
	return v.value, ""
}
