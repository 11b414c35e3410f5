//go:build unix

package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFile holds the advisory lock that makes one refbatch process the
// journal's only writer. The lock is a flock on the journal file itself
// (SQLite's own locks are fcntl locks, which flock does not touch on Linux
// or the BSDs): it belongs to the file, not to a name, so a symlink, a hard
// link or a relative path to the same journal meets the same lock. flock
// locks belong to the open file description, so a second Open in the same
// process is refused too, and the kernel drops the lock when the process
// dies, however it dies. PATH.lock beside the resolved journal only holds
// the pid, for the message.
type lockFile struct{ f *os.File }

func acquireLock(journalPath string) (*lockFile, error) {
	resolved := resolvePath(journalPath)
	f, err := os.OpenFile(resolved, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal %s: lock: %w", journalPath, err)
	}
	pidFile := resolved + ".lock"
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := "unknown"
			if b, err := os.ReadFile(pidFile); err == nil {
				if p := strings.TrimSpace(string(b)); p != "" {
					if _, err := strconv.Atoi(p); err == nil {
						pid = p
					}
				}
			}
			also := ""
			if resolved != journalPath {
				also = " (it is " + resolved + ")"
			}
			return nil, newOpenError(ErrInUse, "journal %s%s is in use by another refbatch process (pid %s)", journalPath, also, pid)
		}
		return nil, fmt.Errorf("journal %s: lock: %w", journalPath, err)
	}
	_ = os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	return &lockFile{f: f}, nil
}

// resolvePath follows symlinks in path (as SQLite does when it opens it),
// for messages and the pid file; a path that does not resolve is returned
// as given.
func resolvePath(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		if abs, err := filepath.Abs(r); err == nil {
			return abs
		}
		return r
	}
	return path
}

func (l *lockFile) release() error {
	if l == nil {
		return nil
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return l.f.Close()
}
