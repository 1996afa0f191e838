package lint

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

// Pass is what a rule sees of one migration file.
type Pass struct {
	File string // path as printed
	ID   string // migration ID, e.g. "billing/0002_invoices"
	Src  []byte
	// Directives are the header directives; Problems the header errors
	// found while reading them.
	Directives migration.Directives
	Problems   []migration.Problem
	// Analysis is the SQL analysis; nil when the SQL does not parse, in
	// which case SyntaxError is set.
	Analysis    *annotate.Analysis
	SyntaxError *annotate.SyntaxError
	// PGVersion is the target PostgreSQL major version.
	PGVersion int

	report func(Diagnostic)
	flat   []annotate.Statement // Statements, computed once
	// refused is the file's refusals, computed once; nil before.
	refused *[]annotate.Refusal
	// table is the table of the action a rule is reporting on, "" for
	// none: what a live database's sizes grade the finding by.
	table string
	// warn: the diagnostic being reported is a warning whatever the
	// rule's severity, and not graded by size; see [Pass.Warnf].
	warn bool
	// marker is noTxnMarker's answer, "" before it is asked.
	marker string
}

// Report records a diagnostic for the running rule. A hint that says to
// add `-- transaction: false` names the file's own layout's marker
// instead: `-- +goose NO TRANSACTION` in a goose file,
// `-- migrate:up transaction:false` in a dbmate one.
func (p *Pass) Report(d Diagnostic) {
	if d.End < d.Pos {
		d.End = d.Pos
	}
	if m := p.noTxnMarker(); m != txnFalse && strings.Contains(d.Hint, txnFalse) {
		d.Hint = strings.ReplaceAll(d.Hint, txnFalse, m)
	}
	p.report(d)
}

// txnFalse is the safemigrate layout's marker of a migration that runs
// outside a transaction.
const txnFalse = "`-- transaction: false`"

var (
	gooseUp  = regexp.MustCompile(`(?im)^[ \t]*--[ \t]*\+goose[ \t]+up\b`)
	dbmateUp = regexp.MustCompile(`(?im)^[ \t]*--[ \t]*migrate:up\b`)
)

// noTxnMarker returns, quoted for a hint, the line that makes the file's
// migration run outside a transaction in the file's layout, which the
// loader reads as `-- transaction: false`.
func (p *Pass) noTxnMarker() string {
	if p.marker == "" {
		p.marker = txnFalse
		switch {
		case bytes.Contains(p.Src, []byte("goose")) && gooseUp.Match(p.Src):
			p.marker = "`-- +goose NO TRANSACTION`"
		case bytes.Contains(p.Src, []byte("migrate:")) && dbmateUp.Match(p.Src):
			p.marker = "`-- migrate:up transaction:false`"
		}
	}
	return p.marker
}

// Reportf reports a diagnostic spanning [pos, end) with a hint.
func (p *Pass) Reportf(pos, end int, hint, format string, args ...any) {
	p.Report(Diagnostic{Pos: pos, End: end, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// Warnf reports like [Pass.Reportf], as a warning whatever the rule's
// severity: a milder form of the rule's hazard, which table sizes do not
// grade.
func (p *Pass) Warnf(pos, end int, hint, format string, args ...any) {
	p.warn = true
	p.Reportf(pos, end, hint, format, args...)
	p.warn = false
}

// Statements returns the analysed statements, none when the SQL does not
// parse. The static statements of a DO block follow the DO statement,
// with their own positions: rules see them like top-level ones.
func (p *Pass) Statements() []annotate.Statement {
	if p.Analysis == nil {
		return nil
	}
	if p.flat != nil {
		return p.flat
	}
	top := p.Analysis.Statements
	p.flat = top
	for i := range top {
		if len(top[i].Inner) == 0 {
			continue
		}
		p.flat = make([]annotate.Statement, 0, len(top)+4)
		for j := range top {
			for _, s := range top[j].Flatten() {
				p.flat = append(p.flat, *s)
			}
		}
		break
	}
	return p.flat
}

// topStatements returns the file's own statements, a DO block as one.
func (p *Pass) topStatements() []annotate.Statement {
	if p.Analysis == nil {
		return nil
	}
	return p.Analysis.Statements
}

// each calls fn for every action of every statement.
func (p *Pass) each(fn func(s *annotate.Statement, a *annotate.Action)) {
	stmts := p.Statements()
	for i := range stmts {
		for j := range stmts[i].Actions {
			p.table = stmts[i].Actions[j].Table
			fn(&stmts[i], &stmts[i].Actions[j])
		}
	}
	p.table = ""
}

// Declared returns the declared safe value, "" when there is none.
func (p *Pass) Declared() migration.Safe {
	if !p.Directives.Has(migration.KeySafe) {
		return ""
	}
	return p.Directives.Safe
}
