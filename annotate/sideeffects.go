package annotate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate/internal/sqlparse"
)

// SideEffect is a call whose effect a rollback cannot undo.
type SideEffect struct {
	Func string // e.g. "setval"
	Line int    // 1-based line in the file
}

// SideEffects returns the non-rollbackable calls in a migration's SQL:
// setval, nextval (outside column defaults, which run only when a row is
// inserted), pg_advisory_unlock and its variants, and the dblink
// functions, in source order. A preflight that ran them rolled back
// everything but them. A syntax error is a *[SyntaxError].
func SideEffects(sql string) ([]SideEffect, error) {
	stmts, err := Parse(sql)
	if err != nil {
		return nil, err
	}
	var out []SideEffect
	var li lines
	for _, st := range stmts {
		for _, c := range NonRollbackable(st) {
			line, _ := li.position(sql, c.Pos)
			out = append(out, SideEffect{Func: c.Func, Line: line})
		}
	}
	return out, nil
}

// Call is a function call in a statement.
type Call struct {
	Func string // name as called, lower case, without schema: "setval"
	Pos  int    // byte offset of the call in the file
}

// NonRollbackable returns the calls of st whose effect a rollback cannot
// undo (see [SideEffects]), in source order.
func NonRollbackable(st Statement) []Call {
	// Walking the tree costs more than looking at the text; most
	// statements call none of these (a U&"..." escaped name is not seen).
	if !mentions(st.SQL, "setval", "nextval", "pg_advisory_unlock", "dblink") {
		return nil
	}
	var out []Call
	walk(st.Tree, func(key string, v Node) bool {
		switch key {
		case "Constraint":
			// A column default runs when rows are inserted, not here.
			return v.S("contype") != "CONSTR_DEFAULT"
		case "AlterTableCmd":
			if v.S("subtype") == "AT_ColumnDefault" {
				return false
			}
		case "FuncCall":
			if name := funcName(v); nonRollbackable(name) {
				out = append(out, Call{Func: name, Pos: v.I("location")})
			}
		}
		return true
	})
	return out
}

// nonRollbackable reports whether a call of the function name has an
// effect a rollback cannot undo. pg_notify is not one: notifications are
// sent on commit.
func nonRollbackable(name string) bool {
	switch {
	case name == "setval", name == "nextval":
		return true
	case strings.HasPrefix(name, "pg_advisory_unlock"), strings.HasPrefix(name, "dblink"):
		return true
	}
	return false
}

// funcName is the called function's name, lower case, without schema.
func funcName(fc Node) string {
	fn := fc.A("funcname")
	if len(fn) == 0 {
		return ""
	}
	return strings.ToLower(fn[len(fn)-1].Sval())
}

// walk calls fn for every member of every object under n (n included),
// depth first in source order; fn returning false skips the member's
// value. Node wrappers such as {"FuncCall": {...}} come as key "FuncCall"
// with the wrapped object.
func walk(n Node, fn func(key string, v Node) bool) {
	if n.t == nil || n.i == 0 {
		return
	}
	t := n.t
	switch t.toks[n.i].kind {
	case tokObject:
		for i := t.toks[n.i].start; i < t.toks[n.i].end; i = t.next(i + 1) {
			k := t.toks[i]
			v := Node{t: t, i: i + 1}
			if fn(string(t.src[k.start:k.end]), v) {
				walk(v, fn)
			}
		}
	case tokArray:
		for i := t.toks[n.i].start; i < t.toks[n.i].end; i = t.next(i) {
			walk(Node{t: t, i: i}, fn)
		}
	}
}

// Refusal is something in a migration's SQL that cannot run through
// safemigrate at all: the run would hang or undo its own safety. It is an
// input error, found before anything runs, and lint reports it under Rule.
type Refusal struct {
	Rule     string // lint rule: RuleCopyStdio, RulePsqlMetaCommand, RuleAdvisoryUnlockAll
	Pos, End int    // byte range in the file
	Line     int    // 1-based line of Pos
	Message  string
	Hint     string
}

// Lint rule IDs of the refusals.
const (
	RuleCopyStdio         = "copy-stdin"
	RulePsqlMetaCommand   = "psql-meta-command"
	RuleAdvisoryUnlockAll = "advisory-unlock-all"
)

// Refusals returns what in a migration's SQL safemigrate refuses to run:
// COPY ... FROM STDIN (with or without inline rows) and COPY ... TO STDOUT,
// which wait for a client that is not there, holding their locks; psql
// meta-commands (\copy, \i, \set, ...), which make the file a psql script;
// and pg_advisory_unlock_all(), which releases the run's own migration
// lock. An ordinary syntax error is returned as a *[SyntaxError] (the
// SQL's own problem, not a refusal).
func Refusals(sql string) ([]Refusal, error) {
	stmts, err := Parse(sql)
	var se *SyntaxError
	if errors.As(err, &se) && se.Psql != "" {
		return []Refusal{PsqlRefusal(se)}, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Refusal
	var li lines
	for _, st := range stmts {
		for _, r := range StatementRefusals(st) {
			r.Line, _ = li.position(sql, r.Pos)
			out = append(out, r)
		}
	}
	return out, nil
}

// PsqlRefusal turns a syntax error in psql script (se.Psql set) into its
// refusal.
func PsqlRefusal(se *SyntaxError) Refusal {
	rule := RulePsqlMetaCommand
	if se.Psql == sqlparse.PsqlCopyData {
		rule = RuleCopyStdio
	}
	return Refusal{Rule: rule, Pos: se.Offset, End: se.Offset, Line: se.Line, Message: se.Message, Hint: se.Hint}
}

// StatementRefusals returns the refusals of one parsed statement (Line
// left 0; [Refusals] fills it in).
func StatementRefusals(st Statement) []Refusal {
	var out []Refusal
	if cs := st.Tree.As("CopyStmt"); cs.Exists() && cs.S("filename") == "" && !cs.B("is_program") {
		dir, peer := "TO STDOUT", "the rows would go to a client that is not reading them"
		if cs.B("is_from") {
			dir, peer = "FROM STDIN", "the server would wait forever for rows no client sends"
		}
		out = append(out, Refusal{Rule: RuleCopyStdio, Pos: st.Start, End: st.End,
			Message: fmt.Sprintf("COPY ... %s in a migration: %s, holding its locks", dir, peer),
			Hint:    sqlparse.CopyHint})
	}
	if !mentions(st.SQL, "pg_advisory_unlock_all") {
		return out
	}
	walk(st.Tree, func(key string, v Node) bool {
		if key == "FuncCall" && funcName(v) == "pg_advisory_unlock_all" {
			pos := v.I("location")
			out = append(out, Refusal{Rule: RuleAdvisoryUnlockAll, Pos: pos, End: pos + len("pg_advisory_unlock_all"),
				Message: "pg_advisory_unlock_all() releases every advisory lock of the session, including safemigrate's own migration lock: another run could start in the middle of this one",
				Hint:    "release only the locks the migration took, with pg_advisory_unlock(key), or use transaction-level locks (pg_advisory_xact_lock), which go with the transaction"})
		}
		return true
	})
	return out
}

// mentions reports whether s contains any of words (lower-case ASCII),
// ignoring ASCII case.
func mentions(s string, words ...string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20 // ASCII lower case for letters
		for _, w := range words {
			if c == w[0] && len(s)-i >= len(w) && strings.EqualFold(s[i:i+len(w)], w) {
				return true
			}
		}
	}
	return false
}
