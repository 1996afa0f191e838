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
// once per file. FuzzAnalyze covers it.
func parseTree(src string) (Node, error) {
	t := &tree{src: src, toks: make([]tok, 1, len(src)/6+8)}
	p := &jparser{t: t, src: src}
	root := p.value()
	if p.err != nil {
		return Node{}, p.err
	}
	return Node{t: t, i: int32(root)}, nil
}

type jparser struct {
	t   *tree
	src string
	pos int
	err error
}

type treeError string

func (e treeError) Error() string { return string(e) }

func (p *jparser) ws() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\n', '\r', '\t':
			p.pos++
		default:
			return
		}
	}
}

func (p *jparser) value() int {
	p.ws()
	if p.pos >= len(p.src) || p.err != nil {
		p.err = treeError("truncated parse tree")
		return 0
	}
	idx := len(p.t.toks)
	switch c := p.src[p.pos]; {
	case c == '{':
		p.t.toks = append(p.t.toks, tok{kind: tokObject})
		p.pos++
		p.ws()
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			p.pos++
		} else {
			for p.err == nil {
				p.ws()
				p.str()
				if k := len(p.t.toks) - 1; p.err == nil && p.t.keyIs(int32(k), "FuncCall") {
					p.t.calls = append(p.t.calls, int32(k))
				}
				p.ws()
				if p.pos >= len(p.src) || p.src[p.pos] != ':' {
					p.err = treeError("malformed parse tree")
					return 0
				}
				p.pos++
				p.value()
				p.ws()
				if p.pos >= len(p.src) {
					p.err = treeError("truncated parse tree")
					return 0
				}
				if p.src[p.pos] == ',' {
					p.pos++
					continue
				}
				p.pos++ // '}'
				break
			}
		}
		p.t.toks[idx].start, p.t.toks[idx].end = int32(idx+1), int32(len(p.t.toks))
	case c == '[':
		p.t.toks = append(p.t.toks, tok{kind: tokArray})
		p.pos++
		p.ws()
		if p.pos < len(p.src) && p.src[p.pos] == ']' {
			p.pos++
		} else {
			for p.err == nil {
				p.value()
				p.ws()
				if p.pos >= len(p.src) {
					p.err = treeError("truncated parse tree")
					return 0
				}
				if p.src[p.pos] == ',' {
					p.pos++
					continue
				}
				p.pos++ // ']'
				break
			}
		}
		p.t.toks[idx].start, p.t.toks[idx].end = int32(idx+1), int32(len(p.t.toks))
	case c == '"':
		p.str()
	case c == 't':
		p.t.toks = append(p.t.toks, tok{kind: tokTrue})
		p.pos += 4
	case c == 'f':
		p.t.toks = append(p.t.toks, tok{kind: tokFalse})
		p.pos += 5
	case c == 'n':
		p.t.toks = append(p.t.toks, tok{kind: tokNull})
		p.pos += 4
	default:
		start := p.pos
		for p.pos < len(p.src) {
			c := p.src[p.pos]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' {
				break
			}
			p.pos++
		}
		p.t.toks = append(p.t.toks, tok{kind: tokNumber, start: int32(start), end: int32(p.pos)})
	}
	return idx
}

func (p *jparser) str() {
	if p.pos >= len(p.src) || p.src[p.pos] != '"' {
		p.err = treeError("malformed parse tree")
		return
	}
	p.pos++
	start := p.pos
	escaped := false
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case '\\':
			escaped = true
			p.pos += 2
			continue
		case '"':
			p.t.toks = append(p.t.toks, tok{kind: tokString, start: int32(start), end: int32(p.pos), escaped: escaped})
			p.pos++
			return
		}
		p.pos++
	}
	p.err = treeError("truncated parse tree")
}

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
