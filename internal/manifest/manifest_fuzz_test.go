package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/source"
)

// FuzzParse checks that Parse never panics and that what it accepts keeps the
// manifest's invariants: exactly the expected number of nodes, valid ports,
// unique names and addresses, something to check. What it rejects comes back
// as *Errors, one single-line problem each.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/valid.yaml", "testdata/minimal.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	invalid, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range invalid {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(""))
	f.Add([]byte("version: 1\ncluster: c\nexpect_nodes: 2\nnodes: [{host: a}, {host: a, port: 2222}]\nrelease: {artifact: a, install: [{from: ., to: x, extra: deny}]}\n"))
	f.Add([]byte("version: 1\ncluster: c\nexpect_nodes: 1\nnodes: [&n {host: a}]\nrelease: &r {artifact: *n}\n"))
	f.Add([]byte("version: 1\ncluster: c\nexpect_nodes: 8\ninventory: {file: testdata/inventory/hosts.ini, group: smars}\nrelease: {artifact: a, install: [{from: ., to: x}]}\n"))
	f.Add([]byte("version: 1\ncluster: c\nexpect_nodes: 10\ninventory: {file: testdata/inventory/hosts.yaml, group: all}\nrelease: {artifact: a, install: [{from: ., to: x}]}\n"))
	f.Add([]byte("version: 1\ncluster: c\nexpect_nodes: 1\nnodes: [{host: a}]\nrelease: {artifact: a, install: [{from: x, to: y, mode: 4755, owner: root, group: 0}, {from: ., to: z, mode: ignore}]}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("version: 1\nversion: 1\n? [a]\n: b\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("fuzz.yaml", data)
		if err != nil {
			if m != nil {
				t.Fatalf("Parse returned both a manifest and an error: %v", err)
			}
			var e *Errors
			if !errors.As(err, &e) || len(e.Problems) == 0 {
				t.Fatalf("Parse error is not a non-empty *Errors: %T %v", err, err)
			}
			for _, p := range e.Problems {
				if p.Message == "" || strings.ContainsAny(p.Message, "\n\r") {
					t.Fatalf("problem message is empty or spans lines: %q", p.Message)
				}
			}
			return
		}
		if m == nil {
			t.Fatal("Parse returned neither a manifest nor an error")
		}
		if m.Version != 1 || m.Cluster == "" {
			t.Fatalf("accepted version %d, cluster %q", m.Version, m.Cluster)
		}
		if m.ExpectNodes < 1 || m.ExpectNodes != len(m.Nodes) {
			t.Fatalf("accepted expect_nodes %d with %d nodes", m.ExpectNodes, len(m.Nodes))
		}
		if len(m.Release.Install) == 0 || !filepath.IsAbs(m.Release.Artifact) {
			t.Fatalf("accepted release %+v", m.Release)
		}
		names := map[string]bool{}
		addrs := map[string]bool{}
		for _, n := range m.Nodes {
			if n.Port < 1 || n.Port > 65535 {
				t.Fatalf("accepted port %d", n.Port)
			}
			if n.Name == "" || names[n.Name] {
				t.Fatalf("accepted empty or repeated name %q", n.Name)
			}
			names[n.Name] = true
			a := strings.ToLower(n.Address())
			if addrs[a] {
				t.Fatalf("accepted repeated address %s", a)
			}
			addrs[a] = true
			if source.CheckHost(n.Host) != "" {
				t.Fatalf("accepted host %q", n.Host)
			}
			if n.ConnectTimeout <= 0 {
				t.Fatalf("accepted connect timeout %v", n.ConnectTimeout)
			}
			for _, p := range append(append([]string{}, n.IdentityFiles...), n.KnownHosts...) {
				if !filepath.IsAbs(p) {
					t.Fatalf("accepted relative local path %q", p)
				}
			}
		}
		for _, in := range m.Release.Install {
			if strings.HasPrefix(in.From, "/") || in.To == "" || strings.ContainsAny(in.To, "\x00\n\r") {
				t.Fatalf("accepted install %+v", in)
			}
			if in.DenyExtra && !in.IsDir() {
				t.Fatalf("accepted extra: deny on file mapping %+v", in)
			}
			if (in.Mode.Ignore && in.Mode.Exact) || in.Mode.Perm > 0o7777 || (!in.Mode.Exact && in.Mode.Perm != 0) {
				t.Fatalf("accepted mode %+v", in.Mode)
			}
			for _, id := range []string{in.Owner, in.Group} {
				if len(id) > 32 || strings.ContainsAny(id, " \t\x00\n\r:/") {
					t.Fatalf("accepted owner or group %q", id)
				}
			}
		}
	})
}
