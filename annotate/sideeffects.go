package annotate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate/internal/sqlparse"
)

// SideEffect is a call whose effect a rollback cannot undo.
type SideEffect struct {
	Func      string // e.g. "setval"
	Line      int    // 1-based line in the file
	Statement int    // 1-based index of the statement the call is in
}

// SideEffects returns the non-rollbackable calls in a migration's SQL:
// setval, nextval (outside column defaults, which run only when a row is
// inserted), pg_advisory_unlock and its variants, session-level
// advisory locks (pg_advisory_lock, pg_try_advisory_lock and their
// _shared forms), pg_terminate_backend, pg_cancel_backend, lo_export, the
// dblink functions, and COPY to or from a program or to a server file
// (Func "COPY TO PROGRAM", "COPY FROM PROGRAM", "COPY TO a file"), in
// source order. A preflight that ran them rolled back
// everything but them. A syntax error is a *[SyntaxError].
func SideEffects(sql string) ([]SideEffect, error) {
	stmts, err := Parse(sql)
	if err != nil {
		return nil, err
	}
	return SideEffectsIn(sql, stmts), nil
}

// SideEffectsIn is [SideEffects] for a file already parsed: stmts are
// the statements of sql.
func SideEffectsIn(sql string, stmts []Statement) []SideEffect {
	var out []SideEffect
	var li lines
	for i, st := range stmts {
		for _, c := range NonRollbackable(st) {
			line, _ := li.position(sql, c.Pos)
			out = append(out, SideEffect{Func: c.Func, Line: line, Statement: i + 1})
		}
	}
	return out
}

// Call is a function call in a statement.
type Call struct {
	Func string // name as called, lower case, without schema: "setval"; or "COPY TO PROGRAM", ... (see [SideEffects])
	Pos  int    // byte offset of the call in the file
}

// NonRollbackable returns the calls of st whose effect a rollback cannot
// undo (see [SideEffects]), in source order.
func NonRollbackable(st Statement) []Call {
	// Walking the tree costs more than looking at its calls and then at
	// the text; most statements call none of these (a U&"..." escaped
	// name is not seen: the text must name the function too).
	var out []Call
	if cs := st.Tree.As("CopyStmt"); cs.Exists() {
		switch {
		case cs.B("is_program") && cs.B("is_from"):
			out = append(out, Call{Func: "COPY FROM PROGRAM", Pos: st.Start})
		case cs.B("is_program"):
			out = append(out, Call{Func: "COPY TO PROGRAM", Pos: st.Start})
		case cs.S("filename") != "" && !cs.B("is_from"):
			out = append(out, Call{Func: "COPY TO a file", Pos: st.Start})
		}
	}
	if !st.Tree.Has("DoStmt") && !st.Tree.AnyCall(func(c Node) bool { return nonRollbackable(funcName(c)) }) {
		return out // neither a DO block nor a call of one (the walk finds none)
	}
	if !mentions(st.SQL, "setval", "nextval", "advisory", "dblink", "terminate_backend", "cancel_backend", "lo_export") {
		return out
	}
	for _, c := range doBodyCalls(st) {
		if nonRollbackable(c.Func) {
			out = append(out, c)
		}
	}
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
	switch name {
	case "setval", "nextval",
		// Session-level advisory locks outlive a rollback; the _xact_
		// ones go with the transaction.
		"pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock", "pg_try_advisory_lock_shared",
		"pg_terminate_backend", "pg_cancel_backend", "lo_export":
		return true
	}
	return strings.HasPrefix(name, "pg_advisory_unlock") || strings.HasPrefix(name, "dblink")
}

// funcName is the called function's name, lower case, without schema.
func funcName(fc Node) string {
	fn := fc.A("funcname")
	if len(fn) == 0 {
		return ""
	}
	return strings.ToLower(fn[len(fn)-1].Sval())
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
	return RefusalsIn(sql, stmts), nil
}

// RefusalsIn is [Refusals] for a file that parsed: stmts are the
// statements of sql.
func RefusalsIn(sql string, stmts []Statement) []Refusal {
	var out []Refusal
	var li lines
	for _, st := range stmts {
		for _, r := range StatementRefusals(st) {
			r.Line, _ = li.position(sql, r.Pos)
			out = append(out, r)
		}
	}
	return out
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
	if !st.Tree.Has("DoStmt") && !st.Tree.AnyCall(func(c Node) bool { return funcName(c) == "pg_advisory_unlock_all" }) {
		return out // neither a DO block nor a call of it (the walk finds none)
	}
	if !mentions(st.SQL, "pg_advisory_unlock_all") {
		return out
	}
	unlockAll := func(pos int) {
		out = append(out, Refusal{Rule: RuleAdvisoryUnlockAll, Pos: pos, End: pos + len("pg_advisory_unlock_all"),
			Message: "pg_advisory_unlock_all() releases every advisory lock of the session, including safemigrate's own migration lock: another run could start in the middle of this one",
			Hint:    "release only the locks the migration took, with pg_advisory_unlock(key), or use transaction-level locks (pg_advisory_xact_lock), which go with the transaction"})
	}
	for _, c := range doBodyCalls(st) {
		if c.Func == "pg_advisory_unlock_all" {
			unlockAll(c.Pos)
		}
	}
	walk(st.Tree, func(key string, v Node) bool {
		if key == "FuncCall" && funcName(v) == "pg_advisory_unlock_all" {
			unlockAll(v.I("location"))
		}
		return true
	})
	return out
}

// doBodyCalls returns the function calls written in the body of a DO
// block, which runs when the statement runs: wrapping a call in DO must
// not hide it. Only PL/pgSQL bodies (the default language) are read; a
// call built at run time in an EXECUTE string is not seen. Positions are
// byte offsets in the file.
func doBodyCalls(st Statement) []Call {
	do := st.Tree.As("DoStmt")
	if !do.Exists() {
		return nil
	}
	var body string
	loc, lang := -1, "plpgsql"
	for _, a := range do.A("args") {
		d := a.As("DefElem")
		switch d.S("defname") {
		case "as":
			body, loc = d.Get("arg").Sval(), d.I("location")
		case "language":
			lang = strings.ToLower(d.Get("arg").Sval())
		}
	}
	if lang != "plpgsql" || loc < st.Start || loc >= st.End {
		return nil
	}
	offset := bodyOffsets(st.SQL[loc-st.Start:], loc)
	var out []Call
	for _, c := range sqlparse.Calls(body) {
		out = append(out, Call{Func: c.Name, Pos: offset(c.Pos)})
	}
	return out
}

// bodyOffsets maps byte offsets in a string constant's value to offsets in
// the file, given the file's text from the constant on (lit) and where
// that starts (at): exact for dollar quotes and plain '...' strings; other
// forms (E'...', U&'...') map to the constant's start.
func bodyOffsets(lit string, at int) func(int) int {
	if strings.HasPrefix(lit, "$") {
		if end := strings.IndexByte(lit[1:], '$'); end >= 0 {
			open := end + 2
			return func(i int) int { return at + open + i }
		}
	}
	if strings.HasPrefix(lit, "'") {
		return func(i int) int {
			j := 1 // position in lit of value byte 0
			for k := 0; k < i && j < len(lit); k++ {
				if lit[j] == '\'' && j+1 < len(lit) && lit[j+1] == '\'' {
					j++
				}
				j++
			}
			return at + j
		}
	}
	return func(int) int { return at }
}

// mentions reports whether s contains any of words (lower-case ASCII),
// ignoring ASCII case. Callers first rule out the statements that call
// none of the functions (most): lower-casing every statement's text cost
// lint a tenth of its time.
func mentions(s string, words ...string) bool {
	lower := strings.ToLower(s)
	for _, w := range words {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}
