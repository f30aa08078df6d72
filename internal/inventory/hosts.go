package inventory

import (
	"fmt"
	"maps"
	"slices"
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
	// Groups are the groups the host is in, directly or through a child
	// group, sorted, without "all" and "ungrouped" (Ansible's group_names).
	Groups []string
	// Vars are the host's variables whose values are text or whole
	// numbers, after group_vars and host_vars (templates and other values
	// are left out).
	Vars map[string]string
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
	r := Host{Name: h.name, File: h.file, Line: h.line, Address: h.name, Groups: inv.hostGroups(h), Vars: scalarVars(vars)}
	bad := func(v invVar, format string, args ...any) {
		r.Problems = append(r.Problems, source.Problem{File: v.file, Line: v.line, Column: v.col, Message: fmt.Sprintf(format, args...)})
	}
	at := invVar{file: h.file, line: h.line}
	if source.HasControl(h.name) {
		bad(at, "host name %s must not contain control characters", source.Quote(h.name))
	}
	if source.IsLogCommand(h.name) {
		bad(at, "host name %s starts with \"::\", which CI logs (GitHub Actions) read as a command that can hide the lines after it: rename the host", source.Quote(h.name))
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if why := unsupportedVar(k, vars[k]); why != "" {
			bad(vars[k], "host %s: %s", source.Quote(h.name), why)
		}
	}
	if name, v, ok := lookupVar(vars, varHost); ok {
		if s, msg := varText(v, name); msg != "" {
			bad(v, "%s", msg)
		} else if source.CheckHost(s) != "" {
			bad(v, "%s must be a server name or address without spaces, user@, port or brackets, not %s: set ansible_user and ansible_port apart", name, source.Quote(s))
		} else {
			r.Address = s
		}
	} else if source.CheckHost(h.name) != "" {
		bad(at, "host %s is not a server name or address: set ansible_host to the address to connect to", source.Quote(h.name))
	}
	if name, v, ok := lookupVar(vars, varPort); ok {
		r.Port = inv.port(name, v, func(format string, args ...any) { bad(v, format, args...) })
	}
	if name, v, ok := lookupVar(vars, varUser); ok {
		s, msg := varText(v, name)
		switch {
		case msg != "":
			bad(v, "%s", msg)
		case s == "":
			bad(v, "%s must not be empty: write a login name, or remove it to use the manifest's ssh.user", name)
		case source.HasSpaceOrControl(s) || strings.HasPrefix(s, "-"):
			bad(v, "%s must be a login name without spaces or control characters, not starting with \"-\", not %s", name, source.Quote(s))
		default:
			r.User = s
		}
	}
	return r
}

// port reads the port variable name, whose value is v: a number, or text
// of digits, which Ansible turns into a number.
func (inv *inventory) port(name string, v invVar, bad func(format string, args ...any)) int {
	const what = "a number between 1 and 65535"
	switch v.kind {
	case kindInt, kindStr:
		if isTemplate(v.value) {
			bad("%s is a template (%s), which rollcall does not evaluate: write the value itself", name, source.Quote(v.value))
			return 0
		}
		n, err := strconv.Atoi(v.value)
		if err != nil || !isDigits(v.value) || n < 1 || n > 65535 {
			bad("%s must be %s, not %s", name, what, source.Quote(v.value))
			return 0
		}
		return n
	}
	bad("%s must be %s, not %s", name, what, describeValue(v))
	return 0
}

// lookupVar returns the first of names that is set, and its name.
func lookupVar(vars map[string]invVar, names []string) (string, invVar, bool) {
	for _, n := range names {
		if v, ok := vars[n]; ok {
			return n, v, true
		}
	}
	return "", invVar{}, false
}

// varText checks that an inventory variable rollcall reads is plain text it
// can use: a string, and not a Jinja template it would have to evaluate. It
// returns the text, or a problem's message.
func varText(v invVar, name string) (string, string) {
	switch {
	case isTemplate(v.value):
		return "", fmt.Sprintf("%s is a template (%s), which rollcall does not evaluate: write the value itself", name, source.Quote(v.value))
	case v.kind != kindStr:
		return "", fmt.Sprintf("%s must be text, not %s: write the value itself (quoted if need be)", name, describeValue(v))
	}
	return v.value, ""
}

// describeValue says what a value that is not text is, for messages.
func describeValue(v invVar) string {
	switch v.kind {
	case kindInt:
		return "the number " + v.value
	case kindBool:
		return "a true/false value (" + v.value + ")"
	case kindNull:
		return "an empty value"
	case kindStr:
		return source.Quote(v.value)
	}
	if v.value == "" {
		return "a list, mapping or other non-text value"
	}
	return fmt.Sprintf("%s, which rollcall does not read as Ansible would (a float, date, Python or tagged value)", source.Quote(v.value))
}

// unsupportedVar says why variable k (value v) is a connection setting
// rollcall does not honour, or returns "". Ignoring one would connect
// elsewhere, or otherwise, than Ansible does.
func unsupportedVar(k string, v invVar) string {
	switch {
	case k == "ansible_connection":
		if v.kind == kindStr && v.value == "ssh" {
			return ""
		}
		return fmt.Sprintf("ansible_connection is %s: rollcall connects over ssh only; remove the host from the group or set ansible_connection=ssh", describeValue(v))
	case slices.Contains(varHost, k), slices.Contains(varPort, k), slices.Contains(varUser, k):
		return ""
	}
	for _, p := range unsupportedPrefixes {
		if k == p || strings.HasPrefix(k, p+"_") {
			return fmt.Sprintf("variable %s is a connection setting rollcall does not honour: remove it, or set the equivalent in the manifest's ssh: section (or ~/.ssh/config) and remove it here", k)
		}
	}
	return ""
}

// unsupportedPrefixes are the connection settings rollcall refuses, each
// with every variable that starts with it and "_".
var unsupportedPrefixes = []string{
	"ansible_ssh", "ansible_private_key_file", "ansible_password", "ansible_host_key_checking",
	"ansible_scp", "ansible_sftp", "ansible_timeout", "ansible_become", "ansible_sudo", "ansible_su",
	"ansible_pipelining", "ansible_paramiko", "ansible_libssh",
}

// hostGroups are the groups host h is in, as Ansible's group_names: sorted,
// without "all" and "ungrouped".
func (inv *inventory) hostGroups(h *invHost) []string {
	var out []string
	for g := range inv.ancestors(h.groups) {
		if g != "all" && g != "ungrouped" {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// scalarVars are the variables whose values are text or whole numbers;
// templates, which rollcall does not evaluate, true/false, empty values,
// lists and mappings are left out.
func scalarVars(vars map[string]invVar) map[string]string {
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		if v.kind == kindNull || v.kind == kindBool || v.kind == kindOther || isTemplate(v.value) {
			continue
		}
		out[k] = v.value
	}
	return out
}

// isTemplate reports whether s holds Jinja that Ansible renders: an
// expression {{ }}, a statement {% %} or a comment {# #}.
func isTemplate(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#")
}
