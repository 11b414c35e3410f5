//go:build !unix

package journal

import (
	"fmt"
	"os"
)

// lockFile on systems without flock only creates PATH.lock: two refbatch
// processes writing one journal are not prevented there (SQLite's own
// locking still keeps the file consistent).
type lockFile struct{ f *os.File }

func acquireLock(journalPath string) (*lockFile, error) {
	f, err := os.OpenFile(journalPath+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal %s: lock: %w", journalPath, err)
	}
	return &lockFile{f: f}, nil
}

func (l *lockFile) release() error {
	if l == nil {
		return nil
	}
	return l.f.Close()
}
