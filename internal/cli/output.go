package cli

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/width"

	"github.com/safemigrate/safemigrate/internal/ansi"
)

// style wraps text in ANSI colours when enabled.
type style struct{ on bool }

func (s style) bold(t string) string   { return ansi.Paint(s.on, t, ansi.Bold) }
func (s style) dim(t string) string    { return ansi.Paint(s.on, t, ansi.Dim) }
func (s style) green(t string) string  { return ansi.Paint(s.on, t, ansi.Green) }
func (s style) yellow(t string) string { return ansi.Paint(s.on, t, ansi.Yellow) }
func (s style) red(t string) string    { return ansi.Paint(s.on, t, ansi.Red) }

// table aligns rows of cells into columns; colours are applied after
// padding so that escape codes never disturb the alignment.
type table struct {
	indent string
	rows   [][]cell
}

type cell struct {
	text  string
	color func(string) string
}

func plain(t string) cell { return cell{text: t} }

func (t *table) add(cells ...cell) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c.text))
		}
	}
	for _, r := range t.rows {
		var b strings.Builder
		b.WriteString(t.indent)
		for i, c := range r {
			text := c.text
			pad := ""
			if i < len(r)-1 {
				pad = strings.Repeat(" ", widths[i]-displayWidth(text)+2)
			}
			if c.color != nil {
				text = c.color(text)
			}
			b.WriteString(text + pad)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// displayWidth is the number of terminal columns s takes: East Asian wide
// and fullwidth characters take two, combining marks and format
// characters none.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		case width.LookupRune(r).Kind() == width.EastAsianWide, width.LookupRune(r).Kind() == width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// cutWidth returns the longest prefix of s at most cols columns wide.
func cutWidth(s string, cols int) string {
	n := 0
	for i, r := range s {
		n += displayWidth(string(r))
		if n > cols {
			return s[:i]
		}
	}
	return s
}
