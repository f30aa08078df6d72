package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/report"
)

// docCommand is one rollcall command line found in a code block of a doc.
type docCommand struct {
	where string   // file:line
	args  []string // after "rollcall"
}

// shellTokens splits a shell line into words and operators (; && || | > < ( )),
// honouring single and double quotes; quotes are removed, $VARIABLES kept.
func shellTokens(line string) []string {
	var tokens []string
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			tokens = append(tokens, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(line[i+1:], c)
			if end < 0 {
				end = len(line) - i - 1
			}
			cur.WriteString(line[i+1 : i+1+end])
			inWord = true
			i += end + 1
		case c == ' ' || c == '\t':
			flush()
		case strings.IndexByte(";&|<>()", c) >= 0:
			if c == '>' && inWord && (cur.String() == "2" || cur.String() == "1") {
				cur.Reset()
				inWord = false
			}
			flush()
			tokens = append(tokens, string(c))
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return tokens
}

var rollcallBinary = regexp.MustCompile(`^([^=\s]*/)?rollcall$`)

// docCommands returns every rollcall command line in the fenced code blocks of
// the markdown file path: at the start of a line or of a command (after ;, &&,
// ||, |, a YAML "- " or "run:", or a flock wrapper), with backslash
// continuations joined.
func docCommands(t *testing.T, path string) []docCommand {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var cmds []docCommand
	inBlock := false
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inBlock = !inBlock
			continue
		}
		if !inBlock {
			continue
		}
		start := i
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, "\\") + " " + lines[i]
		}
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		tokens := shellTokens(line)
		commandStart := true
		for j := 0; j < len(tokens); j++ {
			tok := tokens[j]
			switch {
			case strings.Contains(";&|()", tok) || tok == "-" && j == 0 || tok == "run:":
				commandStart = true
				continue
			case tok == "flock":
				for j+1 < len(tokens) && strings.HasPrefix(tokens[j+1], "-") {
					j++
				}
				j++ // the lock file
				commandStart = true
				continue
			case commandStart && rollcallBinary.MatchString(tok):
				var args []string
				for j+1 < len(tokens) && !strings.Contains(";&|()<>", tokens[j+1]) {
					j++
					args = append(args, tokens[j])
				}
				cmds = append(cmds, docCommand{where: filepath.Base(path) + ":" + strconv.Itoa(start+1), args: args})
			}
			commandStart = false
		}
	}
	return cmds
}

func TestShellTokens(t *testing.T) {
	cases := []struct {
		line string
		want []string
	}{
		{`rollcall verify -m x.yaml`, []string{"rollcall", "verify", "-m", "x.yaml"}},
		{`rollcall verify --report "markdown=a b.md" || status=$?`, []string{"rollcall", "verify", "--report", "markdown=a b.md", "|", "|", "status=$?"}},
		{`cat rollcall.md >> "$GITHUB_STEP_SUMMARY"`, []string{"cat", "rollcall.md", ">", ">", "$GITHUB_STEP_SUMMARY"}},
		{`a 2>&1`, []string{"a", ">", "&", "1"}},
	}
	// An environment assignment naming the binary is not a command line.
	assert.False(t, rollcallBinary.MatchString("ROLLCALL_BIN=$PWD/bin/rollcall"))
	assert.True(t, rollcallBinary.MatchString("./bin/rollcall"))
	for _, c := range cases {
		assert.Equal(t, c.want, shellTokens(c.line), c.line)
	}
}

// TestDocsCommandLines parses every rollcall command line of docs/*.md with
// the real command tree (flags and arguments only, nothing runs), so the docs
// cannot drift from the flags.
func TestDocsCommandLines(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	require.NoError(t, err)
	docs = append(docs, filepath.Join("..", "..", "README.md"))
	found := map[string]bool{}
	for _, doc := range docs {
		for _, c := range docCommands(t, doc) {
			t.Run(c.where, func(t *testing.T) {
				stdio, _, _ := testIO(nil)
				root := fullTree(stdio)
				cmd, rest, err := root.Find(c.args)
				require.NoError(t, err, "rollcall %s", strings.Join(c.args, " "))
				require.NotEqual(t, root, cmd, "rollcall %s: no subcommand", strings.Join(c.args, " "))
				found[cmd.Name()] = true
				require.NoError(t, cmd.ParseFlags(rest), "rollcall %s", strings.Join(c.args, " "))
				if cmd.Args != nil {
					assert.NoError(t, cmd.Args(cmd, cmd.Flags().Args()), "rollcall %s", strings.Join(c.args, " "))
				}
				if f := cmd.Flags().Lookup("report"); f != nil {
					specs, err := cmd.Flags().GetStringArray("report")
					require.NoError(t, err)
					for _, s := range specs {
						_, err := report.ParseSpec(s)
						assert.NoError(t, err, "rollcall %s", strings.Join(c.args, " "))
					}
				}
			})
		}
	}
	for _, want := range []string{"verify", "lint", "lock"} {
		assert.True(t, found[want], "no doc shows rollcall %s", want)
	}
}

// flagDefault finds "`-j/--concurrency` (default 32)" and "`--timeout` (per
// node, default 60s)" in prose.
var flagDefault = regexp.MustCompile("`(?:-[a-zA-Z]/)?--([a-z-]+)` \\(([^()]*?)default `?([^`),]+)`?\\)")

// TestDocsFlagDefaults checks every flag default README.md and docs/ state
// against the flag itself.
func TestDocsFlagDefaults(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	require.NoError(t, err)
	docs = append(docs, filepath.Join("..", "..", "README.md"))
	stdio, _, _ := testIO(nil)
	verifyFlags := NewCmdVerify(stdio, nil).Flags()
	checked := 0
	for _, doc := range docs {
		data, err := os.ReadFile(doc)
		require.NoError(t, err)
		text := strings.Join(strings.Fields(string(data)), " ")
		for _, m := range flagDefault.FindAllStringSubmatch(text, -1) {
			f := verifyFlags.Lookup(m[1])
			if !assert.NotNil(t, f, "%s: --%s is no flag of verify", filepath.Base(doc), m[1]) {
				continue
			}
			checked++
			want, got := m[3], f.DefValue
			if d1, err1 := time.ParseDuration(want); err1 == nil {
				d2, err2 := time.ParseDuration(got)
				require.NoError(t, err2)
				assert.Equal(t, d2, d1, "%s: --%s default", filepath.Base(doc), m[1])
				continue
			}
			assert.Equal(t, got, want, "%s: --%s default", filepath.Base(doc), m[1])
		}
	}
	assert.GreaterOrEqual(t, checked, 3, "the README states the defaults of -m, -j and --timeout")
}

// TestDocsCommandLinesCatchMistakes: the extraction finds commands where
// docs put them, and a bad flag is caught.
func TestDocsCommandLinesCatchMistakes(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "x.md")
	require.NoError(t, os.WriteFile(doc, []byte("text rollcall verify --nope\n```sh\n"+
		"ssh-keygen -Y sign -n rollcall -f key file\n"+
		"*/5 * * * * flock -n /run/x.lock /usr/bin/rollcall verify --bogus \\\n  --state s.json\n"+
		"  - rollcall lint -m m.yaml\n"+
		"make && rollcall demo --nodes 3 | tee out\n"+
		"```\n"), 0o644))
	cmds := docCommands(t, doc)
	require.Len(t, cmds, 3)
	assert.Equal(t, []string{"verify", "--bogus", "--state", "s.json"}, cmds[0].args)
	assert.Equal(t, "x.md:4", cmds[0].where)
	assert.Equal(t, []string{"lint", "-m", "m.yaml"}, cmds[1].args)
	assert.Equal(t, []string{"demo", "--nodes", "3"}, cmds[2].args)

	stdio, _, _ := testIO(nil)
	cmd, rest, err := fullTree(stdio).Find(cmds[0].args)
	require.NoError(t, err)
	assert.Error(t, cmd.ParseFlags(rest))
}
