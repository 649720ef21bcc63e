package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// apiAddrFile is the file in the data dir where `run` publishes its bound admin API address, so
// client commands and test harnesses find a peer started with --api 127.0.0.1:0.
const apiAddrFile = "api.addr"

// writeAPIAddr replaces DATA/api.addr atomically, so a reader never sees half an address.
func writeAPIAddr(dataDir, addr string) error {
	path := filepath.Join(dataDir, apiAddrFile)
	f, err := os.CreateTemp(dataDir, "."+apiAddrFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	_, werr := f.WriteString(addr + "\n")
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readAPIAddr returns the address in DATA/api.addr; fs.ErrNotExist (wrapped) if there is none.
func readAPIAddr(dataDir string) (string, error) {
	path := filepath.Join(dataDir, apiAddrFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	addr, err := loopbackAddr(strings.TrimSpace(string(b)))
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return addr, nil
}

// removeAPIAddr removes DATA/api.addr if it still names addr: a second peer wrongly started on
// the same data dir must not have its file removed by the first one's exit.
func removeAPIAddr(dataDir, addr string) error {
	cur, err := readAPIAddr(dataDir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && cur != addr) {
		return nil
	}
	path := filepath.Join(dataDir, apiAddrFile)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}
