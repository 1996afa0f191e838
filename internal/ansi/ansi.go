// Package ansi holds the terminal escape sequences safemigrate's text
// output uses: colours and styles (SGR codes) and the line erase of a
// progress line. Callers decide whether colour is on (a terminal, no
// NO_COLOR); Paint only applies it.
//
//	fmt.Fprintln(w, ansi.Paint(color, "error", ansi.Bold, ansi.Red))
package ansi

import "strings"

// Code is an SGR parameter: a colour or a style.
type Code string

// The codes safemigrate uses.
const (
	Bold   Code = "1"
	Dim    Code = "2"
	Red    Code = "31"
	Green  Code = "32"
	Yellow Code = "33"
	Blue   Code = "34"
)

// Reset ends every colour and style.
const Reset = "\x1b[0m"

// ClearLine returns the cursor to the start of the line and erases it.
const ClearLine = "\r\x1b[K"

// Paint wraps text in the codes, combined into one sequence, and a reset;
// it returns text unchanged when on is false, text is empty or no code is
// given.
func Paint(on bool, text string, codes ...Code) string {
	if !on || text == "" || len(codes) == 0 {
		return text
	}
	var b strings.Builder
	b.WriteString("\x1b[")
	for i, c := range codes {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(string(c))
	}
	b.WriteByte('m')
	b.WriteString(text)
	b.WriteString(Reset)
	return b.String()
}
