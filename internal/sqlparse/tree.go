package sqlparse

import (
	"slices"
	"strconv"
	"strings"
)

// Node is one node of a statement's parse tree, as the PostgreSQL parser
// (libpg_query) describes it: an object with named fields, an array, a
// string, a number or a boolean. Parse trees are decoded once into a flat
// table, so walking them allocates nothing; a zero Node is "absent", and
// every accessor on an absent node returns the zero value, like the
// parser's own convention of omitting empty fields.
//
// Node names and field names are libpg_query's (see its pg_query.proto):
// a statement is an object with one key naming its type, e.g.
// {"AlterTableStmt": {"relation": {...}, "cmds": [...]}}.
type Node struct {
	t *tree
	i int32 // index into t.toks; 0 means absent
}

type tokKind uint8

const (
	tokNone tokKind = iota
	tokObject
	tokArray
	tokString
	tokNumber
	tokTrue
	tokFalse
	tokNull
)

// tok is one value of the tree. Objects and arrays hold their children
// as the tokens that follow them; end is one past the last token inside.
// Object members are key tokens (kind string) each followed by the value.
//
// The two one-byte fields come first: 12 bytes a token, not 16 (a file's
// tokens are allocated, and zeroed, at once).
type tok struct {
	kind       tokKind
	escaped    bool  // string contains backslash escapes
	start, end int32 // for strings and numbers: byte range in src (strings without quotes); for containers: token range
}

type tree struct {
	src  string // the JSON; keys and numbers are read in place
	toks []tok
	// calls are the key tokens "FuncCall", in order: [Node.AnyCall]
	// finds a statement's calls without walking its tree.
	calls []int32
}

// parseTree decodes the JSON libpg_query produces. It is not a general
// JSON decoder: it trusts its input to be well formed, as libpg_query's
// output is, and reports an error only for truncated input.
//
// Why not a library: lint's throughput is mostly this decode. With
// encoding/json into maps it was several times slower; with
// github.com/valyala/fastjson (tried 2026-11-22) `make bench-lint` fell from
// 16,260 to 10,471 files/s (1.54x squawk instead of 2.09x), its value
// tree costing a slice growth per node where this flat table is sized
// once per file. FuzzAnalyze covers it. One loop with the open containers
// on a stack, not a recursive descent, and strings scanned in one tight
// loop: 27% faster than the recursive decoder it replaced (2026-12-01).
func parseTree(src string) (Node, error) {
	t := &tree{src: src}
	toks := make([]tok, 1, len(src)/6+8)
	var open []int32 // the objects and arrays not yet closed, innermost last
	n := len(src)
	pos := 0
	member := false // the next value is an object member's: its key first
	for {
		for pos < n && isSpace(src[pos]) {
			pos++
		}
		if member {
			member = false
			if pos >= n || src[pos] != '"' {
				return Node{}, treeError("malformed parse tree")
			}
			end, escaped := scanString(src, pos+1)
			if end < 0 {
				return Node{}, treeError("truncated parse tree")
			}
			if end-pos-1 == len("FuncCall") && src[pos+1:end] == "FuncCall" {
				t.calls = append(t.calls, int32(len(toks)))
			}
			toks = append(toks, tok{kind: tokString, escaped: escaped, start: int32(pos + 1), end: int32(end)})
			pos = end + 1
			for pos < n && isSpace(src[pos]) {
				pos++
			}
			if pos >= n || src[pos] != ':' {
				return Node{}, treeError("malformed parse tree")
			}
			pos++
			for pos < n && isSpace(src[pos]) {
				pos++
			}
		}
		if pos >= n {
			return Node{}, treeError("truncated parse tree")
		}
		switch c := src[pos]; c {
		case '{', '[':
			kind := tokObject
			if c == '[' {
				kind = tokArray
			}
			open = append(open, int32(len(toks)))
			toks = append(toks, tok{kind: kind})
			pos++
			for pos < n && isSpace(src[pos]) {
				pos++
			}
			if pos < n && (src[pos] == '}' || src[pos] == ']') {
				break // empty: closed below
			}
			member = kind == tokObject
			continue
		case '"':
			end, escaped := scanString(src, pos+1)
			if end < 0 {
				return Node{}, treeError("truncated parse tree")
			}
			toks = append(toks, tok{kind: tokString, escaped: escaped, start: int32(pos + 1), end: int32(end)})
			pos = end + 1
		case 't':
			toks = append(toks, tok{kind: tokTrue})
			pos += 4
		case 'f':
			toks = append(toks, tok{kind: tokFalse})
			pos += 5
		case 'n':
			toks = append(toks, tok{kind: tokNull})
			pos += 4
		default:
			start := pos
			for pos < n {
				c := src[pos]
				if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' {
					break
				}
				pos++
			}
			toks = append(toks, tok{kind: tokNumber, start: int32(start), end: int32(pos)})
		}
		// After a value: the next member or element, or the end of
		// containers.
		for {
			if len(open) == 0 {
				t.toks = toks
				return Node{t: t, i: 1}, nil
			}
			for pos < n && isSpace(src[pos]) {
				pos++
			}
			if pos >= n {
				return Node{}, treeError("truncated parse tree")
			}
			top := open[len(open)-1]
			if src[pos] == ',' {
				pos++
				member = toks[top].kind == tokObject
				break
			}
			pos++ // '}' or ']'
			toks[top].start, toks[top].end = top+1, int32(len(toks))
			open = open[:len(open)-1]
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// scanString returns the offset of the '"' that ends the JSON string
// whose content starts at start, -1 if none, and whether the string has
// backslash escapes.
func scanString(src string, start int) (end int, escaped bool) {
	for i := start; i < len(src); i++ {
		switch src[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			return i, escaped
		}
	}
	return -1, escaped
}

type treeError string

func (e treeError) Error() string { return string(e) }

// next returns the index of the token after the value at i.
func (t *tree) next(i int32) int32 {
	switch t.toks[i].kind {
	case tokObject, tokArray:
		return t.toks[i].end
	}
	return i + 1
}

func (t *tree) keyIs(i int32, key string) bool {
	k := t.toks[i]
	// Length and first byte before the comparison: most keys differ there.
	return int(k.end-k.start) == len(key) && (len(key) == 0 || t.src[k.start] == key[0]) && t.src[k.start:k.end] == key
}

// Get returns the field key of an object node.
func (n Node) Get(key string) Node {
	if n.t == nil || n.t.toks[n.i].kind != tokObject {
		return Node{}
	}
	t := n.t
	for i := t.toks[n.i].start; i < t.toks[n.i].end; i = t.next(i + 1) {
		if t.keyIs(i, key) {
			return Node{t: t, i: i + 1}
		}
	}
	return Node{}
}

// Type returns the name of the single key of a node wrapper such as
// {"AlterTableStmt": {...}}, and its content.
func (n Node) Type() (string, Node) {
	if n.t == nil || n.t.toks[n.i].kind != tokObject || n.t.toks[n.i].end == n.t.toks[n.i].start {
		return "", Node{}
	}
	k := n.t.toks[n.t.toks[n.i].start]
	return n.t.src[k.start:k.end], Node{t: n.t, i: n.t.toks[n.i].start + 1}
}

// As returns the content of a node wrapper of the given type, or an
// absent node: n.As("RangeVar") on {"RangeVar": {...}}.
func (n Node) As(typ string) Node {
	if n.t == nil || n.t.toks[n.i].kind != tokObject || n.t.toks[n.i].end == n.t.toks[n.i].start {
		return Node{}
	}
	k := n.t.toks[n.i].start
	if !n.t.keyIs(k, typ) {
		return Node{}
	}
	return Node{t: n.t, i: k + 1}
}

// Exists reports whether the node is present.
func (n Node) Exists() bool { return n.t != nil && n.i > 0 }

// Str returns a string node's value ("" for anything else).
func (n Node) Str() string {
	if n.t == nil || n.t.toks[n.i].kind != tokString {
		return ""
	}
	k := n.t.toks[n.i]
	// A copy: values are kept (names in a schema), and a slice of the
	// JSON would keep all of it.
	s := n.t.src[k.start:k.end]
	if k.escaped {
		if u, err := strconv.Unquote(`"` + s + `"`); err == nil {
			return u
		}
	}
	return strings.Clone(s)
}

// Int returns a number node's value (0 for anything else).
func (n Node) Int() int {
	if n.t == nil || n.t.toks[n.i].kind != tokNumber {
		return 0
	}
	k := n.t.toks[n.i]
	v, _ := strconv.Atoi(n.t.src[k.start:k.end])
	return v
}

// Bool returns a boolean node's value (false for anything else).
func (n Node) Bool() bool { return n.t != nil && n.t.toks[n.i].kind == tokTrue }

// Len returns the number of elements of an array node.
func (n Node) Len() int {
	c := 0
	n.Each(func(Node) { c++ })
	return c
}

// Each calls fn for each element of an array node.
func (n Node) Each(fn func(Node)) {
	if n.t == nil || n.t.toks[n.i].kind != tokArray {
		return
	}
	t := n.t
	for i := t.toks[n.i].start; i < t.toks[n.i].end; i = t.next(i) {
		fn(Node{t: t, i: i})
	}
}

// Items returns the elements of an array node.
func (n Node) Items() []Node {
	c := n.Len()
	if c == 0 {
		return nil
	}
	out := make([]Node, 0, c)
	n.Each(func(c Node) { out = append(out, c) })
	return out
}

// Index returns element i of an array node.
func (n Node) Index(i int) Node {
	var out Node
	j := 0
	n.Each(func(c Node) {
		if j == i {
			out = c
		}
		j++
	})
	return out
}

// S returns the string field key of an object node.
func (n Node) S(key string) string { return n.Get(key).Str() }

// I returns the number field key of an object node.
func (n Node) I(key string) int { return n.Get(key).Int() }

// B returns the boolean field key of an object node.
func (n Node) B(key string) bool { return n.Get(key).Bool() }

// A returns the elements of the array field key of an object node.
func (n Node) A(key string) []Node { return n.Get(key).Items() }

// Has reports whether an object node has the field key.
func (n Node) Has(key string) bool { return n.Get(key).Exists() }

// Sval returns the value of a {"String": {"sval": ...}} node.
func (n Node) Sval() string { return n.As("String").S("sval") }

// Is reports whether the string field key of an object node is val,
// without allocating (escaped strings never match).
func (n Node) Is(key, val string) bool {
	f := n.Get(key)
	if f.t == nil || f.t.toks[f.i].kind != tokString {
		return false
	}
	k := f.t.toks[f.i]
	return !k.escaped && f.t.src[k.start:k.end] == val
}

// AnyCall reports whether fn returns true for a function call under n
// (n included): the object of a {"FuncCall": {...}} node, as [Node.Walk]
// passes it with key "FuncCall". It looks only at the calls, in no
// particular order, without walking n.
func (n Node) AnyCall(fn func(call Node) bool) bool {
	if n.t == nil || n.i == 0 {
		return false
	}
	t := n.t
	end := t.next(n.i)
	lo, _ := slices.BinarySearch(t.calls, n.i)
	for _, k := range t.calls[lo:] {
		if k >= end {
			break
		}
		if fn(Node{t: t, i: k + 1}) {
			return true
		}
	}
	return false
}

// IsArray reports whether n is an array node.
func (n Node) IsArray() bool { return n.t != nil && n.t.toks[n.i].kind == tokArray }

// IsObject reports whether n is an object node.
func (n Node) IsObject() bool { return n.t != nil && n.t.toks[n.i].kind == tokObject }

// Fields calls fn with the name and value of each member of an object
// node, in order, until fn returns false.
func (n Node) Fields(fn func(key string, v Node) bool) {
	if n.t == nil || n.t.toks[n.i].kind != tokObject {
		return
	}
	t := n.t
	for i := t.toks[n.i].start; i < t.toks[n.i].end; i = t.next(i + 1) {
		k := t.toks[i]
		if !fn(t.src[k.start:k.end], Node{t: t, i: i + 1}) {
			return
		}
	}
}

// Walk calls fn for every member of every object under n (n included),
// depth first in source order; fn returning false skips the member's
// value. Node wrappers such as {"FuncCall": {...}} come as key "FuncCall"
// with the wrapped object.
func (n Node) Walk(fn func(key string, v Node) bool) {
	if n.t == nil || n.i == 0 {
		return
	}
	t := n.t
	switch t.toks[n.i].kind {
	case tokObject:
		for i := t.toks[n.i].start; i < t.toks[n.i].end; i = t.next(i + 1) {
			k := t.toks[i]
			v := Node{t: t, i: i + 1}
			if fn(t.src[k.start:k.end], v) {
				v.Walk(fn)
			}
		}
	case tokArray:
		for i := t.toks[n.i].start; i < t.toks[n.i].end; i = t.next(i) {
			Node{t: t, i: i}.Walk(fn)
		}
	}
}
