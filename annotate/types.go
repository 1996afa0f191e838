package annotate

import (
	"slices"
	"strconv"
	"strings"
)

// typeRef is a column type reduced to what decides rewrites: the
// canonical base name, its modifiers and whether it is an array.
type typeRef struct {
	name  string
	mods  []int // nil when unconstrained; -1 for a modifier that is not a constant
	array bool
	// serial: written as serial, bigserial or smallserial, which is the
	// integer type name (int4, int8, int2) with a sequence default.
	serial bool
}

// serialTypes maps the serial pseudo-types to the integer type the column
// gets.
var serialTypes = map[string]string{
	"serial": "int4", "serial4": "int4", "bigserial": "int8", "serial8": "int8", "smallserial": "int2", "serial2": "int2",
}

var typeAliases = map[string]string{
	"integer": "int4", "int": "int4", "smallint": "int2", "bigint": "int8",
	"real": "float4", "double precision": "float8", "float": "float8",
	"boolean": "bool", "character varying": "varchar", "character": "bpchar",
	"char": "bpchar", "decimal": "numeric", "timestamp with time zone": "timestamptz",
	"time with time zone": "timetz", "bit varying": "varbit",
}

// typeOf reads a TypeName node's content.
func typeOf(tn Node) typeRef {
	if !tn.Exists() {
		return typeRef{}
	}
	var name string
	if names := tn.A("names"); len(names) > 0 {
		name = names[len(names)-1].Sval()
	}
	name = strings.ToLower(name)
	if a, ok := typeAliases[name]; ok {
		name = a
	}
	tr := typeRef{name: name, array: tn.Has("arrayBounds")}
	if base, ok := serialTypes[name]; ok && !tr.array {
		tr.name, tr.serial = base, true
	}
	for _, m := range tn.A("typmods") {
		v := -1
		if c := m.As("A_Const"); c.Exists() && c.Has("ival") {
			v = c.Get("ival").I("ival")
		}
		tr.mods = append(tr.mods, v)
	}
	// timestamp(p) and friends are parsed with an interval-style typmod;
	// the precision is all that matters here.
	return tr
}

func (t typeRef) String() string {
	var b strings.Builder
	b.WriteString(t.name)
	if len(t.mods) > 0 {
		b.WriteByte('(')
		for i, m := range t.mods {
			if i > 0 {
				b.WriteByte(',')
			}
			if m < 0 {
				b.WriteByte('?')
			} else {
				b.WriteString(strconv.Itoa(m))
			}
		}
		b.WriteByte(')')
	}
	if t.array {
		b.WriteString("[]")
	}
	return b.String()
}

func (t typeRef) equal(u typeRef) bool {
	return t.name == u.name && t.array == u.array && slices.Equal(t.mods, u.mods)
}

func (t typeRef) isSerial() bool { return t.serial }

func (t typeRef) mod(i int) (int, bool) {
	if i < len(t.mods) && t.mods[i] >= 0 {
		return t.mods[i], true
	}
	return 0, false
}

// noRewrite reports whether changing a column from old to new is
// binary-coercible (no table rewrite and no scan): varchar(n) → varchar(m ≥ n),
// varchar → text, numeric(p,s) → numeric(q ≥ p,s), cidr → inet, ...
func noRewrite(old, new typeRef) bool {
	if old.equal(new) {
		return true
	}
	if old.array != new.array {
		return false
	}
	switch {
	case old.name == "varchar" || old.name == "text":
		switch new.name {
		case "text":
			return true
		case "varchar":
			if len(new.mods) == 0 {
				return true
			}
			m, ok := new.mod(0)
			n, ok2 := old.mod(0)
			return old.name == "varchar" && ok && ok2 && m >= n
		}
	case old.name == "numeric" && new.name == "numeric":
		if len(new.mods) == 0 {
			return true
		}
		p, ok := old.mod(0)
		q, ok2 := new.mod(0)
		os, _ := old.mod(1)
		ns, _ := new.mod(1)
		return ok && ok2 && q >= p && os == ns
	case old.name == "varbit" && new.name == "varbit":
		if len(new.mods) == 0 {
			return true
		}
		n, ok := old.mod(0)
		m, ok2 := new.mod(0)
		return ok && ok2 && m >= n
	case old.name == "cidr" && new.name == "inet":
		return true
	}
	return false
}

var widerInts = map[string]int{"int2": 1, "int4": 2, "int8": 3, "numeric": 4}

// widens reports whether every value of old is a value of new, so that old
// code writing the column keeps working.
func widens(old, new typeRef) bool {
	if noRewrite(old, new) {
		return true
	}
	if old.array != new.array {
		return false
	}
	if a, ok := widerInts[old.name]; ok {
		if b, ok := widerInts[new.name]; ok && b >= a && (new.name != "numeric" || len(new.mods) == 0) {
			return true
		}
	}
	switch {
	case old.name == "float4" && new.name == "float8":
		return true
	case old.name == "timestamp" && new.name == "timestamptz":
		return true
	case (old.name == "varchar" || old.name == "bpchar") && new.name == "varchar":
		m, ok := new.mod(0)
		n, ok2 := old.mod(0)
		return len(new.mods) == 0 || ok && ok2 && m >= n
	case old.name == "bpchar" && new.name == "text":
		return true
	case new.name == "text" && old.name != "bytea":
		return true // every type has a text form
	}
	return false
}

// stableFuncs are functions whose value is the same for every row of one
// statement, so a default using them needs no rewrite on PostgreSQL 11+.
var stableFuncs = map[string]bool{
	"now": true, "statement_timestamp": true, "transaction_timestamp": true,
	"current_timestamp": true, "current_date": true, "localtimestamp": true,
	"lower": true, "upper": true, "concat": true, "length": true, "coalesce": true,
	"jsonb_build_object": true, "json_build_object": true, "jsonb_build_array": true,
	"json_build_array": true, "to_jsonb": true, "array": true, "make_interval": true,
	"to_timestamp": true, "to_date": true, "abs": true, "round": true,
}

// volatile reports whether a default expression may differ row by row.
// Unknown functions count as volatile: safemigrate cannot see their
// definition.
func volatile(n Node) bool {
	if !n.Exists() {
		return false
	}
	typ, v := n.Type()
	switch typ {
	case "A_Const", "SQLValueFunction", "Integer", "Float", "String", "Boolean":
		return false
	case "TypeCast":
		return volatile(v.Get("arg"))
	case "A_Expr":
		return volatile(v.Get("lexpr")) || volatile(v.Get("rexpr"))
	case "BoolExpr", "CoalesceExpr", "MinMaxExpr":
		return anyVolatile(v.A("args"))
	case "A_ArrayExpr":
		return anyVolatile(v.A("elements"))
	case "List":
		return anyVolatile(v.A("items"))
	case "FuncCall":
		name := ""
		if fn := v.A("funcname"); len(fn) > 0 {
			name = strings.ToLower(fn[len(fn)-1].Sval())
		}
		return !stableFuncs[name] || anyVolatile(v.A("args"))
	}
	return true
}

func anyVolatile(ns []Node) bool {
	for _, n := range ns {
		if volatile(n) {
			return true
		}
	}
	return false
}

// zeroOffsetZone reports whether a time zone value (of SET TIME ZONE or
// set_config) is a fixed offset of zero, under which PostgreSQL 12+
// changes timestamp to timestamptz without a rewrite: UTC and its
// aliases, a number of hours that is zero (SET TIME ZONE 0), or an
// interval that is zero (INTERVAL '+00:00').
func zeroOffsetZone(n Node) bool {
	if tc := n.As("TypeCast"); tc.Exists() {
		names := tc.Get("typeName").A("names")
		if len(names) == 0 || names[len(names)-1].Sval() != "interval" {
			return false
		}
		return zeroNumber(constString(tc.Get("arg")))
	}
	c := n.As("A_Const")
	if !c.Exists() {
		return false
	}
	if c.Has("ival") {
		return c.Get("ival").I("ival") == 0
	}
	if c.Has("fval") {
		return zeroNumber(c.Get("fval").S("fval"))
	}
	s := c.Get("sval").S("sval")
	switch strings.ToUpper(s) {
	case "UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z", "ZULU", "ETC/ZULU", "UNIVERSAL", "ETC/UNIVERSAL", "UCT", "ETC/UCT",
		"GMT0", "ETC/GMT0", "GMT+0", "ETC/GMT+0", "GMT-0", "ETC/GMT-0", "GREENWICH", "ETC/GREENWICH", "UTC0":
		return true
	}
	// A string that reads as a number of hours, as the server reads it.
	return s != "" && strings.Trim(s, "+-0123456789.") == "" && zeroNumber(s)
}

// zeroNumber reports whether s, a number of hours or an interval such as
// "+00:00", is zero: signs, zeros, colons and points only, one zero at
// least.
func zeroNumber(s string) bool {
	s = strings.TrimSpace(s)
	return strings.ContainsRune(s, '0') && strings.Trim(s, "+-0:.") == ""
}
