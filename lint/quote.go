package lint

import (
	"strings"

	"github.com/safemigrate/safemigrate/annotate"
)

// SQL in hints is meant to be copied: every identifier a hint prints
// goes through ident, which quotes it the way PostgreSQL needs (as
// quote_ident does), so "App"."Sessions" stays that table and does not
// become app.sessions.

// ident joins the parts of a qualified name ("", "users" → users;
// "App", "Sessions" → "App"."Sessions"), quoting each part that needs
// it; empty parts are left out.
func ident(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(quoteIdent(p))
	}
	return b.String()
}

// quoteIdent returns s as PostgreSQL reads it back: as it is when it is a
// lower-case identifier that is not a keyword, else double-quoted.
func quoteIdent(s string) string {
	plain := s != "" && !sqlKeywords[s]
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '$')) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// tableIdent is the quoted name of the table an action locks: from the
// column's object for column actions, else Table split at its schema.
func tableIdent(a *annotate.Action) string {
	if a.Object.Kind == "column" {
		return ident(a.Object.Schema, a.Object.Name)
	}
	if s := a.Object.Schema; s != "" && strings.HasPrefix(a.Table, s+".") {
		return ident(s, a.Table[len(s)+1:])
	}
	return ident(a.Table)
}

// sqlKeywords are PostgreSQL's keywords that quote_ident quotes: the
// reserved ones and those that cannot be a function or type name.
var sqlKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric both case cast check
		collate column constraint create current_catalog current_date current_role current_time
		current_timestamp current_user default deferrable desc distinct do else end except false fetch
		for foreign from grant group having in initially intersect into lateral leading limit localtime
		localtimestamp not null offset on only or order placing primary references returning select
		session_user some symmetric system_user table then to trailing true union unique user using
		variadic when where window with
		authorization binary collation concurrently cross current_schema freeze full ilike inner is
		isnull join left like natural notnull outer overlaps right similar tablesample verbose
		between bigint bit boolean char character coalesce dec decimal exists extract float greatest
		grouping inout int integer interval json json_array json_arrayagg json_exists json_object
		json_objectagg json_query json_scalar json_serialize json_table json_value least merge_action
		national nchar none normalize nullif numeric out overlay position precision real row setof
		smallint substring time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement
		xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`) {
		m[w] = true
	}
	return m
}()
