//go:build unix && !linux

package pgcluster

import "syscall"

// sysProcAttr puts the child in its own process group and runs it as o
// when o is not nil. Without Linux's parent-death signal, a server whose
// parent was killed outlives it until the stale-directory sweep of a
// later [Start] removes its data directory, which makes it shut down.
func sysProcAttr(o *owner, _ syscall.Signal) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if o != nil {
		attr.Credential = &syscall.Credential{Uid: uint32(o.uid), Gid: uint32(o.gid)}
	}
	return attr
}

// zombie reports false: without /proc, zombies count as alive.
func zombie(int) bool { return false }
