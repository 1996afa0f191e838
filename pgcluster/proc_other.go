//go:build !unix

package pgcluster

import (
	"errors"
	"syscall"
)

// supported is false: pgcluster supervises processes the Unix way.
const supported = false

func sysProcAttr(*owner, syscall.Signal) *syscall.SysProcAttr { return nil }

func killGroup(int) error { return errors.ErrUnsupported }

func processAlive(int) bool { return true }
