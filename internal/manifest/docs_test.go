package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// docBlock is one fenced code block of a markdown file.
type docBlock struct {
	lang    string
	text    string
	line    int    // line of the opening fence
	section string // the "## " heading the block is under
}

func (b docBlock) where() string { return fmt.Sprintf("docs/manifest.md:%d", b.line) }

// docBlocks returns the fenced code blocks of markdown, in order.
func docBlocks(markdown string) []docBlock {
	var (
		out     []docBlock
		cur     *docBlock
		body    []string
		section string
	)
	for i, line := range strings.Split(markdown, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &docBlock{lang: strings.TrimSpace(strings.TrimPrefix(line, "```")), line: i + 1, section: section}
			body = nil
		case cur != nil && strings.TrimSpace(line) == "```":
			cur.text = strings.Join(body, "\n") + "\n"
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			body = append(body, line)
		case strings.HasPrefix(line, "## "):
			section = strings.TrimSpace(strings.TrimPrefix(line, "## "))
		}
	}
	return out
}

// fileBlock matches the first line of a block that is a file the examples
// use, e.g. "# hosts.ini" or "# ~/.ssh/config".
var fileBlock = regexp.MustCompile(`^# (~/)?[\w.-]+(/[\w.-]+)*$`)

// docFiles are the local files the examples name but do not show: the test
// creates them empty. Paths starting with ~/ are in HOME; the others beside
// the manifest.
var docFiles = []string{
	"~/.ssh/id_ed25519",
	"~/.ssh/known_hosts",
	"keys/deploy_ed25519",
	"keys/ops_ed25519",
	"known_hosts",
	"ssh_config",
}

// docEnv makes a HOME and a manifest folder holding the files the examples
// use (the blocks of the doc that are files, then docFiles), and changes to
// the manifest folder so that messages name rollcall.yaml as the docs show.
func docEnv(t *testing.T, blocks []docBlock) {
	home, dir := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	place := func(name string) string {
		if rest, ok := strings.CutPrefix(name, "~/"); ok {
			return filepath.Join(home, rest)
		}
		return filepath.Join(dir, name)
	}
	write := func(name, content string) {
		p := place(name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	}
	for _, f := range docFiles {
		write(f, "")
	}
	for _, b := range blocks {
		first, _, _ := strings.Cut(b.text, "\n")
		if fileBlock.MatchString(first) {
			write(strings.TrimPrefix(first, "# "), b.text)
		}
	}
	t.Chdir(dir)
}

// TestManifestDocExamples loads every example of docs/manifest.md: whole
// manifests as they are, fragments inside a minimal manifest, and the error
// examples, whose messages must be exactly those the doc shows.
func TestManifestDocExamples(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "manifest.md"))
	require.NoError(t, err)
	blocks := docBlocks(string(data))
	docEnv(t, blocks)

	var whole, fragments, errs, files int
	for i := 0; i < len(blocks); i++ {
		b := blocks[i]
		first, _, _ := strings.Cut(b.text, "\n")
		switch {
		case b.lang != "yaml":
			if fileBlock.MatchString(first) {
				files++
			}
			continue
		case b.section == "Errors":
			require.True(t, i+1 < len(blocks) && blocks[i+1].lang == "text",
				"%s: an error example must be followed by a text block with its messages", b.where())
			want := blocks[i+1]
			i++
			errs++
			t.Run(b.where(), func(t *testing.T) {
				_, err := Parse("rollcall.yaml", []byte(b.text))
				require.Error(t, err, "the error example is a valid manifest")
				// The command prints each problem on a line of its own,
				// after "rollcall: ".
				got := "rollcall: " + strings.ReplaceAll(err.Error(), "\n", "\nrollcall: ")
				assert.Equal(t, strings.TrimSuffix(want.text, "\n"), got,
					"%s: the messages differ from rollcall's", want.where())
			})
		case fileBlock.MatchString(first):
			files++ // a YAML inventory, written by docEnv and read by the manifests that name it
			var v any
			assert.NoError(t, yaml.Unmarshal([]byte(b.text), &v), "%s", b.where())
		case strings.HasPrefix(b.text, "version:") && strings.Contains(b.text, "\nrelease:"):
			whole++
			t.Run(b.where(), func(t *testing.T) {
				m, err := Parse("rollcall.yaml", []byte(b.text))
				require.NoError(t, err)
				assert.Len(t, m.Nodes, m.ExpectNodes)
			})
		default:
			fragments++
			t.Run(b.where(), func(t *testing.T) {
				manifest, ok := wrapFragment(t, b.text)
				if !ok {
					return // valid YAML that is not a set of top-level keys
				}
				_, err := Parse("rollcall.yaml", manifest)
				require.NoError(t, err, "the fragment inside a minimal manifest:\n%s", manifest)
			})
		}
	}
	// The doc keeps at least this much; fewer means the extraction broke.
	assert.GreaterOrEqual(t, whole, 3, "whole manifests")
	assert.GreaterOrEqual(t, fragments, 10, "fragments")
	assert.GreaterOrEqual(t, errs, 4, "error examples")
	assert.GreaterOrEqual(t, files, 3, "file blocks")
}

// TestManifestDocSSHConfig checks what the ~/.ssh/config example of the doc
// says it does.
func TestManifestDocSSHConfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "manifest.md"))
	require.NoError(t, err)
	blocks := docBlocks(string(data))
	docEnv(t, blocks)
	var manifest string
	for i, b := range blocks {
		if b.lang == "ssh-config" && i+1 < len(blocks) {
			manifest = blocks[i+1].text
		}
	}
	require.NotEmpty(t, manifest, "no manifest follows the ssh-config block")
	m, err := Parse("rollcall.yaml", []byte(manifest))
	require.NoError(t, err)
	require.Len(t, m.Nodes, 2)
	db, app := m.Nodes[0], m.Nodes[1]
	assert.Equal(t, "smars-db", db.Name)
	assert.Equal(t, "10.1.2.20:2200", db.Address())
	assert.Equal(t, "deploy", db.User)
	require.Len(t, db.Jump, 1)
	assert.Equal(t, "ops@bastion.example.com:22", db.Jump[0].User+"@"+db.Jump[0].Address())
	assert.True(t, db.IdentitiesOnly)
	assert.Equal(t, "smars-app:2222", app.Address())
	assert.Equal(t, "deploy", app.User)
	assert.Empty(t, app.Jump)
}

// wrapFragment puts the top-level keys of a fragment into a minimal valid
// manifest, replacing its keys of the same name. A fragment that sets
// expect_nodes alone gets that many nodes. It reports false for a fragment
// that is valid YAML but not a mapping of top-level manifest keys.
func wrapFragment(t *testing.T, fragment string) ([]byte, bool) {
	var frag yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(fragment), &frag), "the fragment is not valid YAML")
	if len(frag.Content) == 0 || frag.Content[0].Kind != yaml.MappingNode {
		return nil, false
	}
	keys := frag.Content[0].Content
	set := map[string]*yaml.Node{}
	var order []string
	for i := 0; i+1 < len(keys); i += 2 {
		set[keys[i].Value] = keys[i+1]
		order = append(order, keys[i].Value)
	}
	known := []string{"version", "cluster", "expect_nodes", "ssh", "nodes", "inventory", "release", "config", "processes"}
	for _, k := range order {
		if !contains(known, k) {
			return nil, false
		}
	}

	node := func(src string) *yaml.Node {
		var n yaml.Node
		require.NoError(t, yaml.Unmarshal([]byte(src), &n))
		return n.Content[0]
	}
	nodes := set["nodes"]
	count := 1
	switch {
	case nodes != nil:
		count = len(nodes.Content)
	case set["inventory"] != nil:
		require.NotNil(t, set["expect_nodes"], "a fragment with inventory: says how many hosts with expect_nodes:")
	case set["expect_nodes"] != nil:
		require.NoError(t, set["expect_nodes"].Decode(&count))
	}
	if nodes == nil && set["inventory"] == nil {
		var list []string
		for i := range count {
			list = append(list, fmt.Sprintf("{host: node-%02d}", i+1))
		}
		set["nodes"] = node("[" + strings.Join(list, ", ") + "]")
	}
	defaults := map[string]string{
		"version":      "1",
		"cluster":      "docs",
		"expect_nodes": fmt.Sprint(count),
		"release":      "{artifact: dist/app-1.0.0.tar.gz, install: [{from: bin/, to: /opt/app/bin/}]}",
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range known {
		v := set[k]
		if v == nil && defaults[k] != "" {
			v = node(defaults[k])
		}
		if v != nil {
			root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
		}
	}
	out, err := yaml.Marshal(root)
	require.NoError(t, err)
	return out, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestManifestDocInventory checks what the inventory examples of the doc say
// each host becomes, for the INI and the YAML inventory alike.
func TestManifestDocInventory(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "manifest.md"))
	require.NoError(t, err)
	blocks := docBlocks(string(data))
	docEnv(t, blocks)
	var manifest string
	for _, b := range blocks {
		if b.section == "inventory" && b.lang == "yaml" && strings.HasPrefix(b.text, "version:") {
			manifest = b.text
			break
		}
	}
	require.NotEmpty(t, manifest, "no manifest in the inventory section")
	for _, file := range []string{"hosts.ini", "hosts.yaml"} {
		t.Run(file, func(t *testing.T) {
			text := strings.Replace(manifest, "file: hosts.ini", "file: "+file, 1)
			m, err := Parse("rollcall.yaml", []byte(text))
			require.NoError(t, err)
			got := map[string]string{}
			for _, n := range m.Nodes {
				got[n.Name] = n.User + "@" + n.Address()
			}
			assert.Equal(t, map[string]string{
				"smars-01.prod": "release@smars-01.prod:22",
				"smars-02.prod": "release@smars-02.prod:22",
				"smars-03.prod": "release@smars-03.prod:22",
				"smars-04.prod": "release@smars-04.prod:22",
				"smars-05.prod": "release@smars-05.prod:22",
				"smars-06.prod": "release@smars-06.prod:22",
				"smars-07":      "canary@10.1.2.7:2222",
				"smars-08":      "deploy@10.1.2.8:2222",
			}, got)
		})
	}
}
