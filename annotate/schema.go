package annotate

import (
	"strings"
)

// Schema is what safemigrate knows of the database from the migrations it
// has analysed so far: tables, their column types, their CHECK
// constraints, and which index belongs to which table. Analyse migrations
// in order through one Schema and later ones know, for example, the old
// type of a column whose type changes.
//
// A Schema is not safe for concurrent use.
type Schema struct {
	tables  map[string]*table
	indexes map[string]string   // index key -> table key
	views   map[string][]string // view key -> its column names, nil when unknown
}

type table struct {
	cols   map[string]typeRef
	checks map[string]*check // constraint name -> check
	// keys are the columns that lead an index (primary key, unique
	// constraint, CREATE INDEX); nil when the table's indexes are unknown.
	keys map[string]bool
}

type check struct {
	notNullCol string // column of a CHECK (col IS NOT NULL), else ""
	valid      bool
}

// NewSchema returns an empty Schema.
func NewSchema() *Schema {
	return &Schema{tables: map[string]*table{}, indexes: map[string]string{}, views: map[string][]string{}}
}

// relKey normalises a relation name: public and unqualified are the same.
func relKey(schema, name string) string {
	if schema == "" || schema == "public" {
		return name
	}
	return schema + "." + name
}

// rangeVarKey is the key of a RangeVar node's content.
func rangeVarKey(rv Node) string {
	if !rv.Exists() {
		return ""
	}
	return relKey(rv.S("schemaname"), rv.S("relname"))
}

func (s *Schema) table(key string) *table {
	return s.tables[key]
}

func (s *Schema) ensure(key string) *table {
	t := s.tables[key]
	if t == nil {
		t = &table{cols: map[string]typeRef{}, checks: map[string]*check{}}
		s.tables[key] = t
	}
	return t
}

func (s *Schema) dropTable(key string) {
	delete(s.tables, key)
	for ix, tk := range s.indexes {
		if tk == key {
			delete(s.indexes, ix)
		}
	}
}

func (s *Schema) renameTable(key, newKey string) {
	if t, ok := s.tables[key]; ok {
		delete(s.tables, key)
		s.tables[newKey] = t
	}
	for ix, tk := range s.indexes {
		if tk == key {
			s.indexes[ix] = newKey
		}
	}
}

func (s *Schema) columnType(key, col string) (typeRef, bool) {
	t := s.tables[key]
	if t == nil {
		return typeRef{}, false
	}
	tr, ok := t.cols[col]
	return tr, ok
}

// checkedNotNull reports whether a validated CHECK (col IS NOT NULL)
// exists on the table.
func (s *Schema) checkedNotNull(key, col string) bool {
	t := s.tables[key]
	if t == nil {
		return false
	}
	for _, c := range t.checks {
		if c.valid && c.notNullCol == col {
			return true
		}
	}
	return false
}

// indexTable returns the table key of an index, "" when unknown.
func (s *Schema) indexTable(schema, name string) string {
	return s.indexes[relKey(schema, name)]
}

// Tables returns the names of the tables the schema knows, unordered.
func (s *Schema) Tables() []string {
	out := make([]string, 0, len(s.tables))
	for k := range s.tables {
		out = append(out, k)
	}
	return out
}

// ColumnType returns the canonical type of table.column as the migrations
// analysed so far left it ("varchar(255)", "int8"), and whether it is known.
// The table name may be schema-qualified; "public." is implied.
func (s *Schema) ColumnType(tableName, column string) (string, bool) {
	schema, name, found := strings.Cut(tableName, ".")
	if !found {
		schema, name = "", tableName
	}
	tr, ok := s.columnType(relKey(schema, name), column)
	if !ok {
		return "", false
	}
	return tr.String(), true
}
