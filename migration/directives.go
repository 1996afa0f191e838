package migration

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate/internal/spell"
)

// Safe says when a migration may run relative to a code deploy.
type Safe string

// The values of the `-- safe:` directive.
const (
	BeforeDeploy Safe = "before_deploy"
	AfterDeploy  Safe = "after_deploy"
	Always       Safe = "always"
)

// SafeValues lists the valid [Safe] values in documentation order.
var SafeValues = []Safe{BeforeDeploy, AfterDeploy, Always}

// ParseSafe returns the Safe value named by s, or an error suggesting the
// closest valid value.
func ParseSafe(s string) (Safe, error) {
	for _, v := range SafeValues {
		if string(v) == s {
			return v, nil
		}
	}
	names := make([]string, len(SafeValues))
	for i, v := range SafeValues {
		names[i] = string(v)
	}
	msg := fmt.Sprintf("unknown safe value %q (valid: %s)", s, strings.Join(names, ", "))
	if best := spell.Closest(s, names, 3); best != "" {
		msg = fmt.Sprintf("unknown safe value %q, did you mean %s?", s, best)
	}
	return "", fmt.Errorf("%s", msg)
}

// Directive keys recognised in a migration header.
const (
	KeySafe             = "safe"
	KeyDepends          = "depends"
	KeyTransaction      = "transaction"
	KeyDelay            = "delay"
	KeyLockTimeout      = "lock_timeout"
	KeyStatementTimeout = "statement_timeout"
)

// Keys lists every directive key in documentation order.
var Keys = []string{KeySafe, KeyDepends, KeyTransaction, KeyDelay, KeyLockTimeout, KeyStatementTimeout}

// Directives are the header directives of one migration file.
//
// Lines maps each directive key present in the header to its 1-based line,
// so that callers (lint, error messages) can point at it. A zero value for a
// field whose key is absent from Lines means "not set".
type Directives struct {
	Safe             Safe          // empty when the file has no safe directive
	Depends          []string      // references as written, trimmed
	Transaction      bool          // true unless `transaction: false`
	Delay            time.Duration // only with safe: after_deploy
	LockTimeout      time.Duration // per-file override; see Has
	StatementTimeout time.Duration // per-file override; see Has
	Lines            map[string]int

	// HeaderEnd is the byte offset just past the header: everything before it
	// is blank lines and `--` comments.
	HeaderEnd int
	// HeaderLines is the number of lines the header spans.
	HeaderLines int
	// Outside lists directive-shaped lines for known keys below the header.
	// They are ignored; lint warns about them.
	Outside []Line
}

// Line is one positioned line of a migration file.
type Line struct {
	Line int    // 1-based
	Key  string // directive key
	Text string // the line without its trailing newline
}

// Has reports whether the header sets the directive key.
func (d *Directives) Has(key string) bool {
	_, ok := d.Lines[key]
	return ok
}

// Problem is an error in a migration header, positioned by line. The file
// name is added by the caller that knows it.
type Problem struct {
	Line    int
	Message string
}

func (p Problem) String() string { return fmt.Sprintf("%d: %s", p.Line, p.Message) }

// ParseHeader reads the directives from the header of a migration file.
//
// It never fails outright: every problem found is returned, in line order,
// together with the directives that could be read. A file with problems must
// not be used.
func ParseHeader(src []byte) (Directives, []Problem) {
	d := Directives{Transaction: true, Lines: map[string]int{}}
	var probs []Problem
	inHeader := true
	lineNo := 0
	for off := 0; off < len(src); {
		end := bytes.IndexByte(src[off:], '\n')
		next := len(src)
		if end >= 0 {
			next = off + end + 1
			end = off + end
		} else {
			end = len(src)
		}
		lineNo++
		line := bytes.TrimRight(src[off:end], "\r")
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, []byte("\ufeff")) // a UTF-8 byte-order mark is not content
		}
		trimmed := bytes.TrimSpace(line)
		comment := bytes.HasPrefix(trimmed, []byte("--"))
		if inHeader && len(trimmed) > 0 && !comment {
			inHeader = false
			d.HeaderEnd = off
			d.HeaderLines = lineNo - 1
		}
		if !comment {
			// Only a comment line can be a directive: the SQL lines, most
			// of a file, are looked at without a copy.
			off = next
			continue
		}
		raw, text := string(line), string(trimmed)
		key, value, ok := splitDirective(text)
		switch {
		case !ok:
		case !inHeader:
			if isKey(key) {
				d.Outside = append(d.Outside, Line{Line: lineNo, Key: key, Text: raw})
			}
		default:
			if p, bad := d.set(key, value, lineNo); bad {
				probs = append(probs, p)
			}
		}
		off = next
	}
	if inHeader {
		d.HeaderEnd = len(src)
		d.HeaderLines = lineNo
	}
	if d.Has(KeyDelay) && d.Safe != AfterDeploy && d.Safe != "" {
		probs = append(probs, Problem{d.Lines[KeyDelay], fmt.Sprintf("delay needs safe: after_deploy (this file is %s); remove the delay or change the safe value", d.Safe)})
	}
	if d.Has(KeyDelay) && !d.Has(KeySafe) {
		probs = append(probs, Problem{d.Lines[KeyDelay], "delay needs safe: after_deploy; add `-- safe: after_deploy` to the header"})
	}
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
	return d, probs
}

// splitDirective recognises `-- key: value` where key is one lowercase word.
func splitDirective(text string) (key, value string, ok bool) {
	rest, found := strings.CutPrefix(text, "--")
	if !found {
		return "", "", false
	}
	rest = strings.TrimSpace(rest)
	k, v, found := strings.Cut(rest, ":")
	if !found || k == "" {
		return "", "", false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-') {
			return "", "", false
		}
	}
	return strings.ToLower(k), strings.TrimSpace(v), true
}

func isKey(k string) bool {
	for _, known := range Keys {
		if k == known {
			return true
		}
	}
	return false
}

// set records one directive. It reports a problem for invalid values,
// duplicates and near-miss keys; any other `-- word: text` is a comment.
func (d *Directives) set(key, value string, line int) (Problem, bool) {
	if !isKey(key) {
		if best := spell.Closest(key, Keys, 2); best != "" {
			return Problem{line, fmt.Sprintf("unknown directive %q, did you mean %s?", key, best)}, true
		}
		return Problem{}, false
	}
	if first, dup := d.Lines[key]; dup {
		return Problem{line, fmt.Sprintf("duplicate directive %s (first on line %d); keep one", key, first)}, true
	}
	d.Lines[key] = line
	switch key {
	case KeySafe:
		s, err := ParseSafe(value)
		if err != nil {
			return Problem{line, err.Error()}, true
		}
		d.Safe = s
	case KeyDepends:
		for _, ref := range strings.Split(value, ",") {
			ref = strings.TrimSpace(ref)
			if ref == "" {
				return Problem{line, "empty reference in depends; write a comma-separated list of migration IDs"}, true
			}
			d.Depends = append(d.Depends, ref)
		}
	case KeyTransaction:
		if value != "true" && value != "false" {
			return Problem{line, fmt.Sprintf("transaction must be true or false, not %q", value)}, true
		}
		d.Transaction = value == "true"
	case KeyDelay, KeyLockTimeout, KeyStatementTimeout:
		dur, err := ParseDuration(value)
		if err != nil {
			return Problem{line, fmt.Sprintf("%s: %v", key, err)}, true
		}
		switch key {
		case KeyDelay:
			d.Delay = dur
		case KeyLockTimeout:
			d.LockTimeout = dur
		case KeyStatementTimeout:
			d.StatementTimeout = dur
		}
	}
	return Problem{}, false
}

// ParseDuration parses a Go duration with an extra unit `d` for days
// ("36h", "7d", "1d12h", "500ms"). Negative durations are rejected.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration; write e.g. 36h or 7d")
	}
	var total time.Duration
	rest := s
	// Peel off whole days first; time.ParseDuration handles the remainder.
	const day = 24 * time.Hour
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		n, err := strconv.ParseUint(rest[:i], 10, 64)
		if err != nil || i == 0 || n > uint64(math.MaxInt64/day) {
			return 0, fmt.Errorf("malformed duration %q; write e.g. 36h, 7d or 1d12h", s)
		}
		total = time.Duration(n) * day
		rest = rest[i+1:]
		if rest == "" {
			return total, nil
		}
	}
	dur, err := time.ParseDuration(rest)
	if err != nil || dur < 0 || (total > 0 && strings.HasPrefix(rest, "-")) || total+dur < total {
		return 0, fmt.Errorf("malformed duration %q; write e.g. 36h, 7d or 1d12h", s)
	}
	return total + dur, nil
}

// FormatDuration prints d the way ParseDuration reads it, with days for
// whole multiples of 24h: "7d", "1d12h", "90m" prints as "1h30m".
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	const day = 24 * time.Hour
	var b strings.Builder
	for _, u := range []struct {
		size time.Duration
		unit string
	}{{day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}} {
		if n := d / u.size; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.unit)
			d -= n * u.size
		}
	}
	if d > 0 {
		b.WriteString(d.String())
	}
	return b.String()
}
