//go:build unix

package journal_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/refbatch/refbatch/journal"
)

// TestOneWriterHoweverNamed: while a journal is open for writing, opening
// it again through a symlink, a hard link or a relative path is refused
// (ErrInUse): the lock is on the file, not on the name.
func TestOneWriterHoweverNamed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "j.db")
	j, err := journal.Open(ctx, path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()

	symlink := filepath.Join(dir, "alias.db")
	if err := os.Symlink(path, symlink); err != nil {
		t.Fatal(err)
	}
	hardlink := filepath.Join(dir, "hard.db")
	if err := os.Link(path, hardlink); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	for _, name := range []string{symlink, hardlink, "../j.db", path} {
		j2, err := journal.Open(ctx, name, journal.Options{})
		if err == nil {
			j2.Close()
			t.Errorf("a second writer opened %s while %s is open", name, path)
			continue
		}
		if !errors.Is(err, journal.ErrInUse) {
			t.Errorf("open %s: %v, want ErrInUse", name, err)
		}
	}
	// Once the first writer is gone, the alias opens.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j3, err := journal.Open(ctx, symlink, journal.Options{})
	if err != nil {
		t.Fatalf("open through the symlink after close: %v", err)
	}
	j3.Close()
}

// TestDamagedWALIsRefused: a write-ahead log whose header is not SQLite's
// is refused with ErrDamaged instead of being dropped with its commits.
func TestDamagedWALIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "j.db")
	j, err := journal.Open(ctx, path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+"-wal", []byte("not a write-ahead log header, cut"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = journal.Open(ctx, path, journal.Options{})
	if !errors.Is(err, journal.ErrDamaged) {
		t.Fatalf("open with a damaged WAL: %v, want ErrDamaged", err)
	}
}
