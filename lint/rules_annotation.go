package lint

import (
	"fmt"
	"path"
	"strings"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

func runSyntaxError(p *Pass) {
	se := p.SyntaxError
	if se == nil || se.Psql != "" { // psql script: copy-stdin, psql-meta-command
		return
	}
	pos := se.Offset
	if pos > len(p.Src) {
		pos = len(p.Src)
	}
	msg := se.Message
	if !strings.HasPrefix(msg, "syntax error") {
		msg = "syntax error: " + msg
	}
	p.Reportf(pos, pos, "fix the SQL; safemigrate parses with PostgreSQL 17's grammar (pg_query), so an older server may reject more (see unsupported-syntax) and preflight has the last word", "%s", msg)
}

func runUnsupportedSyntax(p *Pass) {
	for _, s := range p.Statements() {
		for _, u := range annotate.UnsupportedSyntax(s, p.PGVersion) {
			hint := fmt.Sprintf("rewrite it for PostgreSQL %d, or lint with --pg-version %d if the servers you migrate run %d or newer", p.PGVersion, u.Since, u.Since)
			if u.Feature == "a subquery in FROM without an alias" {
				hint = "give the subquery an alias: FROM (SELECT ...) AS sub"
			}
			p.Reportf(u.Pos, s.End, hint, "%s, and the target is PostgreSQL %d: the server rejects this statement with a syntax error", u, p.PGVersion)
		}
	}
}

func runInvalidDirective(p *Pass) {
	li := newLineIndex(p.Src)
	for _, pr := range p.Problems {
		pos := li.lineStart(pr.Line)
		p.Reportf(pos, pos, "directives are `-- key: value` lines at the top of the file: safe, depends, transaction, delay, lock_timeout, statement_timeout", "%s", pr.Message)
	}
}

func runInvalidFileName(p *Pass) {
	if _, _, ok := migration.ParseName(path.Base(p.ID)); ok {
		return
	}
	p.Reportf(0, 0, "rename it to <version>_<name>.sql, e.g. 0007_add_email.sql or 20260101120000_add_email.sql",
		"file name %q has no version prefix", path.Base(p.File))
}

func runMissingSafe(p *Pass) {
	if p.Directives.Has(migration.KeySafe) {
		return
	}
	hint := "add `-- safe: before_deploy`, `-- safe: after_deploy` or `-- safe: always` at the top of the file"
	if p.Analysis != nil {
		hint = fmt.Sprintf("add `-- safe: %s` at the top of the file (suggested by the SQL: %s)", p.Analysis.Suggested, p.Analysis.Reason)
	}
	p.Reportf(0, 0, hint, "no `-- safe:` directive: the file gets the configured default instead of a decision")
}

func runDirectiveOutsideHeader(p *Pass) {
	li := newLineIndex(p.Src)
	for _, l := range p.Directives.Outside {
		pos := li.lineStart(l.Line)
		p.Reportf(pos, pos+len(l.Text), "move it into the header: the comment lines before the first statement",
			"`%s` is below the header and is ignored", strings.TrimSpace(l.Text))
	}
}

func runContractBeforeDeploy(p *Pass) {
	safe := p.Declared()
	if safe != migration.BeforeDeploy && safe != migration.Always {
		return
	}
	for _, s := range p.Statements() {
		if s.Effect != annotate.Contract {
			continue
		}
		p.Reportf(deciding(&s), s.End, "move this statement into a migration marked `-- safe: after_deploy` (or mark this file after_deploy), so it runs once old code is gone",
			"%s; this migration is %s, so old code is still running when it runs", s.Reason, safe)
	}
}

func runExpandAfterDeploy(p *Pass) {
	if p.Declared() != migration.AfterDeploy {
		return
	}
	for _, s := range p.Statements() {
		if s.Effect != annotate.Expand {
			continue
		}
		p.Reportf(deciding(&s), s.End, "move it into a `-- safe: before_deploy` migration so it exists before new code starts",
			"%s, but this migration is after_deploy: new code deployed before it runs may need it", firstClause(s.Reason))
	}
}

func runOpaqueStatement(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if !a.Opaque {
			return
		}
		p.Reportf(a.Pos, s.End, "write the statements out as static SQL (in a DO block if it needs PL/pgSQL), so that safemigrate can analyse them; if the migration must stay this way, declare `-- safe: after_deploy` and silence this with `-- safemigrate:ignore opaque-statement -- why`",
			"%s; safemigrate suggests after_deploy", strings.TrimSuffix(a.Reason, annotate.OpaqueTail))
	})
}

// deciding returns the position of the action that gives a statement its
// effect (the subcommand of a multi-part ALTER TABLE), else its start.
func deciding(s *annotate.Statement) int {
	for _, a := range s.Actions {
		if a.Effect == s.Effect && a.Reason == s.Reason {
			return a.Pos
		}
	}
	return s.Start
}

func firstClause(reason string) string {
	return strings.SplitN(reason, ":", 2)[0]
}

func runConcurrentlyInTransaction(p *Pass) {
	if !p.Directives.Transaction {
		return
	}
	for _, s := range p.Statements() {
		if s.Transactional {
			continue
		}
		p.Reportf(s.Start, s.End, "add `-- transaction: false` to the header; keep the other statements of such a migration rerunnable (IF NOT EXISTS / IF EXISTS)",
			"%s cannot run inside a transaction block, and this migration runs in one", s.Kind)
	}
}

func runTransactionControl(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op == annotate.OpTransaction {
			p.Reportf(s.Start, s.End, "remove it: safemigrate runs each migration in its own transaction (or, with `-- transaction: false`, statement by statement)",
				"transaction control statement %q in a migration", oneLine(s.SQL))
		}
	})
}

func runNotRerunnable(p *Pass) {
	if p.Directives.Transaction {
		return
	}
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Rerunnable || a.Referenced {
			return
		}
		switch a.Op {
		case annotate.OpCreateTable, annotate.OpCreateIndex, annotate.OpCreate, annotate.OpAddColumn:
			p.Reportf(a.Pos, s.End, "write IF NOT EXISTS (or OR REPLACE) so that a rerun skips it",
				"not safe to rerun: %s without IF NOT EXISTS fails the second time, and this migration runs outside a transaction, so a retry after a later failure repeats it", firstClause(a.Reason))
		case annotate.OpDropTable, annotate.OpDropIndex, annotate.OpDrop, annotate.OpDropSchema, annotate.OpDropColumn, annotate.OpDropConstraint:
			p.Reportf(a.Pos, s.End, "write IF EXISTS so that a rerun skips it",
				"not safe to rerun: %s without IF EXISTS fails the second time, and this migration runs outside a transaction, so a retry after a later failure repeats it", firstClause(a.Reason))
		case annotate.OpAddConstraint, annotate.OpRenameColumn, annotate.OpRenameTable, annotate.OpRename:
			p.Reportf(a.Pos, s.End, "move it into a transactional migration, or guard it (DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_constraint WHERE ...) THEN ... END IF; END $$)",
				"not safe to rerun: %s fails the second time, and this migration runs outside a transaction, so a retry after a later failure repeats it", firstClause(a.Reason))
		}
	})
}

func runDuplicateColumn(p *Pass) {
	stmts := p.Statements()
	seen := map[string]bool{} // this statement's columns; one map for the file
	for i := range stmts {
		s := &stmts[i]
		clear(seen)
		check := func(c annotate.Column, what string) {
			if seen[c.Name] {
				p.Reportf(c.Pos, s.End, "remove or rename the second "+c.Name,
					"column %s is %s more than once in this statement; PostgreSQL rejects it", c.Name, what)
			}
			seen[c.Name] = true
		}
		for _, a := range s.Actions {
			switch a.Op {
			case annotate.OpCreateTable, annotate.OpAddColumn:
				for _, c := range a.Columns {
					check(c, "defined")
				}
			case annotate.OpInsert, annotate.OpUpdate:
				clear(seen)
				for _, c := range a.Targets {
					check(c, "assigned")
				}
			}
		}
	}
}
