package safemigrate

import (
	"bytes"
	"context"
	"io"

	"github.com/safemigrate/safemigrate/lint"
)

// LintOptions adjust [Provider.Lint].
type LintOptions struct {
	// WarningsAsErrors makes warnings fail the report too.
	WarningsAsErrors bool
	// Filter narrows the findings reported (excluded rules and paths,
	// files changed since a git revision); Filter.Dir defaults to the
	// Provider's root.
	Filter LintFilter
	// Live reads the configured database ([Provider.ReadLive]): lock and
	// rewrite findings name their table's size and are graded by it, the
	// schema knowledge starts from the live catalog, and without
	// [WithPGVersion] the server's version is the target.
	Live bool
	// LargeBytes and LargeRows make a table large for Live: 0 means
	// 1 GB and 10 million rows ([lint.DefaultLargeBytes]); negative turns
	// that limit off.
	LargeBytes, LargeRows int64
}

// Lint checks the directives and SQL of every migration file for unsafe
// migrations (docs/rules.md). Findings are the report, not an error.
func (p *Provider) Lint(ctx context.Context, opts LintOptions) (*LintReport, error) {
	files, err := p.lintFiles()
	if err != nil {
		return nil, err
	}
	cfg := lint.Config{PGVersion: p.o.pgVersion}
	if opts.Live {
		if cfg.Live, err = p.ReadLive(ctx, files); err != nil {
			return nil, err
		}
		cfg.Live.LargeBytes, cfg.Live.LargeRows = opts.LargeBytes, opts.LargeRows
	}
	l, err := lint.New(cfg)
	if err != nil {
		return nil, &InputError{Msg: err.Error(), Err: err}
	}
	res, err := l.Run(ctx, files)
	if err != nil {
		return nil, err
	}
	if opts.Filter.Dir == "" {
		opts.Filter.Dir = p.o.root
	}
	if err := FilterLint(ctx, res, opts.Filter); err != nil {
		return nil, err
	}
	return &LintReport{Result: res, OK: res.OK(opts.WarningsAsErrors), warningsAsErrors: opts.WarningsAsErrors}, nil
}

// LintReport is what [Provider.Lint] found.
type LintReport struct {
	*lint.Result
	// OK is false when an error (or, with WarningsAsErrors, a warning)
	// was found.
	OK               bool
	warningsAsErrors bool
}

// Write writes the report in format: text, json (the `lint` JSON of
// docs/json.md), github or sarif. version names the tool in SARIF.
func (r *LintReport) Write(w io.Writer, format string, color bool, version string) error {
	return lint.Write(w, format, r.Result, lint.WriteOptions{Color: color, WarningsAsErrors: r.warningsAsErrors, Version: version})
}

// MarshalJSON writes the `lint` JSON.
func (r *LintReport) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := lint.WriteJSON(&b, r.Result, lint.WriteOptions{WarningsAsErrors: r.warningsAsErrors}); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(b.Bytes()), nil
}
