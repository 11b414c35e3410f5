package batch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/refbatch/refbatch/journal"
)

// OpenJournal opens the journal at path for runs. With create, a missing
// journal is made (and its folder, readable only by the user); without, a
// missing journal is a usage error naming it, so that a mistyped path never
// leaves an empty journal behind (resume, status, export).
func OpenJournal(ctx context.Context, path string, create bool) (*journal.Journal, error) {
	if !create {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, usageErrorf("journal %s does not exist (--journal names the journal of the run)", path)
		}
	} else if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("journal %s: %w", path, err)
		}
	}
	return journal.Open(ctx, path, journal.Options{})
}
