// Command compare checks, statement by statement, that safemigrate reports
// every unsafe statement squawk reports on the benchmark corpus, leaving
// out squawk's noise: timeout settings (safemigrate's executor sets
// lock_timeout and statement_timeout itself) and type-style preferences.
//
//	go run ./bench/lint/compare -corpus DIR -ours ours.json -squawk squawk.json
//
// It exits 1 when an unsafe statement squawk reports is missed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

// excluded squawk rules, with why they are not unsafe statements.
var excluded = map[string]string{
	"require-lock-timeout":        "noise: safemigrate's executor sets lock_timeout for every migration",
	"require-statement-timeout":   "noise: safemigrate's executor sets statement_timeout for every migration",
	"require-timeout-settings":    "noise: safemigrate's executor sets both timeouts",
	"prefer-bigint-over-int":      "type style, not an unsafe statement",
	"prefer-bigint-over-smallint": "type style, not an unsafe statement",
	"prefer-big-int":              "type style, not an unsafe statement",
	"prefer-identity":             "type style, not an unsafe statement",
	"prefer-text-field":           "type style, not an unsafe statement",
	"prefer-timestamptz":          "type style, not an unsafe statement",
	"prefer-timestamp-tz":         "type style, not an unsafe statement", // squawk 2.x's name
	"require-enum-value-ordering": "style (where a new enum value sorts), not an unsafe statement",
	"ban-char-field":              "type style, not an unsafe statement",
	"ban-drop-not-null":           "DROP NOT NULL is an expand step: old code keeps working",
}

// lockRules are squawk's rules about locks and rewrites, which cannot bite
// on a table created earlier in the same migration.
var lockRules = map[string]bool{
	"require-concurrent-index-creation": true, "require-concurrent-index-deletion": true,
	"adding-field-with-default": true, "adding-foreign-key-constraint": true, "constraint-missing-not-valid": true,
	"adding-not-nullable-field": true, "changing-column-type": true, "adding-serial-primary-key-field": true,
	"disallowed-unique-constraint": true, "adding-primary-key-constraint": true, "adding-required-field": true,
}

type ours struct {
	Diagnostics []struct {
		File    string `json:"file"`
		Line    int    `json:"line"`
		EndLine int    `json:"end_line"`
		Rule    string `json:"rule"`
	} `json:"diagnostics"`
}

type squawkViolation struct {
	File     string `json:"file"`
	Line     int    `json:"line"` // 0-based
	RuleName string `json:"rule_name"`
}

type stmtKey struct {
	file string
	idx  int
}

type fileInfo struct {
	stmts         []annotate.Statement
	transactional bool
}

func main() {
	corpus := flag.String("corpus", ".bench/lint/corpus", "corpus directory")
	oursPath := flag.String("ours", "", "safemigrate lint --format json output")
	squawkPath := flag.String("squawk", "", "squawk --reporter json output")
	flag.Parse()
	missed, err := run(*corpus, *oursPath, *squawkPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(2)
	}
	if missed > 0 {
		os.Exit(1)
	}
}

func run(corpus, oursPath, squawkPath string) (int, error) {
	files, err := analyse(corpus)
	if err != nil {
		return 0, err
	}
	var o ours
	if err := readJSON(oursPath, &o); err != nil {
		return 0, err
	}
	var sq []squawkViolation
	if err := readJSON(squawkPath, &sq); err != nil {
		return 0, err
	}
	// Statements safemigrate flags, and by which rules.
	flagged := map[stmtKey][]string{}
	for _, d := range o.Diagnostics {
		f := filepath.Base(d.File)
		if k, ok := locate(files, f, d.Line); ok {
			flagged[k] = append(flagged[k], d.Rule)
		}
	}
	type tally struct{ statements, alsoOurs int }
	byRule := map[string]*tally{}
	excludedCount := map[string]int{}
	falsePositives := map[string]int{}
	var misses []string
	seen := map[string]bool{}
	for _, v := range sq {
		f := filepath.Base(v.File)
		k, ok := locate(files, f, v.Line+1)
		if !ok {
			continue
		}
		if why, skip := excluded[v.RuleName]; skip {
			_ = why
			excludedCount[v.RuleName]++
			continue
		}
		fi := files[f]
		if v.RuleName == "prefer-robust-stmts" && fi.transactional {
			// safemigrate runs the file in one transaction: a failed
			// migration leaves nothing behind to trip over on a rerun.
			excludedCount[v.RuleName+" (transactional files)"]++
			continue
		}
		st := fi.stmts[k.idx]
		switch {
		case lockRules[v.RuleName] && onNewTables(st):
			falsePositives[v.RuleName+" (table created in the same migration)"]++
			continue
		case v.RuleName == "changing-column-type" && !rewrites(st, annotate.OpAlterColumnType):
			falsePositives[v.RuleName+" (binary-coercible change, no rewrite)"]++
			continue
		case v.RuleName == "adding-field-with-default" && !rewrites(st, annotate.OpAddColumn):
			falsePositives[v.RuleName+" (stable default, no rewrite on PostgreSQL 11+)"]++
			continue
		case v.RuleName == "adding-not-nullable-field" && notNullAlready(st):
			falsePositives[v.RuleName+" (SET NOT NULL on a column NOT NULL already)"]++
			continue
		}
		dedup := fmt.Sprintf("%s/%d/%s", f, k.idx, v.RuleName)
		if seen[dedup] {
			continue
		}
		seen[dedup] = true
		t := byRule[v.RuleName]
		if t == nil {
			t = &tally{}
			byRule[v.RuleName] = t
		}
		t.statements++
		if len(flagged[k]) > 0 {
			t.alsoOurs++
		} else {
			misses = append(misses, fmt.Sprintf("  %s:%d %s: %s", f, fi.stmts[k.idx].Line, v.RuleName, firstLine(fi.stmts[k.idx].SQL)))
		}
	}
	fmt.Println("Unsafe statements squawk reports, and whether safemigrate reports them too:")
	total, both := 0, 0
	for _, r := range sortedKeys(byRule) {
		t := byRule[r]
		total += t.statements
		both += t.alsoOurs
		fmt.Printf("  %-45s %6d statements, safemigrate %6d\n", r, t.statements, t.alsoOurs)
	}
	fmt.Println("Left out of the comparison:")
	for _, r := range sortedKeys(excludedCount) {
		why := excluded[strings.Fields(r)[0]]
		if why == "" {
			why = "rerunnability only matters outside a transaction"
		}
		fmt.Printf("  %-45s %6d findings (%s)\n", r, excludedCount[r], why)
	}
	for _, r := range sortedKeys(falsePositives) {
		fmt.Printf("  %-62s %6d findings (squawk false positive)\n", r, falsePositives[r])
	}
	ourRules := map[string]int{}
	sqStmts := map[stmtKey]bool{}
	for _, v := range sq {
		if k, ok := locate(files, filepath.Base(v.File), v.Line+1); ok {
			sqStmts[k] = true
		}
	}
	for k, rules := range flagged {
		if sqStmts[k] {
			continue
		}
		for _, r := range dedupe(rules) {
			ourRules[r]++
		}
	}
	fmt.Println("Statements only safemigrate reports, by rule:")
	for _, r := range sortedKeys(ourRules) {
		fmt.Printf("  %-45s %6d\n", r, ourRules[r])
	}
	if len(misses) > 0 {
		fmt.Printf("MISSED: %d of %d unsafe statements squawk reports are not reported by safemigrate:\n", len(misses), total)
		for _, m := range misses[:min(len(misses), 20)] {
			fmt.Println(m)
		}
		return len(misses), nil
	}
	fmt.Printf("OK: safemigrate reports all %d unsafe statements squawk reports (%d findings of squawk's left out as noise or style).\n", both, sum(excludedCount))
	return 0, nil
}

func analyse(dir string) (map[string]*fileInfo, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	schema := annotate.NewSchema()
	out := map[string]*fileInfo{}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		stmts, err := annotate.Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		schema.Analyze(stmts, annotate.Options{})
		d, _ := migration.ParseHeader(src)
		out[filepath.Base(p)] = &fileInfo{stmts: stmts, transactional: d.Transaction}
	}
	return out, nil
}

// locate finds the statement of file covering 1-based line.
func locate(files map[string]*fileInfo, file string, line int) (stmtKey, bool) {
	fi := files[file]
	if fi == nil {
		return stmtKey{}, false
	}
	for i, s := range fi.stmts {
		last := s.Line + strings.Count(s.SQL, "\n")
		if line >= s.Line && line <= last {
			return stmtKey{file, i}, true
		}
	}
	return stmtKey{}, false
}

func rewrites(s annotate.Statement, op annotate.Op) bool {
	for _, a := range s.Actions {
		if a.Op == op && a.Rewrite {
			return true
		}
	}
	return false
}

// notNullAlready reports whether the statement sets NOT NULL only on
// columns that are NOT NULL already (created or added NOT NULL, a primary
// key, set NOT NULL before) or that a validated CHECK (col IS NOT NULL)
// proves: the server scans nothing and old code's inserts fail already
// (see docs/rules.md, set-not-null).
func notNullAlready(s annotate.Statement) bool {
	n := 0
	for _, a := range s.Actions {
		if a.Op != annotate.OpSetNotNull {
			continue
		}
		if a.Scan || a.Effect != annotate.Neutral {
			return false
		}
		n++
	}
	return n > 0
}

// onNewTables reports whether every table the statement touches was
// created earlier in the same migration: nobody else can be waiting on it.
func onNewTables(s annotate.Statement) bool {
	n := 0
	for _, a := range s.Actions {
		if a.Table == "" {
			continue
		}
		if !a.New {
			return false
		}
		n++
	}
	return n > 0
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func dedupe(ss []string) []string {
	slices.Sort(ss)
	return slices.Compact(ss)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
