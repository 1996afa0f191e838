package migration

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// Layout is the convention a migrations directory follows: safemigrate's
// own, or another tool's whose history safemigrate reads in place
// (docs/file-format.md, "Other tools' layouts").
type Layout string

// The layouts. LayoutAuto detects the layout from the files.
const (
	LayoutAuto          Layout = "auto"
	LayoutSafemigrate   Layout = "safemigrate"
	LayoutGoose         Layout = "goose"
	LayoutGolangMigrate Layout = "golang-migrate"
	LayoutDbmate        Layout = "dbmate"
	LayoutFlyway        Layout = "flyway"
)

// Layouts lists every layout, auto first.
var Layouts = []Layout{LayoutAuto, LayoutSafemigrate, LayoutGoose, LayoutGolangMigrate, LayoutDbmate, LayoutFlyway}

// ParseLayout returns the layout named s; "" is auto.
func ParseLayout(s string) (Layout, error) {
	if s == "" {
		return LayoutAuto, nil
	}
	names := make([]string, len(Layouts))
	for i, l := range Layouts {
		if string(l) == s {
			return l, nil
		}
		names[i] = string(l)
	}
	return "", fmt.Errorf("unknown layout %q; use one of %s", s, strings.Join(names, ", "))
}

// part says what a file is in its layout.
type part int

const (
	partUp   part = iota // a migration (its up part)
	partDown             // golang-migrate .down.sql, flyway U… undo file: kept, never run
)

// fileName is what a file's name says in a layout.
type fileName struct {
	id, version, name string // id without the chain
	part              part
}

// parseFileName reads base, a `.sql` file's name, by layout's rule. A
// problem comes back as a message saying what to do.
func parseFileName(l Layout, base string) (fileName, string) {
	stem := strings.TrimSuffix(base, ".sql")
	switch l {
	case LayoutGolangMigrate:
		p := partUp
		s, up := strings.CutSuffix(stem, ".up")
		if !up {
			var down bool
			if s, down = strings.CutSuffix(stem, ".down"); !down {
				return fileName{}, "golang-migrate names files <version>_<title>.up.sql and <version>_<title>.down.sql; rename this one or move it out of the migrations directory"
			}
			p = partDown
		}
		v, n, ok := ParseName(s)
		if !ok || !isDigits(v) {
			return fileName{}, "golang-migrate names files <version>_<title>.up.sql, the version all digits (e.g. 000001_create_users.up.sql)"
		}
		return fileName{id: s, version: v, name: n, part: p}, ""
	case LayoutFlyway:
		if strings.HasPrefix(stem, "R__") {
			return fileName{}, "Flyway repeatable migrations (R__…) run again whenever they change; safemigrate does not support them: turn this one into a versioned V<version>__<description>.sql migration, or run it outside safemigrate"
		}
		p := partUp
		switch {
		case strings.HasPrefix(stem, "V"):
		case strings.HasPrefix(stem, "U"):
			p = partDown
		default:
			return fileName{}, "Flyway names migrations V<version>__<description>.sql (undo files U<version>__<description>.sql); Flyway callbacks and other scripts are not migrations: move this file out of the migrations directory"
		}
		v, desc, ok := strings.Cut(stem[1:], "__")
		v = strings.ReplaceAll(v, "_", ".")
		if !ok || desc == "" || !IsVersion(v) {
			return fileName{}, "Flyway names migrations V<version>__<description>.sql, the version digits separated by dots or underscores (e.g. V1.2__add_users.sql)"
		}
		return fileName{id: v + "__" + desc, version: v, name: desc, part: p}, ""
	}
	if l == LayoutSafemigrate && (strings.HasSuffix(stem, ".down") || strings.HasSuffix(stem, ".up")) {
		return fileName{}, "this looks like a golang-migrate file, whose .down.sql files the safemigrate layout would run as migrations; set `layout: golang-migrate` in safemigrate.yaml (or pass --layout golang-migrate)"
	}
	v, n, ok := ParseName(stem)
	if !ok || !isDigits(v) {
		return fileName{}, "file name has no version prefix; name it <version>_<name>.sql, e.g. 0001_create_users.sql or 20260101120000_create_users.sql"
	}
	return fileName{id: stem, version: v, name: n}, ""
}

// signals lists the layouts a file's name and content point to, for
// detection: a `-- +goose Up` line, a .up.sql/.down.sql name, a
// `-- migrate:up` line, a Flyway V/U/R name.
func signals(base string, src []byte) []Layout {
	var out []Layout
	stem := strings.TrimSuffix(base, ".sql")
	if strings.HasSuffix(stem, ".up") || strings.HasSuffix(stem, ".down") {
		out = append(out, LayoutGolangMigrate)
	}
	if looksFlyway(stem) {
		out = append(out, LayoutFlyway)
	}
	goose, dbmate := false, false
	forLines(src, func(_, _, _ int, text string) bool {
		if a, ok := gooseAnnotation(text); ok && a == "up" {
			goose = true
		}
		if m, _, ok := dbmateMarker(text); ok && m == "up" {
			dbmate = true
		}
		return !(goose && dbmate)
	})
	if goose {
		out = append(out, LayoutGoose)
	}
	if dbmate {
		out = append(out, LayoutDbmate)
	}
	return out
}

// looksFlyway reports a Flyway name: V<digit>…__…, U<digit>…__…, R__….
func looksFlyway(stem string) bool {
	if strings.HasPrefix(stem, "R__") {
		return true
	}
	if len(stem) < 2 || (stem[0] != 'V' && stem[0] != 'U') || !isDigit(stem[1]) {
		return false
	}
	return strings.Contains(stem, "__")
}

// forLines calls fn for each line of src with its 1-based number, the
// byte offsets of its start and end (without the newline) and its text
// trimmed of spaces, "\r" and a leading byte-order mark. fn returns false
// to stop.
func forLines(src []byte, fn func(line, start, end int, text string) bool) {
	line := 0
	for off := 0; off < len(src); {
		end := len(src)
		next := len(src)
		if i := bytes.IndexByte(src[off:], '\n'); i >= 0 {
			end, next = off+i, off+i+1
		}
		line++
		text := string(src[off:end])
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if !fn(line, off, end, strings.TrimSpace(text)) {
			return
		}
		off = next
	}
}

// isComment reports a blank line or a `--` comment line (trimmed text).
func isComment(text string) bool { return text == "" || strings.HasPrefix(text, "--") }

// gooseAnnotation recognises `-- +goose <Annotation>` and returns the
// annotation lower-cased with single spaces ("up", "no transaction").
func gooseAnnotation(text string) (string, bool) {
	rest, ok := strings.CutPrefix(text, "--")
	if !ok {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	if len(rest) < len("+goose") || !strings.EqualFold(rest[:len("+goose")], "+goose") {
		return "", false
	}
	return strings.ToLower(strings.Join(strings.Fields(rest[len("+goose"):]), " ")), true
}

// dbmateMarker recognises `-- migrate:up [options]` and
// `-- migrate:down`, returning "up" or "down" and the options.
func dbmateMarker(text string) (dir string, opts []string, ok bool) {
	rest, ok := strings.CutPrefix(text, "--")
	if !ok {
		return "", nil, false
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", nil, false
	}
	switch fields[0] {
	case "migrate:up":
		return "up", fields[1:], true
	case "migrate:down":
		return "down", fields[1:], true
	}
	return "", nil, false
}

// upPart is the up part of one file: SQL is src[:len(SQL)] with the
// foreign markers that map to directives rewritten as those directives
// (same length, so that every line and byte offset matches the file).
type upPart struct {
	sql      []byte
	original []byte // the file's bytes of the up part, for the checksum
}

// noTransaction replaces the line src[start:end] by a `transaction: false`
// directive of the same length (a comment either way).
func noTransaction(sql []byte, start, end int) {
	if end > start && sql[end-1] == '\r' {
		end--
	}
	d := "-- transaction: false"
	if end-start < len(d) {
		d = "--transaction:false"
	}
	copy(sql[start:end], d+strings.Repeat(" ", max(0, end-start-len(d))))
}

// splitUp finds the up part of src in layout l. Problems are positioned
// by line (0: the file as a whole).
func splitUp(l Layout, src []byte) (upPart, []Problem) {
	switch l {
	case LayoutGoose:
		return splitGoose(src)
	case LayoutDbmate:
		return splitDbmate(src)
	case LayoutFlyway:
		return upPart{sql: src, original: src}, flywayPlaceholders(src)
	case LayoutSafemigrate:
		return upPart{sql: src, original: src}, foreignDown(src)
	}
	return upPart{sql: src, original: src}, nil
}

// foreignDown refuses, in the safemigrate layout, a file with another
// tool's down section: the whole file would run, down part included.
func foreignDown(src []byte) []Problem {
	var probs []Problem
	forLines(src, func(line, _, _ int, text string) bool {
		if a, ok := gooseAnnotation(text); ok && a == "down" {
			probs = append(probs, Problem{line, "`-- +goose Down` starts a down section, which the safemigrate layout would run as part of the migration; set `layout: goose` in safemigrate.yaml (or pass --layout goose) so that only the up part runs"})
		}
		if d, _, ok := dbmateMarker(text); ok && d == "down" {
			probs = append(probs, Problem{line, "`-- migrate:down` starts a down section, which the safemigrate layout would run as part of the migration; set `layout: dbmate` in safemigrate.yaml (or pass --layout dbmate) so that only the up part runs"})
		}
		return true
	})
	return probs
}

// splitGoose reads goose's annotations: the up part runs from the top
// (leading comments, `-- +goose Up`) to `-- +goose Down` or the end.
func splitGoose(src []byte) (upPart, []Problem) {
	sql := append([]byte(nil), src...)
	var probs []Problem
	upLine, begin, upEnd := 0, 0, len(src)
	sawSQL, down := false, false
	forLines(src, func(line, start, end int, text string) bool {
		a, ok := gooseAnnotation(text)
		if !ok {
			if !isComment(text) {
				if !sawSQL && upLine == 0 {
					probs = append(probs, Problem{line, "SQL before `-- +goose Up`: goose refuses it too; move it below the Up line"})
				}
				sawSQL = true
			}
			return true
		}
		if down {
			if a == "no transaction" {
				probs = append(probs, Problem{line, "`-- +goose NO TRANSACTION` below `-- +goose Down` applies to the whole file in goose; move it to the comment lines at the top of the file"})
			}
			return true
		}
		switch a {
		case "up":
			if upLine != 0 {
				probs = append(probs, Problem{line, fmt.Sprintf("a second `-- +goose Up` (the first is on line %d); keep one", upLine)})
			}
			upLine = line
		case "down":
			switch {
			case upLine == 0:
				probs = append(probs, Problem{line, "`-- +goose Down` before `-- +goose Up`; the up part must come first"})
			case begin != 0:
				probs = append(probs, Problem{line, fmt.Sprintf("`-- +goose Down` inside the StatementBegin block opened on line %d; add `-- +goose StatementEnd` before it", begin)})
				begin = 0
			}
			down, upEnd = true, start
		case "statementbegin":
			if begin != 0 {
				probs = append(probs, Problem{line, fmt.Sprintf("`-- +goose StatementBegin` inside the block opened on line %d; add `-- +goose StatementEnd` before it", begin)})
			}
			begin = line
		case "statementend":
			if begin == 0 {
				probs = append(probs, Problem{line, "`-- +goose StatementEnd` without a StatementBegin before it"})
			}
			begin = 0
		case "no transaction":
			if sawSQL {
				probs = append(probs, Problem{line, "`-- +goose NO TRANSACTION` below SQL: safemigrate reads it among the comment lines at the top of the file; move it there"})
				break
			}
			noTransaction(sql, start, end)
		case "envsub on":
			probs = append(probs, Problem{line, "`-- +goose ENVSUB ON` makes goose substitute environment variables into the SQL; safemigrate runs SQL exactly as written and does not support it: write the values into the file"})
		case "envsub off":
		default:
			probs = append(probs, Problem{line, fmt.Sprintf("unknown goose annotation %q; goose knows Up, Down, StatementBegin, StatementEnd, NO TRANSACTION", strings.TrimSpace(text))})
		}
		return true
	})
	if upLine == 0 {
		probs = append(probs, Problem{0, "no `-- +goose Up` line, so the up part cannot be found (safemigrate never runs a whole goose file); add `-- +goose Up` above the migration's SQL"})
	} else if begin != 0 {
		probs = append(probs, Problem{begin, "`-- +goose StatementBegin` is never closed; add `-- +goose StatementEnd` after the statement"})
	}
	return upPart{sql: sql[:upEnd], original: src[:upEnd]}, probs
}

// splitDbmate reads dbmate's markers: the up part runs from the top
// (leading comments, `-- migrate:up`) to `-- migrate:down` or the end.
func splitDbmate(src []byte) (upPart, []Problem) {
	sql := append([]byte(nil), src...)
	var probs []Problem
	upLine, upEnd := 0, len(src)
	sawSQL := false
	forLines(src, func(line, start, end int, text string) bool {
		d, opts, ok := dbmateMarker(text)
		if !ok {
			if !isComment(text) {
				if !sawSQL && upLine == 0 {
					probs = append(probs, Problem{line, "SQL before `-- migrate:up`: dbmate refuses it too; move it below the up line"})
				}
				sawSQL = true
			}
			return true
		}
		if d == "down" {
			if upLine == 0 {
				probs = append(probs, Problem{line, "`-- migrate:down` before `-- migrate:up`; the up part must come first"})
			}
			upEnd = start
			return false
		}
		if upLine != 0 {
			probs = append(probs, Problem{line, fmt.Sprintf("a second `-- migrate:up` (the first is on line %d); keep one", upLine)})
			return true
		}
		upLine = line
		for _, o := range opts {
			switch o {
			case "transaction:false":
				noTransaction(sql, start, end)
			case "transaction:true":
			default:
				probs = append(probs, Problem{line, fmt.Sprintf("unknown dbmate option %q; dbmate knows transaction:false", o)})
			}
		}
		return true
	})
	if upLine == 0 {
		probs = append(probs, Problem{0, "no `-- migrate:up` line, so the up part cannot be found (safemigrate never runs a whole dbmate file); add `-- migrate:up` above the migration's SQL"})
	}
	return upPart{sql: sql[:upEnd], original: src[:upEnd]}, probs
}

// flywayPlaceholders refuses `${name}` placeholders, which Flyway
// replaces in the SQL text before running it.
func flywayPlaceholders(src []byte) []Problem {
	var probs []Problem
	forLines(src, func(line, _, _ int, text string) bool {
		i := strings.Index(text, "${")
		if i < 0 {
			return true
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			return true
		}
		name := text[i+2 : i+j]
		if name == "" || strings.ContainsAny(name, " \t'\"$") {
			return true
		}
		probs = append(probs, Problem{line, fmt.Sprintf("Flyway placeholder ${%s}: Flyway replaces placeholders in the SQL before running it; safemigrate runs SQL exactly as written and does not support them: write the value into the file", name)})
		return true
	})
	return probs
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// ReadFile reads one migration file on its own, as [Read] would in
// layout: name is its path for messages (its base name decides), src its
// content. In the auto layout, the file alone decides. A down file (a
// .down.sql or Flyway undo file) gives nil and no error: it is not a
// migration. Problems come back as a *[LoadError]; the File's ID has no
// chain.
func ReadFile(layout Layout, name string, src []byte) (*File, error) {
	base := path.Base(name)
	s := Source{Path: name, Name: base}
	if layout == "" || layout == LayoutAuto {
		l, fe := detect([]Source{s}, [][]byte{src})
		if fe != nil {
			fe.File = name
			return nil, &LoadError{Errors: []*FileError{fe}}
		}
		layout = l
	}
	f, _, fes := readFile(layout, s, src)
	var refuse []*FileError
	for _, fe := range fes {
		if !fe.InFile {
			refuse = append(refuse, fe)
		}
	}
	if len(refuse) > 0 {
		return nil, &LoadError{Errors: refuse}
	}
	if f != nil && f.Version == "" {
		f.ID = strings.TrimSuffix(base, ".sql")
	}
	return f, nil
}
