package pgcluster

import "syscall"

// sysProcAttr puts the child in its own process group (so a terminal's
// Ctrl-C reaches only this process, which then stops the server in
// order), makes the kernel send it parentDeath when this process dies,
// and runs it as o when o is not nil.
func sysProcAttr(o *owner, parentDeath syscall.Signal) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: parentDeath}
	if o != nil {
		attr.Credential = &syscall.Credential{Uid: uint32(o.uid), Gid: uint32(o.gid)}
	}
	return attr
}
