package sqlparse

import "unsafe"

// Hooks for the black-box tests of the parse-tree decode.
var (
	ParseTree = parseTree
	ParseJSON = parseJSON
)

// TokSize is the size of one decoded token.
const TokSize = unsafe.Sizeof(tok{})
