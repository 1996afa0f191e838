package annotate

import (
	"fmt"
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
	indexes map[string]string // index key -> table key; see setIndex
	// indexed counts the indexes of each table key: a table that has
	// none (most that are created) needs no look through all indexes.
	indexed map[string]int
	views   map[string]*view // view key -> what its query tells
	// defaultGrants: an ALTER DEFAULT PRIVILEGES grants on the tables
	// and views created from then on.
	defaultGrants bool
	// dropped are the tables the migrations analysed so far dropped (or
	// renamed away) and did not create again: known not to exist.
	dropped map[string]bool
	// funcs are the functions and procedures the migrations created, by
	// signature ([routineKey]), with their result ([routineResult]).
	funcs map[string]string
	// catalog: a live catalog was loaded ([Schema.LoadCatalog]), so a
	// table it lacks that no migration created does not exist.
	catalog bool
	// analysed counts the migrations analysed through the schema.
	analysed int
}

type table struct {
	cols map[string]typeRef
	// full: cols are all of the table's columns (CREATE TABLE without
	// LIKE or INHERITS, or the live catalog).
	full bool
	// partitioned: PARTITION BY; its indexes are built on its partitions.
	partitioned bool
	checks      map[string]*check // constraint name -> check
	// keys are the columns that lead an index (primary key, unique
	// constraint, CREATE INDEX); nil when the table's indexes are unknown.
	keys map[string]bool
	// notNull are the columns that are NOT NULL: as a live catalog says
	// ([Schema.LoadCatalog]), or as CREATE TABLE, ADD COLUMN and SET/DROP
	// NOT NULL left them.
	notNull map[string]bool
}

type check struct {
	notNullCol string // column of a CHECK (col IS NOT NULL), else ""
	valid      bool
}

// NewSchema returns an empty Schema.
func NewSchema() *Schema {
	return &Schema{tables: map[string]*table{}, indexes: map[string]string{}, indexed: map[string]int{}, views: map[string]*view{}, dropped: map[string]bool{}, funcs: map[string]string{}}
}

// setIndex records that index ix belongs to table key.
func (s *Schema) setIndex(ix, key string) {
	if old, ok := s.indexes[ix]; ok {
		s.unindex(old)
	}
	s.indexes[ix] = key
	s.indexed[key]++
}

// deleteIndex forgets index ix.
func (s *Schema) deleteIndex(ix string) {
	if old, ok := s.indexes[ix]; ok {
		delete(s.indexes, ix)
		s.unindex(old)
	}
}

func (s *Schema) unindex(key string) {
	if s.indexed[key]--; s.indexed[key] <= 0 {
		delete(s.indexed, key)
	}
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
		delete(s.dropped, key)
	}
	return t
}

// exists reports whether a table or view of that key is known to exist.
func (s *Schema) exists(key string) bool {
	_, view := s.views[key]
	return s.tables[key] != nil || view
}

func (s *Schema) dropTable(key string) {
	s.forget(key)
	s.dropped[key] = true
}

// forget removes what is known of a table (before it is created anew).
func (s *Schema) forget(key string) {
	delete(s.tables, key)
	delete(s.dropped, key)
	if s.indexed[key] == 0 {
		return
	}
	for ix, tk := range s.indexes {
		if tk == key {
			delete(s.indexes, ix)
		}
	}
	delete(s.indexed, key)
}

func (s *Schema) renameTable(key, newKey string) {
	if t, ok := s.tables[key]; ok {
		delete(s.tables, key)
		s.tables[newKey] = t
	}
	s.dropped[key] = true
	delete(s.dropped, newKey)
	if s.indexed[key] == 0 || key == newKey {
		return
	}
	for ix, tk := range s.indexes {
		if tk == key {
			s.indexes[ix] = newKey
		}
	}
	s.indexed[newKey] += s.indexed[key]
	delete(s.indexed, key)
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
	if t.notNull[col] {
		return true
	}
	for _, c := range t.checks {
		if c.valid && c.notNullCol == col {
			return true
		}
	}
	return false
}

// notNull reports whether the column is NOT NULL (attnotnull), as the
// catalog or the migrations analysed so far left it.
func (s *Schema) notNull(key, col string) bool {
	t := s.tables[key]
	return t != nil && t.notNull[col]
}

// setNotNull records the NOT NULL state of a column of a known table.
func (s *Schema) setNotNull(key, col string, on bool) {
	if t := s.tables[key]; t != nil {
		t.setNotNull(col, on)
	}
}

func (t *table) setNotNull(col string, on bool) {
	if !on {
		delete(t.notNull, col)
		return
	}
	if t.notNull == nil {
		t.notNull = map[string]bool{}
	}
	t.notNull[col] = true
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

// CatalogTable is an existing table as a database's catalog describes it
// (`safemigrate lint --database-url`, docs/rules.md).
type CatalogTable struct {
	// Schema is "" (or "public") for the name unqualified table names
	// find.
	Schema, Name string
	Columns      []CatalogColumn
	Indexes      []CatalogIndex
	// View: a view, whose Columns are its output columns (their types
	// and NOT NULL are not used). What depends on it stays unknown.
	View bool
	// Partitioned: a partitioned table (relkind 'p').
	Partitioned bool
}

// CatalogColumn is one column of a [CatalogTable].
type CatalogColumn struct {
	Name string
	// Type is the type as PostgreSQL's format_type prints it
	// ("character varying(255)", "integer[]").
	Type    string
	NotNull bool
}

// CatalogIndex is one index of a [CatalogTable]: its name and the column
// it leads with ("" for an expression).
type CatalogIndex struct {
	Name, Column string
}

// LoadCatalog makes tables known as a database's catalog describes them:
// their column types, NOT NULL columns and indexes. Load the catalog
// before analysing migrations; a migration that creates one of the tables
// again replaces what the catalog said of its columns. It fails when a
// type does not parse, naming the table. The catalog is taken as
// complete: a table it lacks, and no migration created, does not exist,
// so CREATE TABLE IF NOT EXISTS creates it (docs/rules.md).
func (s *Schema) LoadCatalog(tables []CatalogTable) error {
	analysed := s.analysed
	defer func() { s.analysed = analysed }() // the catalog is no migration
	for _, t := range tables {
		if t.View {
			v := &view{obj: Object{Kind: "view", Name: t.Name}, catalog: true}
			if t.Schema != "public" {
				v.obj.Schema = t.Schema
			}
			for _, c := range t.Columns {
				v.cols = append(v.cols, c.Name)
			}
			if v.cols == nil {
				v.cols = []string{}
			}
			s.views[relKey(t.Schema, t.Name)] = v
			continue
		}
		name := quoteIdent(t.Name)
		if t.Schema != "" {
			name = quoteIdent(t.Schema) + "." + name
		}
		var b strings.Builder
		b.WriteString("CREATE TABLE " + name + " (")
		for i, c := range t.Columns {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIdent(c.Name) + " " + c.Type)
		}
		b.WriteString(");\n")
		for _, ix := range t.Indexes {
			col := "(NULL)"
			if ix.Column != "" {
				col = quoteIdent(ix.Column)
			}
			fmt.Fprintf(&b, "CREATE INDEX %s ON %s (%s);\n", quoteIdent(ix.Name), name, col)
		}
		stmts, err := Parse(b.String())
		if err != nil {
			return fmt.Errorf("read the catalog of table %s: %w", name, err)
		}
		s.Analyze(stmts, Options{})
		tb := s.ensure(relKey(t.Schema, t.Name))
		tb.partitioned = t.Partitioned
		for _, c := range t.Columns {
			if c.NotNull {
				if tb.notNull == nil {
					tb.notNull = map[string]bool{}
				}
				tb.notNull[c.Name] = true
			}
		}
	}
	s.catalog = true
	return nil
}

// quoteIdent double-quotes an identifier for the catalog's DDL, which is
// only parsed here, never sent to a server.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
