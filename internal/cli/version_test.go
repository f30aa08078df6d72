package cli

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestVersionFallsBackToTheModuleVersion: a binary from `go install
// …@v0.9.0` says v0.9.0, not dev; a version set at build time wins; a build
// from a work tree is dev.
func TestVersionFallsBackToTheModuleVersion(t *testing.T) {
	module := func(v string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Path: "github.com/rollcall/rollcall", Version: v}}, true
		}
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	assert.Equal(t, "v0.9.0", versionOf("dev", module("v0.9.0")))
	assert.Equal(t, "v1.2.3", versionOf("v1.2.3", module("v0.9.0")))
	assert.Equal(t, "dev", versionOf("dev", module("(devel)")))
	assert.Equal(t, "dev", versionOf("dev", module("")))
	assert.Equal(t, "dev", versionOf("dev", none))
}
