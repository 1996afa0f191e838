package lint

import (
	"fmt"
	"strconv"

	"github.com/safemigrate/safemigrate/annotate"
)

// The defaults of [Live.LargeBytes] and [Live.LargeRows]: a table over
// 1 GB or 10 million rows is large.
const (
	DefaultLargeBytes int64 = 1 << 30
	DefaultLargeRows  int64 = 10_000_000
)

// Live is what a live database says about its tables (`safemigrate lint
// --database-url`, docs/rules.md). With it, the schema knowledge starts
// from the tables' catalog instead of nothing, and every lock or rewrite
// finding ([Rule.BySize]) names its table's size and estimated rows and
// is graded by them: info on an empty table, error on a large one, the
// rule's severity otherwise.
type Live struct {
	Tables []LiveTable
	// PGVersion is the server's major version; the linter assumes it when
	// [Config.PGVersion] is 0.
	PGVersion int
	// LargeBytes and LargeRows: a table whose total size or estimated
	// rows exceed either is large. 0 means the default; a negative value
	// turns that limit off.
	LargeBytes, LargeRows int64
}

// LiveTable is one table of a live database, or one view (View: its
// output columns are known, it has no size).
type LiveTable struct {
	// Catalog has the table's real schema ("public", never "").
	annotate.CatalogTable
	// Visible: an unqualified name finds this table (it is the first of
	// its name on the search_path).
	Visible bool
	// Bytes is the total size: heap, indexes and TOAST (partitions
	// included). HeapBytes is the size of the heap alone: 0 means the table
	// has no rows.
	Bytes, HeapBytes int64
	// Rows is the estimated number of rows.
	Rows int64
}

// liveIndex finds live tables by the names findings use.
type liveIndex struct {
	tables            map[string]*LiveTable // "name" (unqualified) and "schema.name"
	maxBytes, maxRows int64
}

func newLiveIndex(l *Live) *liveIndex {
	ix := &liveIndex{tables: map[string]*LiveTable{}, maxBytes: l.LargeBytes, maxRows: l.LargeRows}
	if ix.maxBytes == 0 {
		ix.maxBytes = DefaultLargeBytes
	}
	if ix.maxRows == 0 {
		ix.maxRows = DefaultLargeRows
	}
	for i := range l.Tables {
		t := &l.Tables[i]
		if t.View {
			continue // a view has no size of its own to grade by
		}
		ix.tables[t.Schema+"."+t.Name] = t
		if _, taken := ix.tables[t.Name]; t.Schema == "public" && !taken {
			ix.tables[t.Name] = t
		}
	}
	for i := range l.Tables {
		if t := &l.Tables[i]; t.Visible && !t.View {
			ix.tables[t.Name] = t
		}
	}
	return ix
}

// catalog is what the schema knowledge starts from: each table under the
// names the migrations may give it (qualified, and unqualified when
// visible; the visible table wins the unqualified name).
func (ix *liveIndex) catalog(l *Live) []annotate.CatalogTable {
	var out, visible []annotate.CatalogTable
	for _, t := range l.Tables {
		c := t.CatalogTable
		if c.Schema != "public" {
			out = append(out, c)
		}
		if t.Visible || c.Schema == "public" {
			c.Schema = ""
			if t.Visible {
				visible = append(visible, c)
			} else {
				out = append(out, c)
			}
		}
	}
	return append(out, visible...)
}

// grade names the size of d's table in its message and grades it: info
// when the table is empty, error when it is large. A table the database
// does not have (yet) leaves d as it is.
func (ix *liveIndex) grade(d *Diagnostic, table string) {
	t := ix.tables[table]
	if t == nil {
		return
	}
	d.Message += fmt.Sprintf(" (table %s: %s, ~%s rows)", table, formatBytes(t.Bytes), formatCount(t.Rows))
	switch {
	case t.HeapBytes == 0:
		d.Severity = Info
	case ix.maxBytes > 0 && t.Bytes > ix.maxBytes, ix.maxRows > 0 && t.Rows > ix.maxRows:
		d.Severity = Error
	}
}

// formatBytes prints a size the way pg_size_pretty does, with one decimal
// under 10: "8192 bytes", "16 kB", "3.2 GB".
func formatBytes(n int64) string {
	if n < 10*1024 {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	units := []string{"kB", "MB", "GB", "TB", "PB"}
	v := float64(n) / 1024
	u := 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return scaled(v) + " " + units[u]
}

// formatCount prints a row estimate: "950", "12k", "3.2M", "1.5G".
func formatCount(n int64) string {
	if n < 1000 {
		return strconv.FormatInt(max(n, 0), 10)
	}
	units := []string{"k", "M", "G", "T"}
	v := float64(n) / 1000
	u := 0
	for v >= 1000 && u < len(units)-1 {
		v /= 1000
		u++
	}
	return scaled(v) + units[u]
}

func scaled(v float64) string {
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}
