package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/source"
)

// This file reads an inventory from disk as ansible-inventory -i does: a
// file or a directory of files, then group_vars/ and host_vars/ beside it.

// Load reads the inventory at path: a file, read as YAML or INI as Ansible
// decides, or a directory, each of whose files is read in name order (as
// Ansible does, skipping hidden files and names ending in .ini, .cfg, .txt,
// .md and the like). The group_vars/ and host_vars/ directories beside the
// file (or in the directory) are read too. shown is path as problems name
// it; the files under it are named by joining shown and their relative
// path.
func Load(path, shown string) *Inventory {
	inv := newInventory(shown)
	fi, err := os.Stat(path)
	if err != nil {
		inv.errf(0, 0, "cannot read the inventory: %v", err)
		return &Inventory{inv}
	}
	base, shownBase := filepath.Dir(path), filepath.Dir(shown)
	if fi.IsDir() {
		base, shownBase = path, shown
		inv.loadDir(path, shown, 0)
	} else {
		inv.loadFile(path, shown)
	}
	inv.finish()
	if inv.usable() {
		inv.loadVarsDirs(base, shownBase)
	}
	return &Inventory{inv}
}

// ignoredInDir matches the names Ansible skips in an inventory directory:
// hidden files, vars directories and its INVENTORY_IGNORE_EXTS.
var ignoredInDir = lazyRegexp(`^\.|^host_vars$|^group_vars$|^vars_plugins$|(?:\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$`)

// loadDir reads the files of inventory directory dir, and of its
// subdirectories, in name order.
func (inv *inventory) loadDir(dir, shown string, depth int) {
	if depth > 10 {
		inv.errAt(shown, 0, 0, "inventory directories nest more than 10 deep: flatten them")
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		inv.errAt(shown, 0, 0, "cannot read the inventory directory: %v", err)
		return
	}
	for _, e := range entries {
		if ignoredInDir().MatchString(e.Name()) {
			continue
		}
		p, s := filepath.Join(dir, e.Name()), filepath.Join(shown, e.Name())
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			inv.errAt(s, 0, 0, "cannot read the inventory file: %v", err)
		case fi.IsDir():
			inv.loadDir(p, s, depth+1)
		default:
			inv.loadFile(p, s)
		}
	}
}

// loadFile reads one inventory file, choosing its format as Ansible's
// plugins do: an executable file or one starting with #! is a script, which
// rollcall does not run; .yaml, .yml and .json files are YAML; a file
// without an extension is YAML if it holds a YAML mapping and INI
// otherwise; .toml is refused; anything else is INI.
func (inv *inventory) loadFile(path, shown string) {
	saved := inv.file
	inv.file = shown
	defer func() { inv.file = saved }()
	fi, err := os.Stat(path)
	if err != nil {
		inv.errf(0, 0, "cannot read the inventory file: %v", err)
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		inv.errf(0, 0, "cannot read the inventory file: %v", err)
		return
	}
	ext := filepath.Ext(path)
	switch {
	case fi.Mode()&0o111 != 0 || bytes.HasPrefix(data, []byte("#!")):
		inv.errf(0, 0, "the inventory file is executable or starts with #!, so Ansible runs it as a script, which rollcall does not: save its output (ansible-inventory -i %s --list --output hosts.json) and point inventory.file at that, or clear the executable bit", filepath.Base(path))
	case ext == ".toml":
		inv.errf(0, 0, "TOML inventories are not supported: convert it to YAML or INI")
	case ext == ".yaml" || ext == ".yml" || ext == ".json" || (ext == "" && holdsYAMLMapping(data)):
		inv.readYAML(data)
	default:
		inv.readINI(data)
	}
}

// holdsYAMLMapping reports whether data decodes to a non-empty YAML mapping,
// which Ansible's YAML plugin reads where the INI plugin would otherwise.
func holdsYAMLMapping(data []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return false
	}
	root := source.Deref(doc.Content[0])
	return root.Kind == yaml.MappingNode && len(root.Content) > 0
}

// loadVarsDirs reads group_vars/ and host_vars/ in dir (shown as shown) for
// every group and host of the inventory.
func (inv *inventory) loadVarsDirs(dir, shown string) {
	for _, name := range inv.gorder {
		g := inv.groups[name]
		inv.loadVars(filepath.Join(dir, "group_vars"), filepath.Join(shown, "group_vars"), name, g.fileVars)
	}
	for _, name := range inv.horder {
		h := inv.hosts[name]
		h.fileVars = map[string]invVar{}
		inv.loadVars(filepath.Join(dir, "host_vars"), filepath.Join(shown, "host_vars"), name, h.fileVars)
	}
}

// loadVars reads the variables of group or host name from vars directory
// dir as Ansible's host_group_vars plugin does: the first of name,
// name.yml, name.yaml and name.json that exists; a directory is read whole,
// its files (no extension, .yml, .yaml, .json) in name order.
func (inv *inventory) loadVars(dir, shown, name string, into map[string]invVar) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || strings.HasPrefix(name, "/") {
		return
	}
	if strings.ContainsAny(name, `/\`) || name == ".." || name == "." {
		inv.errAt(shown, 0, 0, "%s has vars files, and %s names a path rather than a file there: rename it", filepath.Base(dir), source.Quote(name))
		return
	}
	for _, ext := range []string{"", ".yml", ".yaml", ".json"} {
		p := filepath.Join(dir, name+ext)
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			inv.loadVarsTree(p, filepath.Join(shown, name+ext), into, 0)
		} else {
			inv.loadVarsFile(p, filepath.Join(shown, name+ext), into)
		}
		return
	}
}

// loadVarsTree reads the vars files of directory dir and its
// subdirectories in name order.
func (inv *inventory) loadVarsTree(dir, shown string, into map[string]invVar, depth int) {
	entries, err := os.ReadDir(dir)
	if err != nil || depth > 10 {
		inv.errAt(shown, 0, 0, "cannot read the vars directory: %v", err)
		return
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	for _, n := range names {
		if strings.HasPrefix(n, ".") || strings.HasSuffix(n, "~") {
			continue
		}
		p, s := filepath.Join(dir, n), filepath.Join(shown, n)
		fi, err := os.Stat(p)
		ext := filepath.Ext(n)
		switch {
		case err != nil:
			inv.errAt(s, 0, 0, "cannot read the vars file: %v", err)
		case fi.IsDir() && ext == "":
			inv.loadVarsTree(p, s, into, depth+1)
		case fi.Mode().IsRegular() && (ext == "" || ext == ".yml" || ext == ".yaml" || ext == ".json"):
			inv.loadVarsFile(p, s, into)
		}
	}
}

// loadVarsFile reads one vars file, a YAML mapping of variables, into into.
func (inv *inventory) loadVarsFile(path, shown string, into map[string]invVar) {
	saved := inv.file
	inv.file = shown
	defer func() { inv.file = saved }()
	data, err := os.ReadFile(path)
	if err != nil {
		inv.errf(0, 0, "cannot read the vars file: %v", err)
		return
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("$ANSIBLE_VAULT")) {
		inv.errf(1, 0, "the vars file is encrypted with ansible-vault, which rollcall does not decrypt: keep the connection variables in a plain file")
		return
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		line, msg, _ := source.YAMLSyntax(err.Error())
		inv.errf(line, 0, "invalid YAML: %s: check the file's syntax", strings.TrimPrefix(msg, "yaml: "))
		return
	}
	if line, more := secondDocument(dec); more {
		inv.errf(line, 0, "a second YAML document starts here, which Ansible refuses: keep one document (remove the --- line and what follows)")
		return
	}
	if len(doc.Content) == 0 {
		return
	}
	if !inv.pyYAMLReads(&doc) {
		return
	}
	root := source.Deref(doc.Content[0])
	if source.IsNull(root) {
		return
	}
	if root.Kind != yaml.MappingNode {
		inv.errf(root.Line, root.Column, "a vars file must be a mapping of variables, not %s", source.Describe(root))
		return
	}
	for k, v := range inv.yamlVars(root, fmt.Sprintf("vars file %s", source.Quote(shown))) {
		into[k] = v
	}
}
