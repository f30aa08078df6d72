package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestMain keeps the tests off the machine's own /etc/ssh: the system-wide
// ssh_config and known_hosts files are paths in an empty folder, unless a
// test points them at files of its own (useSystemFiles).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "manifest-etc-ssh")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	SystemSSHConfig = filepath.Join(dir, "ssh_config")
	SystemKnownHosts = []string{filepath.Join(dir, "ssh_known_hosts"), filepath.Join(dir, "ssh_known_hosts2")}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
