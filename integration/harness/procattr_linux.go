package harness

import "syscall"

// sysProcAttr makes the kernel kill a peer when the test process dies (a test timeout panics
// past t.Cleanup), so no peer outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
