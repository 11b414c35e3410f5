//go:build unix

package journal

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockFile holds the advisory lock on PATH.lock that makes one refbatch
// process the journal's only writer. flock locks belong to the open file
// description, so a second Open in the same process is refused too, and the
// kernel drops the lock when the process dies, however it dies.
type lockFile struct{ f *os.File }

func acquireLock(journalPath string) (*lockFile, error) {
	name := journalPath + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal %s: lock: %w", journalPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			pid := strings.TrimSpace(string(b[:n]))
			if _, err := strconv.Atoi(pid); err != nil {
				pid = "unknown"
			}
			return nil, newOpenError(ErrInUse, "journal %s is in use by another refbatch process (pid %s)", journalPath, pid)
		}
		return nil, fmt.Errorf("journal %s: lock %s: %w", journalPath, name, err)
	}
	// The pid is for the message above only; the lock is the flock. The
	// file is never removed: removing it would let two processes lock two
	// different files of the same name.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &lockFile{f: f}, nil
}

func (l *lockFile) release() error {
	if l == nil {
		return nil
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return l.f.Close()
}
