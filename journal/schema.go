package journal

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// applicationID marks a refbatch journal ("RFBJ" in the SQLite header), so
// that another program's SQLite file is refused rather than migrated.
const applicationID = 0x5246424A

type migration struct {
	version int
	name    string
	sql     string
}

// migrations are the embedded migrations, in order; their versions are
// 1..len(migrations) without gaps (checked by loadMigrations and a test).
var migrations = mustLoadMigrations()

// SchemaVersion is the newest journal schema this build knows. A journal
// with a higher version was written by a newer refbatch and is refused.
var SchemaVersion = len(migrations)

func mustLoadMigrations() []migration {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		panic(err)
	}
	return ms
}

func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("journal migration %s: name must start with a version number and '_'", base)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, k int) bool { return ms[i].version < ms[k].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("journal migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// sqliteMagic opens every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// header is what the 100-byte SQLite file header says about a journal.
type header struct {
	empty         bool // a zero-length file: a journal not created yet
	userVersion   int  // our schema version
	applicationID uint32
}

// readHeader checks that path is a SQLite database, from its header alone,
// before SQLite (or a DSN pragma) gets a chance to change anything. The
// header may lag behind a WAL that was not checkpointed, so checkSchema
// repeats the checks on the open database.
func readHeader(path string) (header, error) {
	f, err := os.Open(path)
	if err != nil {
		return header{}, err
	}
	defer f.Close()
	var b [100]byte
	n, err := io.ReadFull(f, b[:])
	switch {
	case n == 0 && (err == io.EOF || err == nil):
		return header{empty: true}, nil
	case errors.Is(err, io.ErrUnexpectedEOF) || (err == nil && !bytes.Equal(b[:16], sqliteMagic)):
		return header{}, newOpenError(ErrNotJournal, "journal %s is not a SQLite database (file is not a database)", path)
	case err != nil:
		return header{}, err
	}
	return header{
		userVersion:   int(int32(binary.BigEndian.Uint32(b[60:64]))),
		applicationID: binary.BigEndian.Uint32(b[68:72]),
	}, nil
}

// check refuses a header that is not a refbatch journal this build can use.
func (h header) check(path string) error {
	if h.empty {
		return nil
	}
	if h.applicationID != 0 && h.applicationID != applicationID {
		return newOpenError(ErrNotJournal, "journal %s is a SQLite database but not a refbatch journal (application_id %#x)", path, h.applicationID)
	}
	if h.userVersion > SchemaVersion {
		return newerSchema(path, h.userVersion)
	}
	return nil
}

func newerSchema(path string, v int) error {
	return newOpenError(ErrNewerSchema, "journal %s has schema version %d; this refbatch knows up to %d: upgrade refbatch", path, v, SchemaVersion)
}

// schemaState is what the open database says about its schema.
type schemaState struct {
	version       int
	applicationID uint32
	objects       int // tables, indexes… in sqlite_schema
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readSchemaState(ctx context.Context, q querier) (schemaState, error) {
	var s schemaState
	var app int64
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&s.version); err != nil {
		return s, err
	}
	if err := q.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return s, err
	}
	s.applicationID = uint32(app)
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&s.objects); err != nil {
		return s, err
	}
	return s, nil
}

// check refuses a database that is not a refbatch journal at all, or one
// newer than this build. A database with no objects and no marks is new.
func (s schemaState) check(path string) error {
	if s.applicationID != applicationID && (s.applicationID != 0 || s.objects > 0 || s.version != 0) {
		return newOpenError(ErrNotJournal, "journal %s is a SQLite database but not a refbatch journal", path)
	}
	if s.version > SchemaVersion {
		return newerSchema(path, s.version)
	}
	return nil
}

// migrate brings the journal up to SchemaVersion, every pending migration in
// one transaction: a journal is never left half-migrated. It runs on the
// writer connection, whose BEGIN is IMMEDIATE, so the checks and the
// migrations see the same database.
func migrate(ctx context.Context, db *sql.DB, path string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	s, err := readSchemaState(ctx, tx)
	if err != nil {
		return err
	}
	if err := s.check(path); err != nil {
		return err
	}
	if s.version == SchemaVersion {
		return nil
	}
	for _, m := range migrations[s.version:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		// PRAGMA takes no parameters; the version is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return tx.Commit()
}
