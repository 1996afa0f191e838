//go:build unix

package pgcluster

import (
	"errors"
	"syscall"
)

const supported = true

// killGroup sends SIGKILL to the process group led by pid.
func killGroup(pid int) error {
	return syscall.Kill(-pid, syscall.SIGKILL)
}

// processAlive reports whether a process with this pid exists and has
// not exited (a zombie waiting to be reaped counts as dead).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return (err == nil || errors.Is(err, syscall.EPERM)) && !zombie(pid)
}
