package lint

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

// Config configures a [Linter].
type Config struct {
	// PGVersion is the target PostgreSQL major version; 0 means
	// annotate.DefaultPGVersion (15).
	PGVersion int
	// Rules to run; nil means [Rules].
	Rules []*Rule
	// Workers bounds the files parsed at once; 0 means GOMAXPROCS.
	Workers int
}

// File is one migration file to lint.
type File struct {
	Path string // as printed in diagnostics
	// ID is the migration ID ("0003_add_email", "billing/0002_invoices");
	// empty means the base name without ".sql".
	ID  string
	Src []byte
}

// Linter lints migration files. It is safe for concurrent use.
type Linter struct {
	cfg   Config
	rules []*Rule
}

// New validates the rule registry and returns a Linter.
func New(cfg Config) (*Linter, error) {
	rules := cfg.Rules
	if rules == nil {
		rules = Rules
	}
	if err := Validate(rules); err != nil {
		return nil, fmt.Errorf("invalid rule registry: %w", err)
	}
	if cfg.PGVersion == 0 {
		cfg.PGVersion = annotate.DefaultPGVersion
	}
	if cfg.PGVersion < 9 || cfg.PGVersion > 99 {
		return nil, fmt.Errorf("invalid PostgreSQL version %d; give a major version such as 13 or 16", cfg.PGVersion)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	return &Linter{cfg: cfg, rules: rules}, nil
}

// Rules returns the rules the linter runs.
func (l *Linter) Rules() []*Rule { return l.rules }

// file is one file on its way through the linter.
type file struct {
	File
	chain, version string
	pass           *Pass
	stmts          []annotate.Statement
	lines          lineIndex
	diags          []Diagnostic
}

// Run lints files. Parsing and rules run in parallel on a pool of
// Config.Workers goroutines; the analysis that carries schema knowledge
// from one migration to the next runs in migration order (chain, then
// version). The result is the same whatever the scheduling. Run returns
// early with ctx's error when ctx is done.
func (l *Linter) Run(ctx context.Context, files []File) (*Result, error) {
	fs := make([]*file, len(files))
	for i, f := range files {
		if f.ID == "" {
			f.ID = strings.TrimSuffix(path.Base(f.Path), ".sql")
		}
		chain, base, found := strings.Cut(f.ID, "/")
		if !found {
			chain, base = "", f.ID
		}
		version, _, _ := strings.Cut(base, "_")
		fs[i] = &file{File: f, chain: chain, version: version}
	}
	// 1. Parse headers and SQL, in parallel.
	if err := l.parallel(ctx, fs, l.parse); err != nil {
		return nil, err
	}
	// 2. Analyse in migration order through one schema.
	order := slices.Clone(fs)
	slices.SortStableFunc(order, func(a, b *file) int {
		if a.chain != b.chain {
			if a.chain == "" {
				return -1
			}
			if b.chain == "" {
				return 1
			}
			return strings.Compare(a.chain, b.chain)
		}
		return cmp.Or(migration.CompareVersions(a.version, b.version), strings.Compare(a.ID, b.ID))
	})
	schema := annotate.NewSchema()
	opts := annotate.Options{PGVersion: l.cfg.PGVersion}
	res := &Result{Files: len(fs)}
	for _, f := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if f.pass.SyntaxError == nil {
			f.pass.Analysis = schema.Analyze(f.stmts, opts)
			an := f.pass.Analysis
			sg := Suggestion{ID: f.ID, File: f.Path, Declared: f.pass.Declared(), Suggested: an.Suggested, Reason: an.Reason}
			if an.Decider >= 0 {
				sg.Line = an.Statements[an.Decider].Line
				sg.Reason = an.Statements[an.Decider].Reason
			}
			res.Suggested = append(res.Suggested, sg)
		}
	}
	// 3. Rules, in parallel.
	if err := l.parallel(ctx, fs, l.check); err != nil {
		return nil, err
	}
	for _, f := range fs {
		res.Diagnostics = append(res.Diagnostics, f.diags...)
	}
	slices.SortStableFunc(res.Diagnostics, func(a, b Diagnostic) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Pos, b.Pos), strings.Compare(a.Rule, b.Rule), strings.Compare(a.Message, b.Message))
	})
	return res, nil
}

// parallel runs fn on every file with at most Workers at once.
func (l *Linter) parallel(ctx context.Context, fs []*file, fn func(*file)) error {
	workers := min(l.cfg.Workers, len(fs))
	if workers <= 1 {
		for _, f := range fs {
			if err := ctx.Err(); err != nil {
				return err
			}
			fn(f)
		}
		return nil
	}
	var wg sync.WaitGroup
	next := make(chan *file)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				fn(f)
			}
		}()
	}
	var err error
feed:
	for _, f := range fs {
		select {
		case next <- f:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	return err
}

func (l *Linter) parse(f *file) {
	dirs, probs := annotate.ParseHeader(f.Src)
	f.pass = &Pass{File: f.Path, ID: f.ID, Src: f.Src, Directives: dirs, Problems: probs, PGVersion: l.cfg.PGVersion}
	f.lines = newLineIndex(f.Src)
	stmts, err := annotate.Parse(string(f.Src))
	var se *annotate.SyntaxError
	switch {
	case errors.As(err, &se):
		f.pass.SyntaxError = se
	case err != nil:
		f.pass.SyntaxError = &annotate.SyntaxError{Message: err.Error(), Line: 1, Column: 1}
	}
	f.stmts = stmts
}

// check runs every rule on one file, applies its ignores and positions its
// diagnostics.
func (l *Linter) check(f *file) {
	p := f.pass
	var diags []Diagnostic
	for _, r := range l.rules {
		p.report = func(d Diagnostic) {
			d.Rule, d.Severity, d.File = r.ID, r.Severity, f.Path
			diags = append(diags, d)
		}
		r.Run(p)
	}
	p.report = nil
	igs := parseIgnores(f.Src, &p.Directives, p.Statements())
	diags = suppress(diags, igs)
	if unused := Lookup(l.rules, RuleUnusedIgnore); unused != nil {
		diags = append(diags, unusedIgnores(f, igs, l.rules, unused)...)
	}
	for i := range diags {
		d := &diags[i]
		d.File = f.Path
		d.Line, d.Column = f.lines.position(d.Pos)
		d.EndLine, d.EndColumn = f.lines.position(d.End)
	}
	f.diags = diags
}

// RuleUnusedIgnore is the ID of the rule the runner itself applies: an
// ignore comment that silences nothing.
const RuleUnusedIgnore = "unused-ignore"

func unusedIgnores(f *file, igs []*ignore, rules []*Rule, r *Rule) []Diagnostic {
	var out []Diagnostic
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = r.ID
	}
	for _, ig := range igs {
		kw := ignorePrefix
		if ig.file {
			kw = ignoreFilePrefix
		}
		if len(ig.rules) == 0 {
			out = append(out, Diagnostic{Pos: ig.pos, End: ig.end, Rule: r.ID, Severity: r.Severity,
				Message: kw + " names no rule", Hint: "write `-- " + kw + " rule-id -- why`; `safemigrate lint` prints each diagnostic's rule ID"})
			continue
		}
		for i, id := range ig.rules {
			switch {
			case id == r.ID:
			case Lookup(rules, id) == nil:
				msg := fmt.Sprintf("%s names unknown rule %q", kw, id)
				if best := closest(id, ids); best != "" {
					msg += fmt.Sprintf(", did you mean %s?", best)
				}
				out = append(out, Diagnostic{Pos: ig.pos, End: ig.end, Rule: r.ID, Severity: r.Severity, Message: msg, Hint: "see docs/rules.md for the rule IDs"})
			case !ig.used[i] && f.pass.SyntaxError == nil:
				where := "the next statement"
				if ig.file {
					where = "this file"
				} else if ig.start < 0 {
					where = "anything: no statement follows it"
				}
				out = append(out, Diagnostic{Pos: ig.pos, End: ig.end, Rule: r.ID, Severity: r.Severity,
					Message: fmt.Sprintf("%s %s silences nothing in %s", kw, id, where), Hint: "remove it, or put it right before the statement that triggers " + id})
			}
		}
	}
	return out
}

func closest(s string, candidates []string) string {
	best, bestDist := "", 4
	for _, c := range candidates {
		if d := levenshtein(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
