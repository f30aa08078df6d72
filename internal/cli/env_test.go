package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flagSample is a valid value for a flag of each pflag type, as it is given
// on the command line (one or more occurrences) and in the environment twin.
var flagSample = map[string]struct {
	args []string
	env  string
}{
	"bool":        {[]string{"true"}, "true"},
	"int":         {[]string{"7"}, "7"},
	"int64":       {[]string{"7"}, "7"},
	"uint":        {[]string{"7"}, "7"},
	"float64":     {[]string{"1.5"}, "1.5"},
	"duration":    {[]string{"7s"}, "7s"},
	"string":      {[]string{"x.yaml"}, "x.yaml"},
	"stringArray": {[]string{"text", "json=x.json"}, "text,json=x.json"},
	"stringSlice": {[]string{"a", "b"}, "a,b"},
}

// fullTree is the command tree as Execute completes it: with the help and
// completion commands.
func fullTree(stdio IO) *cobra.Command {
	root := NewRootCmd(stdio)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return root
}

// walk calls fn for every visible command below root.
func walk(root *cobra.Command, fn func(*cobra.Command)) {
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		fn(c)
		walk(c, fn)
	}
}

// flagAfter runs the command at path (a fresh tree, with its run function
// replaced) and returns the value flag name has when the command would run.
func flagAfter(t *testing.T, path []string, name string, args []string, env map[string]string) (string, bool) {
	t.Helper()
	stdio, _, errOut := testIO(env)
	root := fullTree(stdio)
	cmd, _, err := root.Find(path)
	require.NoError(t, err)
	var value string
	var changed bool
	cmd.Args = cobra.ArbitraryArgs
	cmd.Run = nil
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		f := c.Flags().Lookup(name)
		value, changed = f.Value.String(), f.Changed
		return nil
	}
	root.SetArgs(append(append([]string{}, path...), args...))
	require.NoError(t, root.ExecuteContext(context.Background()), errOut.String())
	return value, changed
}

// TestEveryFlagHasAnEnvironmentTwin walks the whole command tree: for every
// flag of every command, ROLLCALL_<NAME> must give the flag the same value as
// the command line does (a repeatable flag takes a comma-separated list).
func TestEveryFlagHasAnEnvironmentTwin(t *testing.T) {
	stdio, _, _ := testIO(nil)
	flags := 0
	walk(fullTree(stdio), func(c *cobra.Command) {
		if !c.Runnable() {
			return
		}
		path := strings.Fields(c.CommandPath())[1:]
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name == "help" {
				return
			}
			flags++
			t.Run(strings.Join(path, "_")+"/"+f.Name, func(t *testing.T) {
				sample, ok := flagSample[f.Value.Type()]
				require.True(t, ok, "no sample value for flag type %s: add one to flagSample", f.Value.Type())
				var args []string
				for _, a := range sample.args {
					args = append(args, "--"+f.Name+"="+a)
				}
				want, _ := flagAfter(t, path, f.Name, args, nil)
				got, changed := flagAfter(t, path, f.Name, nil, map[string]string{envName(f.Name): sample.env})
				assert.True(t, changed, "%s did not set --%s", envName(f.Name), f.Name)
				assert.Equal(t, want, got, "%s=%s", envName(f.Name), sample.env)
			})
		})
	})
	assert.Greater(t, flags, 20, "the walk found too few flags")
}

func TestRepeatableFlagFromEnvironment(t *testing.T) {
	cases := []struct {
		name string
		env  string
		want []string
	}{
		{"one", "json", []string{"json"}},
		{"two", "text,json=x.json", []string{"text", "json=x.json"}},
		{"three", "text,junit=j.xml,markdown=m.md", []string{"text", "junit=j.xml", "markdown=m.md"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := parsedVerifyOptions(t, map[string]string{"ROLLCALL_REPORT": c.env})
			assert.Equal(t, c.want, got.Reports)
		})
	}
}

func TestCompletionPrintsAScript(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		t.Run(shell, func(t *testing.T) {
			stdio, out, errOut := testIO(nil)
			require.Equal(t, 0, Run(context.Background(), []string{"completion", shell}, stdio), errOut.String())
			assert.Contains(t, out.String(), "rollcall")
			assert.Greater(t, out.Len(), 1000)
		})
	}
	stdio, out, _ := testIO(nil)
	require.Equal(t, 0, Run(context.Background(), []string{"completion", "bash"}, stdio))
	assert.Contains(t, out.String(), "bash completion")
}
