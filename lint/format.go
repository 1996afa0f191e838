package lint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/safemigrate/safemigrate/internal/ansi"
	"github.com/safemigrate/safemigrate/internal/english"
	"github.com/safemigrate/safemigrate/migration"
)

// Formats lists the output formats [Write] accepts.
var Formats = []string{"text", "json", "github", "sarif"}

// WriteOptions tune the output.
type WriteOptions struct {
	// Color adds ANSI colours to the text format.
	Color bool
	// WarningsAsErrors makes warnings fail the JSON "ok".
	WarningsAsErrors bool
	// Rules are described in the SARIF output; nil means [Rules].
	Rules []*Rule
	// Version of the tool, for SARIF.
	Version string
}

// Write prints res to w in format (one of [Formats]).
func Write(w io.Writer, format string, res *Result, opts WriteOptions) error {
	switch format {
	case "text", "":
		return WriteText(w, res, opts)
	case "json":
		return WriteJSON(w, res, opts)
	case "github":
		return WriteGitHub(w, res)
	case "sarif":
		return WriteSARIF(w, res, opts)
	}
	return fmt.Errorf("unknown lint format %q (valid: %s)", format, strings.Join(Formats, ", "))
}

// WriteText prints diagnostics grouped by file, each as
// "file:line:col: severity rule: message" followed by its indented hint,
// and a summary line.
func WriteText(w io.Writer, res *Result, opts WriteOptions) error {
	paint := func(s string, codes ...ansi.Code) string { return ansi.Paint(opts.Color, s, codes...) }
	var b strings.Builder
	prev := ""
	files := 0
	for _, d := range res.Diagnostics {
		if d.File != prev {
			if prev != "" {
				b.WriteByte('\n')
			}
			prev = d.File
			files++
		}
		sev := d.Severity.String()
		switch d.Severity {
		case Error:
			sev = paint(sev, ansi.Bold, ansi.Red)
		case Warning:
			sev = paint(sev, ansi.Bold, ansi.Yellow)
		default:
			sev = paint(sev, ansi.Blue)
		}
		fmt.Fprintf(&b, "%s: %s %s: %s\n", paint(fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Column), ansi.Bold), sev, paint(d.Rule, ansi.Bold), d.Message)
		if d.Hint != "" {
			for i, l := range strings.Split(d.Hint, "\n") {
				lead := "    hint: "
				if i > 0 {
					lead = "          "
				}
				b.WriteString(paint(lead+l, ansi.Dim) + "\n")
			}
		}
	}
	if len(res.Diagnostics) > 0 {
		b.WriteByte('\n')
	}
	if res.Count(Error)+res.Count(Warning) == 0 && files == 0 {
		fmt.Fprintf(&b, "No problems (%s checked)\n", english.Plural(res.Files, "file"))
	} else {
		fmt.Fprintf(&b, "%s, %s in %s (%s checked)\n", english.Plural(res.Count(Error), "error"), english.Plural(res.Count(Warning), "warning"), english.Plural(files, "file"), english.Plural(res.Files, "file"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonDiagnostic struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"end_line"`
	EndColumn int    `json:"end_column"`
	Rule      string `json:"rule"`
	Severity  string `json:"severity"`
	Message   string `json:"message"`
	Hint      string `json:"hint"`
}

type jsonSuggestion struct {
	ID        string  `json:"id"`
	File      string  `json:"file"`
	Declared  *string `json:"declared"`
	Suggested string  `json:"suggested"`
	Line      int     `json:"line,omitempty"`
	Reason    string  `json:"reason"`
}

// WriteJSON prints the docs/json.md lint document: {"ok", "diagnostics",
// "suggested"}. A missing safe directive is "declared": null. Each
// diagnostic and suggestion sits on a line of its own, which keeps big
// reports fast to write and easy to grep and diff.
func WriteJSON(w io.Writer, res *Result, opts WriteOptions) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var b bytes.Buffer // one entry at a time
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	fmt.Fprintf(&b, "{\n  \"ok\": %t,\n  \"diagnostics\": [", res.OK(opts.WarningsAsErrors))
	for i, d := range res.Diagnostics {
		flush(bw, &b)
		b.WriteString(sep(i))
		if err := enc.Encode(jsonDiagnostic{File: d.File, Line: d.Line, Column: d.Column, EndLine: d.EndLine, EndColumn: d.EndColumn,
			Rule: d.Rule, Severity: d.Severity.String(), Message: d.Message, Hint: d.Hint}); err != nil {
			return err
		}
		b.Truncate(b.Len() - 1) // the encoder's newline
	}
	b.WriteString(closer(len(res.Diagnostics)) + ",\n  \"suggested\": [")
	for i, s := range res.Suggested {
		flush(bw, &b)
		b.WriteString(sep(i))
		js := jsonSuggestion{ID: s.ID, File: s.File, Suggested: string(s.Suggested), Line: s.Line, Reason: s.Reason}
		if s.Declared != "" {
			d := string(s.Declared)
			js.Declared = &d
		}
		if err := enc.Encode(js); err != nil {
			return err
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteString(closer(len(res.Suggested)) + "\n}\n")
	flush(bw, &b)
	return bw.Flush()
}

// flush moves b's bytes to bw; bw's error surfaces at its Flush.
func flush(bw *bufio.Writer, b *bytes.Buffer) {
	_, _ = bw.Write(b.Bytes())
	b.Reset()
}

func sep(i int) string {
	if i == 0 {
		return "\n    "
	}
	return ",\n    "
}

func closer(n int) string {
	if n == 0 {
		return "]"
	}
	return "\n  ]"
}

// WriteGitHub prints GitHub Actions workflow commands, one per
// diagnostic: `::error file=F,line=L,col=C,endLine=..,endColumn=..,title=RULE::message`.
// The hint follows the message on a new line (escaped as %0A).
func WriteGitHub(w io.Writer, res *Result) error {
	var b strings.Builder
	for _, d := range res.Diagnostics {
		cmd := "notice"
		switch d.Severity {
		case Error:
			cmd = "error"
		case Warning:
			cmd = "warning"
		}
		fmt.Fprintf(&b, "::%s file=%s,line=%d,col=%d,endLine=%d,endColumn=%d,title=%s::%s\n", cmd,
			EscapeProperty(d.File), d.Line, d.Column, d.EndLine, d.EndColumn, EscapeProperty("safemigrate "+d.Rule), EscapeData(d.Message+hintSuffix(d.Hint)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func hintSuffix(h string) string {
	if h == "" {
		return ""
	}
	return "\nhint: " + h
}

// EscapeData escapes a workflow command's message: %, CR and LF.
func EscapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// EscapeProperty escapes a workflow command property value: like
// [EscapeData], plus ':' and ','.
func EscapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// LoadError is a problem that kept the files from being linted at all: a
// migrations directory that does not load (duplicate versions, a
// dependency cycle, a bad header). File and Line are empty when the
// problem is not tied to a file.
type LoadError struct {
	File    string
	Line    int
	Message string
}

// WriteLoadErrors prints errs in format, so that a CI step reading the
// github or sarif output still gets a valid document (an annotation per
// problem, a SARIF log whose results are the problems) when nothing could
// be linted. The text and json formats print nothing: the command's
// error message (stderr) says it.
func WriteLoadErrors(w io.Writer, format string, errs []LoadError, opts WriteOptions) error {
	switch format {
	case "github":
		var b strings.Builder
		for _, e := range errs {
			props := ""
			if e.File != "" {
				props = fmt.Sprintf(" file=%s,line=%d,", EscapeProperty(e.File), max(e.Line, 1))
			} else {
				props = " "
			}
			fmt.Fprintf(&b, "::error%stitle=%s::%s\n", props, EscapeProperty("safemigrate "+LoadErrorRule), EscapeData(e.Message))
		}
		_, err := io.WriteString(w, b.String())
		return err
	case "sarif":
		return writeSARIFLoadErrors(w, errs, opts)
	}
	return nil
}

// LoadErrorsOf lists the problems of an error that kept the files from
// loading: each positioned file error in it, or else its message.
func LoadErrorsOf(err error) []LoadError {
	var out []LoadError
	var walk func(error)
	walk = func(e error) {
		if fe, ok := e.(*migration.FileError); ok {
			out = append(out, LoadError{File: fe.File, Line: fe.Line, Message: fe.Message})
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			if x := u.Unwrap(); x != nil {
				walk(x)
			}
		}
	}
	walk(err)
	if len(out) == 0 {
		out = append(out, LoadError{Message: err.Error()})
	}
	return out
}
