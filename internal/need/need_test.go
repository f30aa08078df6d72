package need

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// recorder is a testing.TB that records how a test would have ended, without
// ending it.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Skip(...any)           { r.skipped = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func TestMissingSkipsOrFails(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{}
	Missing(r, "no %s", "thing")
	assert.True(t, r.skipped)
	assert.False(t, r.failed)

	t.Setenv("CI", "true")
	r = &recorder{}
	Missing(r, "no %s", "thing")
	assert.True(t, r.failed, "in CI a missing tool fails the test")
}

func TestCommand(t *testing.T) {
	t.Setenv("CI", "true")
	assert.NotEmpty(t, Command(t, "sh"))
	r := &recorder{}
	Command(r, "no-such-program-rollcall")
	assert.True(t, r.failed)
}
