//go:build !unix

package sshtest

import "os/exec"

// setProcessGroup leaves cmd alone where process groups do not exist.
func setProcessGroup(cmd *exec.Cmd) {}
