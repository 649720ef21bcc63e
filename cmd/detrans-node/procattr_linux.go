package main

import "syscall"

// childProcAttr makes the kernel kill a peer that bench started when bench itself dies, so an
// interrupted bench leaves no peers behind.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
