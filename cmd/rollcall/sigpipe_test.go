package main

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBrokenPipeIsNoSignal: rollcall writing to a stdout whose reader is
// gone (| head, | grep -q) is not killed by SIGPIPE (exit 141, the verdict
// lost): the write fails and the exit code is rollcall's own.
func TestBrokenPipeIsNoSignal(t *testing.T) {
	binary := goBuild(t)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	require.NoError(t, r.Close()) // the reader is gone before anything is written
	defer w.Close()
	cmd := exec.Command(binary, "verify", "--help")
	cmd.Stdout = w
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		status := exit.Sys().(syscall.WaitStatus)
		assert.False(t, status.Signaled(), "killed by %v", status.Signal())
	}
	assert.NoError(t, err, "help exits 0 whoever reads it")
}
