package executor

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/migration"
)

// Baseline records the migration through and everything it depends on as
// applied, without running them, for adopting an existing database. It
// takes the migration lock like [Run] and returns the IDs it recorded, in
// topological order; IDs already applied are left as they are. With
// opts.DryRun it returns what it would record and writes nothing. An
// unknown ID is an error wrapping migration.ErrNotFound.
func Baseline(ctx context.Context, t Target, g *graph.Graph, through string, opts Options) ([]string, error) {
	s, err := Open(ctx, t, opts)
	if err != nil {
		return nil, err
	}
	ids, err := s.Baseline(ctx, g, through)
	if cerr := s.Close(ctx); cerr != nil && err == nil {
		err = cerr
	}
	return ids, err
}

// Baseline records through and its dependencies as applied; see the
// package-level [Baseline].
func (s *Session) Baseline(ctx context.Context, g *graph.Graph, through string) ([]string, error) {
	i, ok := g.Index(through)
	if !ok {
		return nil, fmt.Errorf("baseline --through %q: %w: use a full ID such as 0003_add_email or billing/0002_invoices", through, migration.ErrNotFound)
	}
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	include := make([]bool, g.Len())
	include[i] = true
	for _, a := range g.Ancestors(i) {
		include[a] = true
	}
	var todo []*migration.Migration
	for _, k := range g.Sort(include) {
		m := g.At(k)
		if _, done := st.Applied[m.ID]; !done {
			todo = append(todo, m)
		}
	}
	ids := []string{}
	if s.opts.DryRun {
		for _, m := range todo {
			ids = append(ids, m.ID)
		}
		return ids, nil
	}
	if len(todo) == 0 {
		return ids, nil
	}
	if err := s.recordNotRun(ctx, todo, PhaseBaseline); err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	for _, m := range todo {
		ids = append(ids, m.ID)
		s.log.printf("baseline: recorded %s as applied (not run)", m.ID)
	}
	return ids, nil
}

// recordNotRun records ms as applied in phase without running them
// (baseline, adopt): one transaction, values as bind parameters.
func (s *Session) recordNotRun(ctx context.Context, ms []*migration.Migration, phase string) error {
	if err := s.ensureTables(ctx); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.conn, func(tx pgx.Tx) error {
		for _, m := range ms {
			if _, err := tx.Exec(ctx,
				`INSERT INTO `+s.names.migrations+` (id, checksum, safe, phase, duration_ms, transactional) VALUES ($1, $2, $3, $4, 0, $5)`,
				m.ID, m.Checksum, string(m.Safe()), phase, m.Directives.Transaction); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.connLost(err)
	}
	return nil
}
