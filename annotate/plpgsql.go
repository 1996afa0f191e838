package annotate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/safemigrate/safemigrate/internal/sqlparse"
)

// A DO block is read through PostgreSQL's PL/pgSQL parser: its static SQL
// statements become [Statement.Inner], analysed like top-level ones, with
// their positions in the file; what stays out of sight (dynamic EXECUTE,
// CALL, functions safemigrate does not know) is an opaque action, which
// makes the suggestion after_deploy (docs/rules.md, opaque-statement).

// doBlock analyses a DoStmt's content v.
func (a *analyzer) doBlock(v Node) {
	a.kind("DO")
	st := a.stmt
	lang, body := "plpgsql", ""
	for _, arg := range v.A("args") {
		d := arg.As("DefElem")
		switch d.S("defname") {
		case "language":
			lang = strings.ToLower(d.Get("arg").Sval())
		case "as":
			body = d.Get("arg").Sval()
		}
	}
	if lang != "plpgsql" {
		a.opaque(st.Start, fmt.Sprintf("runs a DO block in %s, whose effect safemigrate cannot see", lang))
		return
	}
	root, err := sqlparse.ParsePlpgsql(st.SQL)
	if err != nil {
		a.opaque(st.Start, fmt.Sprintf("runs a DO block that does not compile as PL/pgSQL (%s), whose effect safemigrate cannot see", strings.TrimPrefix(err.Error(), "PL/pgSQL: ")))
		return
	}
	w := &plWalker{sql: st.SQL, body: body, bodyOff: -1}
	if body != "" {
		w.bodyOff = strings.Index(st.SQL, body)
	}
	w.visit(root, 1)
	st.Inner = w.statements(st)
	for _, o := range w.opaque {
		a.opaque(st.Start+o.off, o.reason)
	}
	for i := range st.Inner {
		in := &st.Inner[i]
		a.stmt = in
		in.Actions, in.Transactional = in.Actions[:0], true
		a.statement(in.Tree)
		a.summarise()
	}
	a.stmt = st
	reason := "runs a DO block: its statements are analysed one by one"
	if len(st.Inner) == 0 {
		reason = "runs a DO block that changes nothing safemigrate can see"
	}
	a.add(Action{Op: OpData, Effect: Neutral, Rerunnable: true, Reason: reason})
}

// opaque records a part of a statement whose effect the analysis cannot
// see: unknown never rounds to safe, so it counts as a contract.
func (a *analyzer) opaque(pos int, reason string) {
	a.add(Action{Op: OpData, Pos: pos, Effect: Contract, Opaque: true, Reason: reason + OpaqueTail})
}

// OpaqueTail ends the Reason of every opaque action.
const OpaqueTail = ": it may break old code"

// plWalker collects the SQL of a PL/pgSQL function tree.
type plWalker struct {
	sql     string // the DO statement's text
	body    string // its body, as the parser saw it
	bodyOff int    // offset of body in sql, -1 when not found verbatim
	pieces  []plPiece
	opaque  []plOpaque
}

// plPiece is a statement of the body: its query text (as PL/pgSQL
// passes it to the SQL parser, INTO clauses blanked) and where it is.
type plPiece struct {
	query string
	line  int // line in the body
	off   int // offset in the DO statement's text where query goes, -1: unknown
}

type plOpaque struct {
	off    int // in the DO statement's text
	reason string
}

func (w *plWalker) addOpaque(line int, reason string) {
	w.opaque = append(w.opaque, plOpaque{w.offset(line), reason})
}

// visit walks n, line being the body line of the enclosing PL/pgSQL
// statement.
func (w *plWalker) visit(n Node, line int) {
	if n.IsArray() {
		n.Each(func(c Node) { w.visit(c, line) })
		return
	}
	n.Fields(func(key string, v Node) bool {
		if !strings.HasPrefix(key, "PLpgSQL_") {
			w.visit(v, line)
			return true
		}
		if l := v.I("lineno"); l > 0 {
			line = l
		}
		switch key {
		case "PLpgSQL_stmt_execsql":
			w.static(v.Get("sqlstmt").As("PLpgSQL_expr").S("query"), line, false)
			w.visitExcept(v, line, "sqlstmt")
		case "PLpgSQL_stmt_call":
			w.static(v.Get("expr").As("PLpgSQL_expr").S("query"), line, false)
		case "PLpgSQL_stmt_perform":
			w.static(v.Get("expr").As("PLpgSQL_expr").S("query"), line, true)
		case "PLpgSQL_stmt_fors", "PLpgSQL_stmt_return_query", "PLpgSQL_stmt_open":
			if v.Has("dynquery") {
				w.addOpaque(line, "runs dynamic SQL (EXECUTE) in a DO block, whose effect safemigrate cannot see")
			}
			if q := v.Get("query").As("PLpgSQL_expr"); q.Exists() {
				w.static(q.S("query"), line, false)
			}
			w.visitExcept(v, line, "query")
		case "PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors":
			w.addOpaque(line, "runs dynamic SQL (EXECUTE) in a DO block, whose effect safemigrate cannot see")
			w.visitExcept(v, line, "query")
		case "PLpgSQL_expr":
			w.expr(v, line)
		default:
			w.visit(v, line)
		}
		return true
	})
}

// visitExcept visits the members of object v but skip.
func (w *plWalker) visitExcept(v Node, line int, skip string) {
	v.Fields(func(key string, m Node) bool {
		if key != skip {
			w.visit(m, line)
		}
		return true
	})
}

// expr checks an expression (a condition, an assignment, a RAISE
// argument) for calls of functions whose effect safemigrate cannot see.
func (w *plWalker) expr(e Node, line int) {
	q := e.S("query")
	if e.I("parseMode") >= 3 { // an assignment: "x := expr"
		if i := strings.Index(q, ":="); i >= 0 {
			q = q[i+2:]
		} else if i := strings.IndexByte(q, '='); i >= 0 {
			q = q[i+1:]
		}
	}
	if !strings.Contains(q, "(") {
		return // no call
	}
	stmts, err := Parse("SELECT " + q)
	if err != nil || len(stmts) != 1 {
		w.addOpaque(line, "evaluates a PL/pgSQL expression safemigrate cannot read")
		return
	}
	if name := unknownCall(stmts[0].Tree, 0); name != "" {
		w.addOpaque(line, fmt.Sprintf("calls %s() in a DO block, whose effect safemigrate cannot see", name))
	}
}

// static records a static SQL statement of the body. perform: query is
// PERFORM's, which PL/pgSQL hands over as "SELECT" + the text after
// PERFORM.
func (w *plWalker) static(query string, line int, perform bool) {
	if strings.TrimSpace(query) == "" {
		return
	}
	w.pieces = append(w.pieces, plPiece{query: query, line: line, off: w.locate(query, line, perform)})
}

// lineStart returns the offset in the body of its 1-based line, -1 when
// the body has fewer lines.
func (w *plWalker) lineStart(line int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(w.body[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	return off
}

// offset returns the offset in the DO statement's text of a body line, 0
// (the statement's start) when the body cannot be placed.
func (w *plWalker) offset(line int) int {
	if w.bodyOff < 0 {
		return 0
	}
	ls := w.lineStart(line)
	if ls < 0 {
		return 0
	}
	for ls < len(w.body) && (w.body[ls] == ' ' || w.body[ls] == '\t') {
		ls++
	}
	return w.bodyOff + ls
}

// locate finds query in the body at or after its line and returns its
// offset in the DO statement's text, -1 when it is not there as written.
// Blanks in query (where PL/pgSQL cut out an INTO clause) match anything.
func (w *plWalker) locate(query string, line int, perform bool) int {
	if w.bodyOff < 0 || line < 1 {
		return -1
	}
	from := w.lineStart(line)
	if from < 0 {
		return -1
	}
	text, shift := query, 0
	if perform {
		if !strings.HasPrefix(query, "SELECT") {
			return -1
		}
		text, shift = query[len("SELECT"):], len("SELECT")
	}
	prefix := strings.TrimLeft(text, " \t\n")
	lead := len(text) - len(prefix)
	if i := strings.Index(prefix, "  "); i > 0 {
		prefix = prefix[:i]
	}
	if prefix == "" {
		return -1
	}
	j := strings.Index(w.body[from:], prefix)
	if j < 0 {
		return -1
	}
	p := from + j - lead
	if p < 0 || p+len(text) > len(w.body) || p-shift < 0 {
		return -1
	}
	for k := 0; k < len(text); k++ {
		if text[k] != w.body[p+k] && text[k] != ' ' {
			return -1
		}
	}
	if perform && !strings.EqualFold(strings.TrimSpace(w.body[max(0, p-len("PERFORM")):p]), "perform") {
		return -1
	}
	return w.bodyOff + p - shift
}

// statements parses the pieces into statements positioned in the file.
// Pieces found as written are parsed together from a copy of the file
// that is blank everywhere else, so that every position in their parse
// trees is a file offset; the others are parsed one by one and placed at
// the start of their line.
func (w *plWalker) statements(do *Statement) []Statement {
	var out []Statement
	buf := []byte(strings.Repeat(" ", do.End+1))
	placed := 0
	for _, p := range w.pieces {
		if p.off >= 0 {
			copy(buf[do.Start+p.off:], p.query)
			buf[do.Start+p.off+len(p.query)] = ';'
			placed++
		}
	}
	if placed > 0 {
		if stmts, err := Parse(string(buf)); err == nil {
			for _, s := range stmts {
				// PERFORM went to the parser as SELECT, one byte shorter.
				if rel := s.Start - do.Start; rel > 0 && len(do.SQL)-rel >= 6 && strings.EqualFold(do.SQL[rel-1:rel+6], "perform") {
					s.Start--
				}
				s.SQL = do.SQL[s.Start-do.Start : s.End-do.Start]
				out = append(out, s)
			}
		} else {
			placed = -1 // parse them one by one below
		}
	}
	for _, p := range w.pieces {
		if p.off >= 0 && placed >= 0 {
			continue
		}
		at := do.Start + w.offset(p.line)
		if p.off >= 0 {
			at = do.Start + p.off
		}
		if at+len(p.query) > do.End {
			at = do.Start
		}
		if at+len(p.query) > do.End {
			continue // cannot happen: the query comes from the body
		}
		stmts, err := Parse(strings.Repeat(" ", at) + p.query)
		if err != nil {
			w.opaque = append(w.opaque, plOpaque{at - do.Start, "runs a statement in a DO block that safemigrate cannot read"})
			continue
		}
		for _, s := range stmts {
			s.SQL = p.query[s.Start-at : s.End-at]
			out = append(out, s)
		}
	}
	for i := range out {
		out[i].Line, out[i].Column = do.Line, do.Column
		for _, c := range []byte(do.SQL[:out[i].Start-do.Start]) {
			if c == '\n' {
				out[i].Line++
				out[i].Column = 1
			} else {
				out[i].Column++
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Statement) int { return cmp.Compare(x.Start, y.Start) })
	for i := range out {
		out[i].Index = i
	}
	return out
}

// knownFunc reports whether name is a built-in function that changes no
// schema: calling it in a query is data work, not DDL in disguise. Built-in
// means PostgreSQL's pg_catalog (builtins.txt: a user function named pg_...
// is not one), SQL constructs written like calls, and the functions of the
// extensions migrations use most (pgcrypto, uuid-ossp); dblink's calls are
// side effects, which the side-effect check names.
func knownFunc(name string) bool {
	return stableFuncs[name] || builtins[name] || extensionFuncs[name]
}

// extensionFuncs are the functions of uuid-ossp, pgcrypto and dblink, and
// SQL constructs the parser turns into calls.
var extensionFuncs = map[string]bool{
	"nullif": true, "greatest": true, "least": true, "trim": true, "exists": true, "string": true, "uuid": true,
	"localtimestamp": true, "current_time": true,
	// uuid-ossp
	"uuid_generate_v1": true, "uuid_generate_v1mc": true, "uuid_generate_v3": true, "uuid_generate_v4": true,
	"uuid_generate_v5": true, "uuid_nil": true, "uuid_ns_dns": true, "uuid_ns_url": true, "uuid_ns_oid": true, "uuid_ns_x500": true,
	// pgcrypto
	"gen_random_bytes": true, "gen_random_uuid": true, "digest": true, "hmac": true, "crypt": true, "gen_salt": true,
	"encrypt": true, "decrypt": true, "encrypt_iv": true, "decrypt_iv": true, "armor": true, "dearmor": true,
	"pgp_sym_encrypt": true, "pgp_sym_decrypt": true, "pgp_sym_encrypt_bytea": true, "pgp_sym_decrypt_bytea": true,
	"pgp_pub_encrypt": true, "pgp_pub_decrypt": true, "pgp_pub_encrypt_bytea": true, "pgp_pub_decrypt_bytea": true,
	"pgp_key_id": true, "pgp_armor_headers": true,
	// dblink
	"dblink": true, "dblink_exec": true, "dblink_connect": true, "dblink_connect_u": true, "dblink_disconnect": true,
	"dblink_open": true, "dblink_fetch": true, "dblink_close": true, "dblink_send_query": true, "dblink_get_result": true,
	"dblink_is_busy": true, "dblink_get_connections": true, "dblink_error_message": true, "dblink_cancel_query": true,
	"dblink_get_notify": true, "dblink_get_pkey": true, "dblink_build_sql_insert": true, "dblink_build_sql_delete": true,
	"dblink_build_sql_update": true,
}
