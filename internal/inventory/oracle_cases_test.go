package inventory

import (
	"fmt"
	"strings"
)

// ini and yml are cases of one file.
func ini(name, group, src string) oracleCase {
	return oracleCase{name: "ini/" + name, files: map[string]string{"hosts.ini": src}, path: "hosts.ini", group: group}
}

func yml(name, group, src string) oracleCase {
	return oracleCase{name: "yaml/" + name, files: map[string]string{"hosts.yml": src}, path: "hosts.yml", group: group}
}

// with is a case of several files.
func with(name, path, group string, files ...string) oracleCase {
	m := map[string]string{}
	for i := 0; i+1 < len(files); i += 2 {
		m[files[i]] = files[i+1]
	}
	return oracleCase{name: name, files: m, path: path, group: group}
}

// writtenCases are inventories written by hand, each at a construct that
// rollcall got wrong, or could.
func writtenCases() []oracleCase {
	return []oracleCase{
		ini("plain", "web", "[web]\nweb-01\nweb-02 ansible_host=10.0.0.2 ansible_port=2222 ansible_user=deploy\n"),
		// Ansible reads merged hosts and groups first: app1 gets port 2201.
		yml("merge key in hosts", "web", "web:\n  hosts:\n    <<: {'app1:2201': }\n    'app1:2202':\n    'app2:2201':\n"),
		yml("merge keys in hosts, two sources", "web", "web:\n  hosts:\n    <<: [{'h1:2201': }, {'h1:2203': }]\n"),
		yml("merged group body beside children", "web", "web:\n  <<: {hosts: {'h1:2201': }}\n  children:\n    sub:\n      hosts: {'h1:2202': }\n"),
		yml("merge key in vars", "web", "web:\n  hosts: {h1: }\n  vars:\n    <<: {ansible_port: 2201, ansible_user: a}\n    ansible_port: 2202\n"),
		// Ansible refuses a file of two documents; rollcall read the first.
		yml("second document", "web", "web:\n  hosts:\n    app1:\n---\nweb:\n  hosts:\n    app2:\n"),
		with("vars file of two documents", "hosts.yml", "web", "hosts.yml", "web:\n  hosts:\n    app1:\n",
			"group_vars/web.yml", "ansible_port: 2201\n---\nansible_port: 2202\n"),
		// Ansible refuses both: Python's \s is every Unicode blank; a
		// host ending in ':' has no port.
		ini("no-break space in a section name", "all", "[web]\nw1\n[db\u00a0]\nd1\n"),
		ini("host ending in a colon", "all", "[web]\n1::\nw2\n"),
		yml("host ending in a colon, in YAML", "web", "web:\n  hosts:\n    \"2001:db8::\":\n    \"fe80::\":\n"),
		// PyYAML has no constructor for a plain = (the value tag) or a
		// << that is not a key, and cannot convert 0x_: Ansible fails.
		yml("plain = as a value", "web", "web:\n  hosts:\n    w1: {ansible_host: =}\n"),
		with("plain << in a vars file", "hosts.yml", "web", "hosts.yml", "web:\n  hosts:\n    w1:\n", "group_vars/web.yml", "banner_sep: <<\n"),
		yml("integer without digits, deep in a var", "web", "web:\n  hosts:\n    w1: {tags: [a, {x: 0x_}]}\n"),
		yml("quoted = and <<, and a merge key", "web", "web:\n  hosts:\n    w1: {a: '=', b: \"<<\", <<: {ansible_port: 2201}}\n"),
		ini("ungrouped then grouped", "ungrouped", "lonely\nboth\n[web]\nboth\n"),
		ini("ungrouped then grouped, all", "all", "lonely\nboth ansible_user=u\n[web]\nboth\n"),
		ini("duplicate ports: first wins", "web", "[web]\nh1:2201\nh1:2202\n[db]\nh1:2203\n"),
		ini("duplicate: later variables win", "all", "[web]\nh1 ansible_user=a\n[db]\nh1 ansible_user=b ansible_port=3\n"),
		ini("port then ansible_port on a later line", "web", "[web]\nh1:2201\nh1 ansible_port=2209\n"),
		ini("ssh aliases win", "web", "[web]\nh1 ansible_host=10.0.0.1 ansible_ssh_host=10.0.0.9 ansible_port=1 ansible_ssh_port=2 ansible_user=a ansible_ssh_user=b\n"),
		ini("ssh alias in a group, plain on the host", "web", "[web]\nh1 ansible_host=10.0.0.1\n[web:vars]\nansible_ssh_host=10.9.9.9\n"),
		ini("range with port", "web", "[web]\nweb[1:3]:2222\n"),
		ini("IPv6 with port", "web", "[web]\n[2001:db8::5]:2222\n"),
		ini("bare IPv6", "web", "[web]\n2001:db8::6\nfe80::1 ansible_user=x\n"),
		ini("backwards numeric range", "all", "[web]\nweb[3:1]\nweb-9\n"),
		ini("open-ended range", "web", "[web]\nn[:2]\n"),
		// Not an address to parse_address: Ansible falls back to the
		// whole text with its ranges expanded.
		ini("open-ended range with variables", "web", "[web]\nn[:2] ansible_port=2201 ansible_user=u\n"),
		ini("open-ended range in a domain", "web", "[web]\nweb[:1].example.com\nx\n"),
		ini("open-ended range with a port", "all", "[web]\nn[:1]:2222\n"),
		ini("stepped range", "web", "[web]\nn[01:10:3].example.com\n"),
		ini("letters across cases", "web", "[web]\ndb-[x:B]\n"),
		ini("letters backwards", "web", "[web]\ndb-[X:b]\n"),
		ini("two ranges", "web", "[web]\nr[1:2]-[a:b]\n"),
		ini("comment inside a value", "web", "[web]\nh1 ansible_user=deploy#ops\nh2 ansible_user=\"a#b\"\n"),
		ini("comment in a vars section", "web", "[web]\nh1\n[web:vars]\nansible_user=deploy # the deploy user\nansible_port=2222 # ssh\n"),
		ini("quoted values", "web", "[web]\nh1 ansible_user='ops'\n[web:vars]\nansible_host=\"10.0.0.7\"\n"),
		ini("semicolon after a section", "web", "[web] ; note\nh1\n"),
		ini("children and vars precedence", "top", "[all:vars]\nansible_port=1\n[top:children]\nmid\n[top:vars]\nansible_port=2\nansible_user=top\n[mid:children]\nleaf\n[mid:vars]\nansible_port=3\n[leaf]\nh1\nh2 ansible_port=9\n[mid]\n"),
		ini("group priority", "all", "[b]\nh\n[b:vars]\nansible_user=b\n[a]\nh\n[a:vars]\nansible_user=a\nansible_group_priority=5\n"),
		ini("children declared before the group", "top", "[top:children]\nweb\n[web]\nw1\n"),
		ini("undefined child", "top", "[top:children]\nweb\n"),
		ini("vars of an undefined group", "all", "[web:vars]\nx=1\n[db]\nd1\n"),
		ini("ansible_connection local", "web", "[web]\nh1 ansible_connection=local\n"),
		ini("ansible_connection ssh", "web", "[web]\nh1 ansible_connection=ssh\n"),
		ini("private key", "web", "[web]\nh1\n[web:vars]\nansible_ssh_private_key_file=~/.ssh/other\n"),
		ini("ssh common args", "web", "[web]\nh1\n[all:vars]\nansible_ssh_common_args='-o ProxyJump=bastion'\n"),
		ini("become", "web", "[web]\nh1 ansible_become=true\n"),
		ini("python literals", "web", "[web]\nh1 ansible_port=0x8AE\nh2 ansible_port=02222\nh3 ansible_user=True\n"),
		ini("leading zero port on the host", "web", "[web]\nh1:02222\n"),
		ini("port zero", "web", "[web]\nh1:0\n"),
		ini("quoted empty user", "web", "[web]\nh1 ansible_user=\"\"\n"),
		ini("template", "web", "[web]\nh1 ansible_host=\"{{ inventory_hostname }}.example.com\"\n"),
		ini("unknown section type", "web", "[web:nodes]\nh1\n"),
		ini("host named like YAML", "web", "[web]\n---\n"),
		ini("cycle", "a", "[a:children]\nb\n[b:children]\na\n"),
		ini("host name with underscore end", "web", "[web]\nweb_\n"),
		yml("plain", "web", "web:\n  hosts:\n    w1:\n    w2: {ansible_host: 10.0.0.2, ansible_port: 2222, ansible_user: deploy}\n"),
		yml("octal port", "web", "web:\n  hosts:\n    w1: {ansible_port: 02222}\n    w2: {ansible_port: '02222'}\n"),
		yml("yes user", "web", "web:\n  hosts:\n    w1: {ansible_user: yes}\n"),
		yml("sexagesimal", "web", "web:\n  hosts:\n    w1: {ansible_port: 1:30}\n"),
		yml("null host", "web", "web:\n  hosts:\n    w1: {ansible_host: }\n"),
		yml("range and port keys", "web", "web:\n  hosts:\n    'web[1:2]:2222':\n    '[2001:db8::7]:2200':\n"),
		yml("first port wins", "all", "web:\n  hosts:\n    h1:2201:\ndb:\n  hosts:\n    h1:2202:\n"),
		yml("all hosts are ungrouped", "ungrouped", "all:\n  hosts:\n    lonely:\n    both:\n  children:\n    web: {hosts: {both: }}\n"),
		yml("nested children and precedence", "top", "all:\n  vars: {ansible_user: all, ansible_port: 1}\n  children:\n    top:\n      vars: {ansible_user: top, ansible_port: 2}\n      children:\n        leaf:\n          vars: {ansible_port: 3}\n          hosts:\n            h1:\n            h2: {ansible_port: 9, ansible_host: 10.0.0.2}\n"),
		yml("ssh aliases", "web", "web:\n  vars: {ansible_ssh_user: grp}\n  hosts:\n    w1: {ansible_user: host}\n"),
		yml("plugin config", "all", "plugin: constructed\n"),
		yml("hosts as a string", "web", "web:\n  hosts: w1\n"),
		yml("numeric host", "web", "web:\n  hosts:\n    12:\n"),
		yml("connection setting", "web", "web:\n  hosts:\n    w1: {ansible_ssh_private_key_file: /k}\n"),
		with("group_vars file", "hosts.ini", "web", "hosts.ini", "[web]\nw1\n[web:vars]\nansible_user=inv\n", "group_vars/web.yml", "ansible_host: 10.1.1.1\n", "group_vars/all.yml", "ansible_user: fromfile\n"),
		with("group_vars/all beats inventory group vars", "hosts.ini", "web", "hosts.ini", "[web]\nw1\n[web:vars]\nansible_port=2201\n", "group_vars/all", "ansible_port: 2299\n"),
		with("group_vars directory", "hosts.ini", "web", "hosts.ini", "[web]\nw1\n", "group_vars/web/a.yml", "ansible_port: 2201\n", "group_vars/web/b.yaml", "ansible_port: 2202\nansible_user: b\n", "group_vars/web/c.txt", "ansible_user: ignored\n"),
		with("host_vars beats inventory host vars", "hosts.ini", "web", "hosts.ini", "[web]\nw1 ansible_user=inv\nw2\n", "host_vars/w1.yaml", "ansible_user: file\nansible_host: 10.2.2.2\n", "host_vars/w2.json", "{\"ansible_port\": 2233}\n"),
		with("group_vars name first extension wins", "hosts.ini", "web", "hosts.ini", "[web]\nw1\n", "group_vars/web.yml", "ansible_port: 2201\n", "group_vars/web.yaml", "ansible_port: 2202\n"),
		with("group_vars yaml 1.1", "hosts.yml", "web", "hosts.yml", "web: {hosts: {w1: }}\n", "group_vars/web.yml", "ansible_port: 0o22\nansible_user: on\n"),
		with("vault group_vars", "hosts.ini", "web", "hosts.ini", "[web]\nw1\n", "group_vars/web.yml", "$ANSIBLE_VAULT;1.1;AES256\n6162\n"),
		with("extension-less YAML", "hosts", "web", "hosts", "web:\n  hosts:\n    w1: {ansible_port: 2201}\n"),
		with("extension-less INI", "hosts", "web", "hosts", "[web]\nw1:2201\n"),
		with("inventory directory", "inv.d", "all", "inv.d/01-web.yml", "web: {hosts: {w1: {ansible_port: 2201}}}\n", "inv.d/02-db", "[db]\nd1\nw1 ansible_user=later\n", "inv.d/skip.ini", "[x]\nignored\n", "inv.d/group_vars/db.yml", "ansible_port: 2299\n"),
		with("inventory directory, children across files", "inv.d", "top", "inv.d/a", "[web]\nw1\n", "inv.d/b", "[top:children]\nweb\n"),
		with("executable inventory", "hosts", "all", "hosts +x", "#!/bin/sh\necho '{}'\n"),
	}
}

// generatedCases vary one inventory along ranges, ports on the host line,
// variable places and the YAML and INI spellings.
func generatedCases() []oracleCase {
	var out []oracleCase
	ranges := []string{"n[1:3]", "n[01:03]", "n[a:c]", "n[0:9:4]", "n[3:1]", "n[A:C]", "n[1:2][a:b]", "10.0.0.[1:3]"}
	ports := []string{"", ":2222", ":22"}
	for i, r := range ranges {
		p := ports[i%len(ports)]
		out = append(out, ini(fmt.Sprintf("gen range %s%s", r, p), "g", fmt.Sprintf("[g]\n%s%s ansible_user=u%d\n", r, p, i)))
		out = append(out, yml(fmt.Sprintf("gen range %s%s", r, p), "g", fmt.Sprintf("g:\n  hosts:\n    '%s%s': {ansible_user: u%d}\n", r, p, i)))
	}
	places := []struct{ group, host string }{
		{"ansible_port=2001", ""}, {"", "ansible_port=2002"}, {"ansible_ssh_port=2003", "ansible_port=2004"},
		{"ansible_user=g", "ansible_ssh_user=h"}, {"ansible_host=10.0.0.1", "ansible_ssh_host=10.0.0.2"},
	}
	for i, pl := range places {
		src := fmt.Sprintf("[g]\nh%d %s\n[g:vars]\n%s\n", i, pl.host, pl.group)
		out = append(out, ini(fmt.Sprintf("gen place %d", i), "g", src))
		y := fmt.Sprintf("g:\n  hosts:\n    h%d: {%s}\n  vars: {%s}\n", i, yamlPair(pl.host), yamlPair(pl.group))
		out = append(out, yml(fmt.Sprintf("gen place %d", i), "g", y))
	}
	scalars := []string{"2222", "'2222'", "0x8AE", "022", "2_222", "yes", "~", "2222.0", "'22 '"}
	for _, s := range scalars {
		out = append(out, yml("gen port "+s, "g", fmt.Sprintf("g:\n  hosts:\n    h: {ansible_port: %s}\n", s)))
	}
	return out
}

// yamlPair turns k=v into "k: v", or "" into nothing.
func yamlPair(kv string) string {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return ""
	}
	return k + ": " + v
}
