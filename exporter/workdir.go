package exporter

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// workDir is the private directory beside an output (".OUT.refbatch-tmp",
// mode 0700) that holds everything a write puts on disk before the output
// is complete: the output under its temporary name, the finding and comment
// spools, excelize's StreamWriter files. Reports carry names, e-mails and
// phone numbers: a write that ends removes the directory, and one killed
// (kill -9, a crash) leaves it where the next write of the same output
// finds and removes it, rather than in $TMPDIR where nobody looks.
type workDir struct {
	path string
}

// workDirName is the private directory of output path.
func workDirName(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, "."+base+workDirSuffix)
}

const (
	workDirSuffix = ".refbatch-tmp"
	ownerFile     = "owner" // "refbatch PID HOST": who is writing
	ownerMagic    = "refbatch"
)

// staleWorkDirAge is how old a work directory whose owner cannot be shown
// dead (another host, an unreadable owner file) must be to count as left
// behind. A report of a million rows takes minutes, not an hour.
var staleWorkDirAge = time.Hour

// openWorkDir creates the work directory of output path, after removing a
// stale one left by a killed write. A live write of the same output (its
// process still runs) is an error: both would share the directory.
//
// A missing folder of path is made (0700), as a folder the user names for
// reports (an ignored .refbatch/, reports/2026-q3/) often does not exist yet.
func openWorkDir(path string) (*workDir, error) {
	p := workDirName(path)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	for range 2 {
		err := os.Mkdir(p, 0o700)
		if err == nil {
			w := &workDir{path: p}
			host, _ := os.Hostname()
			owner := fmt.Sprintf("%s %d %s\n", ownerMagic, os.Getpid(), host)
			if err := os.WriteFile(filepath.Join(p, ownerFile), []byte(owner), 0o600); err != nil {
				w.remove()
				return nil, err
			}
			return w, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if err := removeStaleWorkDir(p); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%s: could not create a private temporary directory", p)
}

// removeStaleWorkDir removes the work directory p when the write that made
// it is over: its process is gone (same host), or it is older than
// staleWorkDirAge. A directory refbatch did not make (no owner file, not
// empty) is left alone and is an error.
func removeStaleWorkDir(p string) error {
	st, err := os.Lstat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s exists and is not refbatch's temporary directory: remove it", p)
	}
	owner, err := os.ReadFile(filepath.Join(p, ownerFile))
	if err != nil {
		// Killed between Mkdir and writing the owner file: empty.
		if entries, derr := os.ReadDir(p); derr == nil && len(entries) == 0 {
			return os.Remove(p)
		}
		return fmt.Errorf("%s exists and is not refbatch's temporary directory: remove it", p)
	}
	f := strings.Fields(string(owner))
	if len(f) < 2 || f[0] != ownerMagic {
		return fmt.Errorf("%s exists and is not refbatch's temporary directory: remove it", p)
	}
	pid, _ := strconv.Atoi(f[1])
	host, _ := os.Hostname()
	sameHost := len(f) < 3 || f[2] == host
	stale := time.Since(st.ModTime()) > staleWorkDirAge
	if sameHost && pid > 0 && pid != os.Getpid() && !processAlive(pid) {
		stale = true
	}
	if !stale {
		return fmt.Errorf("another refbatch (process %s) is writing this file, in %s: wait for it, or remove that directory if no such process runs", f[1], p)
	}
	return os.RemoveAll(p)
}

// processAlive reports whether process pid (on this host) still runs.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false // Windows: no such process
	}
	// Signal 0 checks without signalling; where it is not supported
	// (Windows) FindProcess succeeding says enough.
	err = p.Signal(syscall.Signal(0))
	return !errors.Is(err, os.ErrProcessDone)
}

// file creates a new temporary file (mode 0600) in the directory.
func (w *workDir) file(pattern string) (*os.File, error) {
	return os.CreateTemp(w.path, pattern)
}

// remove deletes the directory and all it holds; it is a no-op once done.
func (w *workDir) remove() {
	if w == nil || w.path == "" {
		return
	}
	_ = os.RemoveAll(w.path)
	w.path = ""
}
