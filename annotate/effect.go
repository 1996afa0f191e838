package annotate

import (
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate/migration"
)

// Effect is what a statement does to code that is already running against
// the database.
type Effect string

// The effects, from least to most constraining on deploy order.
const (
	// Neutral statements change nothing running code can observe:
	// comments, grants, VACUUM, REINDEX.
	Neutral Effect = "neutral"
	// Data statements change rows, not the schema: DML, backfills.
	Data Effect = "data"
	// Expand statements add to the schema; old code keeps working and new
	// code may need them: a new table, a nullable column, an index.
	Expand Effect = "expand"
	// Contract statements take something away or tighten it; old code may
	// break: drops, renames, narrowing type changes, SET NOT NULL.
	Contract Effect = "contract"
)

// rank orders effects by how strict a migration holding them must be.
func (e Effect) rank() int {
	switch e {
	case Data:
		return 1
	case Expand:
		return 2
	case Contract:
		return 3
	}
	return 0
}

// Safe returns the safe value a migration whose strictest statement has
// effect e should declare.
func (e Effect) Safe() migration.Safe {
	switch e {
	case Contract:
		return migration.AfterDeploy
	case Expand:
		return migration.BeforeDeploy
	}
	return migration.Always
}

// LockMode is a PostgreSQL table-level lock mode. The numeric values are
// PostgreSQL's own, so a greater mode conflicts with at least as much.
type LockMode int

// The table-level lock modes, weakest first.
const (
	NoLock LockMode = iota
	AccessShare
	RowShare
	RowExclusive
	ShareUpdateExclusive
	Share
	ShareRowExclusive
	Exclusive
	AccessExclusive
)

var lockNames = [...]string{"", "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"}

// String returns PostgreSQL's name for the mode, e.g. "ACCESS EXCLUSIVE";
// NoLock prints as "".
func (m LockMode) String() string {
	if m < 0 || int(m) >= len(lockNames) {
		return fmt.Sprintf("LockMode(%d)", int(m))
	}
	return lockNames[m]
}

// MarshalText encodes the mode by its PostgreSQL name.
func (m LockMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText decodes a PostgreSQL lock mode name.
func (m *LockMode) UnmarshalText(b []byte) error {
	s := strings.ToUpper(strings.TrimSpace(string(b)))
	for i, n := range lockNames {
		if n == s {
			*m = LockMode(i)
			return nil
		}
	}
	return fmt.Errorf("unknown lock mode %q", s)
}

// BlocksReads reports whether the mode conflicts with plain SELECT.
func (m LockMode) BlocksReads() bool { return m >= AccessExclusive }

// BlocksWrites reports whether the mode conflicts with INSERT, UPDATE and
// DELETE.
func (m LockMode) BlocksWrites() bool { return m >= Share }

// Object is a database object a statement touches.
type Object struct {
	Kind   string // "table", "index", "column", "schema", "type", "function", "sequence", "view", ...
	Schema string // as written; empty when unqualified
	Name   string
	Column string // for Kind "column": the column; Name is its table
}

// String prints the object schema-qualified where the SQL qualified it:
// "users", "billing.invoices", "users.email" (a column).
func (o Object) String() string {
	s := o.Name
	if o.Schema != "" {
		s = o.Schema + "." + s
	}
	if o.Column != "" {
		s += "." + o.Column
	}
	return s
}

// RelationLock is the strongest lock a statement takes on one relation.
type RelationLock struct {
	Relation string // as [Object.String] prints it
	Mode     LockMode
}
