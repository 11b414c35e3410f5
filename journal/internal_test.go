package journal

import (
	"testing"
	"testing/fstest"
)

func TestMigrationsNumbered(t *testing.T) {
	if SchemaVersion < 1 || migrations[0].name != "0001_init.sql" {
		t.Fatalf("migrations %v", migrations)
	}
	gap := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("SELECT 1")},
		"migrations/0003_b.sql": {Data: []byte("SELECT 1")},
	}
	if _, err := loadMigrations(gap); err == nil {
		t.Fatal("a gap in the migrations was accepted")
	}
	if _, err := loadMigrations(fstest.MapFS{"migrations/init.sql": {}}); err == nil {
		t.Fatal("an unnumbered migration was accepted")
	}
}
