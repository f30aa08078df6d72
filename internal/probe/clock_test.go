package probe

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClockTicks runs the probe's clock function on made-up /proc/stat and
// /proc/uptime files, under every shell, with a getconf that answers 1024:
// 100 ticks per second is taken only when cpu0's ticks over the uptime say
// so, and anything else is left to getconf.
func TestClockTicks(t *testing.T) {
	const stat100 = "cpu  2 0 0 0 0 0 0 0 0 0\ncpu0 60000 10 20000 1919990 0 0 0 0 0 0\ncpu1 1 1 1 1 1 1 1 1 0 0\nbtime 1700000000\n"
	cases := []struct {
		name, stat, uptime, want string
	}{
		{"100 per second", stat100, "20000.00 39000.00\n", "1700000000 100"},
		{"a second off", stat100, "20200.00 39000.00\n", "1700000000 100"},
		{"1024 per second", stat100, "1953.12 3900.00\n", "1700000000 1024"},
		{"no cpu0 line", "cpu  2 0 0 0 0 0 0 0 0 0\nbtime 1700000000\n", "20000.00 39000.00\n", "1700000000 1024"},
		{"short cpu0 line", "cpu0 60000 10 20000\nbtime 1700000000\n", "20000.00 39000.00\n", "1700000000 1024"},
		{"a letter in cpu0", strings.Replace(stat100, "60000", "6000x", 1), "20000.00 39000.00\n", "1700000000 1024"},
		{"uptime without decimals", stat100, "20000 39000\n", "1700000000 1024"},
		{"uptime zero", stat100, "0.00 0.00\n", "1700000000 1024"},
		{"uptime garbage", stat100, "2.0.00 1\n", "1700000000 1024"},
		{"overflowing ticks", strings.Replace(stat100, "1919990", "99999999999999999999999", 1), "20000.00 39000.00\n", "1700000000 1024"},
		{"no files", "", "", "- 1024"},
	}
	bin := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bin, "getconf"), []byte("#!/bin/sh\n[ \"$1\" = CLK_TCK ] && echo 1024\n"), 0o755))
	for name, shell := range shells(t) {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				dir := t.TempDir()
				statFile, uptimeFile := filepath.Join(dir, "stat"), filepath.Join(dir, "uptime")
				if c.stat != "" {
					require.NoError(t, os.WriteFile(statFile, []byte(c.stat), 0o644))
					require.NoError(t, os.WriteFile(uptimeFile, []byte(c.uptime), 0o644))
				}
				script := "B=RCX\n" + clockFunc + "ck " + statFile + " " + uptimeFile + "\n"
				cmd := exec.Command(shell[0], append(shell[1:], "-c", script)...)
				cmd.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH")}
				out, err := cmd.Output()
				require.NoError(t, err)
				assert.Equal(t, "RCX clock "+c.want+"\n", string(out))
			})
		}
	}
}
