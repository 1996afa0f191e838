package lint

import (
	"bytes"
	"strings"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

const (
	ignorePrefix     = "safemigrate:ignore"
	ignoreFilePrefix = "safemigrate:ignore-file"
)

// ignore is one `-- safemigrate:ignore` or `-- safemigrate:ignore-file`
// comment.
type ignore struct {
	pos         int // offset of the comment
	end         int
	file        bool // ignore-file
	rules       []string
	used        []bool
	start, stop int // the byte range of the statement it silences
}

// parseIgnores finds the suppression comments of a file. Inline ignores
// sit before a statement on lines of their own, or after a statement's
// semicolon on the line where it ends; ignore-file comments sit in the
// header.
func parseIgnores(src []byte, d *migration.Directives, stmts []annotate.Statement) []*ignore {
	var out []*ignore
	// Header: ignore-file.
	forComments(src, 0, d.HeaderEnd, func(pos, end int, text string, ownLine bool) {
		if rest, ok := cutKeyword(text, ignoreFilePrefix); ok {
			out = append(out, newIgnore(pos, end, true, rest))
		}
	})
	prevEnd, prevStart, prevStop := 0, -1, -1
	for _, s := range stmts {
		// Before the first statement the header counts too: an ignore
		// right above it is a header line.
		lo := prevEnd
		forComments(src, lo, s.Start, func(pos, end int, text string, ownLine bool) {
			rest, ok := cutKeyword(text, ignorePrefix)
			if !ok {
				return
			}
			ig := newIgnore(pos, end, false, rest)
			if !ownLine && prevStart >= 0 {
				ig.start, ig.stop = prevStart, prevStop // trailing comment: the statement before
			} else {
				ig.start, ig.stop = s.Start, s.End
			}
			out = append(out, ig)
		})
		prevEnd, prevStart, prevStop = s.End, s.Start, s.End
	}
	forComments(src, max(prevEnd, d.HeaderEnd), len(src), func(pos, end int, text string, ownLine bool) {
		if rest, ok := cutKeyword(text, ignorePrefix); ok && !strings.HasPrefix(text, ignoreFilePrefix) {
			ig := newIgnore(pos, end, false, rest)
			if !ownLine && prevStart >= 0 {
				ig.start, ig.stop = prevStart, prevStop
			} else {
				ig.start, ig.stop = -1, -1 // silences nothing: no statement follows
			}
			out = append(out, ig)
		}
	})
	return out
}

func newIgnore(pos, end int, file bool, list string) *ignore {
	if i := strings.Index(list, "--"); i >= 0 {
		list = list[:i] // the rest is the justification
	}
	ig := &ignore{pos: pos, end: end, file: file, start: -1, stop: -1}
	ig.rules = strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	ig.used = make([]bool, len(ig.rules))
	return ig
}

// cutKeyword matches "safemigrate:ignore[-file] rules..." exactly (so
// that "safemigrate:ignore-file" is not an inline ignore).
func cutKeyword(text, kw string) (string, bool) {
	rest, ok := strings.CutPrefix(text, kw)
	if !ok || rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// forComments calls fn for each `--` comment in src[lo:hi], with its text
// after the dashes and whether it is alone on its line.
func forComments(src []byte, lo, hi int, fn func(pos, end int, text string, ownLine bool)) {
	if lo < 0 {
		lo = 0
	}
	if hi > len(src) {
		hi = len(src)
	}
	for i := lo; i < hi; {
		j := bytes.Index(src[i:hi], []byte("--"))
		if j < 0 {
			return
		}
		pos := i + j
		end := bytes.IndexByte(src[pos:hi], '\n')
		if end < 0 {
			end = hi
		} else {
			end += pos
		}
		ls := bytes.LastIndexByte(src[:pos], '\n') + 1
		ownLine := len(bytes.TrimSpace(src[ls:pos])) == 0
		fn(pos, end, string(bytes.TrimSpace(bytes.TrimRight(src[pos+2:end], "\r"))), ownLine)
		i = end
	}
}

// suppress drops the diagnostics silenced by ignores and marks those
// ignores used.
func suppress(diags []Diagnostic, igs []*ignore) []Diagnostic {
	out := diags[:0]
next:
	for _, d := range diags {
		for _, ig := range igs {
			if !ig.file && (d.Pos < ig.start || d.Pos > ig.stop) {
				continue
			}
			for i, r := range ig.rules {
				if r == d.Rule {
					ig.used[i] = true
					continue next
				}
			}
		}
		out = append(out, d)
	}
	return out
}
