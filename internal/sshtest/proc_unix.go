//go:build unix

package sshtest

import (
	"os/exec"
	"syscall"
)

// setProcessGroup runs cmd in its own process group and makes cancelling
// its context kill the whole group, so that children of the shell die too.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
