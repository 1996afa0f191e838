package migration_test

import (
	"testing"
	"testing/fstest"

	"github.com/safemigrate/safemigrate/migration"
	"github.com/stretchr/testify/assert"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		base          string
		version, name string
		ok            bool
	}{
		{"0003_add_email", "0003", "add_email", true},
		{"20260101120000_create_users", "20260101120000", "create_users", true},
		{"1_x", "1", "x", true},
		{"0001_a_b_c", "0001", "a_b_c", true},
		{"0001__double", "0001", "_double", true},
		{"create_users", "", "", false},
		{"0001", "", "", false},
		{"0001_", "", "", false},
		{"_0001_x", "", "", false},
		{"0001x_y", "", "", false},
		{"", "", "", false},
		{"١٢_arabic_digits", "", "", false},
		// Flyway IDs: a dotted version is followed by "__".
		{"1.2__add_users", "1.2", "add_users", true},
		{"1.2.10__x", "1.2.10", "x", true},
		{"1__add_users", "1", "_add_users", true},
		{"1.2_x", "", "", false},
		{"1.2__", "", "", false},
		{"1._x", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			v, n, ok := migration.ParseName(tt.base)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.version, v)
			assert.Equal(t, tt.name, n)
		})
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		id                   string
		chain, version, name string
		ok                   bool
	}{
		{"0003_add_email", "", "0003", "add_email", true},
		{"billing/0002_invoices", "billing", "0002", "invoices", true},
		{"billing/notes", "billing", "", "", false},
		{"create_users", "", "", "", false},
		{"a/b/0001_x", "", "", "", false},
		{"/0001_x", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			c, v, n, ok := migration.ParseID(tt.id)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.chain, c)
			assert.Equal(t, tt.version, v)
			assert.Equal(t, tt.name, n)
		})
	}
}

func TestIsVersion(t *testing.T) {
	for s, want := range map[string]bool{"0001": true, "7": true, "20260101120000": true, "": false, "1a": false, "-1": false, "1.2": true, "1.2.10": true, "1.": false, ".1": false, "1..2": false, "1_2": false} {
		assert.Equal(t, want, migration.IsVersion(s), s)
	}
}

// The loader, lint and `new` read file names through ParseName; a file the
// rule rejects never loads.
func TestLoadAppliesParseName(t *testing.T) {
	for _, base := range []string{"0003_add_email", "create_users", "0001", "0001_", "0001x_y"} {
		fsys := fstest.MapFS{base + ".sql": file("-- safe: always\n")}
		ms, err := migration.Load(fsys, migration.Options{})
		_, _, ok := migration.ParseName(base)
		if ok {
			assert.NoError(t, err, base)
			assert.Len(t, ms, 1, base)
		} else {
			assert.ErrorContains(t, err, "no version prefix", base)
		}
	}
}
