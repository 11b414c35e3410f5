package exporter

import (
	"fmt"
	"os"
	"path/filepath"
)

// atomicFile is an output written under a temporary name in its work
// directory (beside the destination, so on its file system) and renamed
// into place by commit, so a reader never sees a partial file and a failed
// or aborted write leaves nothing at the path. os.CreateTemp makes it 0600:
// reports carry customer data (SPEC §10).
type atomicFile struct {
	*os.File
	path string
	done bool
}

func createAtomic(path string, wd *workDir) (*atomicFile, error) {
	f, err := wd.file(filepath.Base(path) + ".*.tmp")
	if err != nil {
		return nil, err
	}
	return &atomicFile{File: f, path: path}, nil
}

// commit flushes the file to disk and renames it to its final path.
func (a *atomicFile) commit() error {
	if a.done {
		return fmt.Errorf("%s: already finished", a.path)
	}
	a.done = true
	tmp := a.Name()
	if err := a.Sync(); err != nil {
		_ = a.Close()
		_ = os.Remove(tmp)
		return err
	}
	if err := a.Close(); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, a.path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// discard closes and removes the temporary file; it is a no-op once the file
// was committed or discarded.
func (a *atomicFile) discard() error {
	if a.done {
		return nil
	}
	a.done = true
	_ = a.Close()
	if err := os.Remove(a.Name()); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
