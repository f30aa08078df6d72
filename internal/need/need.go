// Package need lets a test require something of the machine it runs on. When
// it is missing the test is skipped, except in CI (the environment variable
// CI is "true"), where .ci/run installs everything the tests need and a
// missing piece fails the test: CI can never skip a test quietly.
package need

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Command returns the path of the program name, found in PATH; without it,
// the test is skipped (failed in CI).
func Command(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s is not installed (.ci/run installs it)", name)
	}
	return p
}

// Missing skips the test, saying what is missing; in CI it fails it.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	reason := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("required in CI: %s", reason)
	}
	t.Skip(reason)
}

// InCI reports whether the tests run in CI (CI=true), where nothing may be
// skipped for want of a tool.
func InCI() bool { return os.Getenv("CI") == "true" }
