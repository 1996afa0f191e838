package executor

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/graph"
)

// ErrNotApplied is returned by [Accept] for a migration that is not
// recorded as applied: there is no checksum to re-record.
var ErrNotApplied = errors.New("not applied")

// Accepted is a drifted migration whose checksum [Accept] re-recorded.
type Accepted struct {
	ID          string `json:"id"`
	OldChecksum string `json:"old_checksum"`
	NewChecksum string `json:"new_checksum"`
}

// AcceptResult is what [Accept] did.
type AcceptResult struct {
	// Accepted lists the re-recorded migrations in graph order.
	Accepted []Accepted
	// Unchanged lists requested migrations whose checksum already matched.
	Unchanged []string
}

// Accept records the current file checksum of the applied migrations ids
// (every drifted applied migration when all) whose file changed since
// they were applied (docs/planning.md, "Applied-state anomalies"). It
// takes the migration lock like [Run], never runs SQL from the files, and
// writes all rows in one transaction. The ids must be in g; one that is
// not applied is an error wrapping [ErrNotApplied] and nothing is written.
func Accept(ctx context.Context, t Target, g *graph.Graph, ids []string, all bool, opts Options) (*AcceptResult, error) {
	s, err := Open(ctx, t, opts)
	if err != nil {
		return nil, err
	}
	res, err := s.accept(ctx, g, ids, all)
	if cerr := s.Close(ctx); cerr != nil && err == nil {
		err = cerr
	}
	return res, err
}

func (s *Session) accept(ctx context.Context, g *graph.Graph, ids []string, all bool) (*AcceptResult, error) {
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	want := make([]bool, g.Len())
	if all {
		for i := range want {
			_, want[i] = st.Applied[g.At(i).ID]
		}
	}
	for _, id := range ids {
		i, ok := g.Index(id)
		if !ok {
			return nil, fmt.Errorf("accept: no migration %q in the graph", id)
		}
		if _, ok := st.Applied[id]; !ok {
			return nil, fmt.Errorf("accept %s: %w: only applied migrations have a recorded checksum to replace (status lists them); nothing was recorded", id, ErrNotApplied)
		}
		want[i] = true
	}
	res := &AcceptResult{Accepted: []Accepted{}, Unchanged: []string{}}
	for _, i := range g.SortAll() {
		if !want[i] {
			continue
		}
		m := g.At(i)
		if old := st.Applied[m.ID].Checksum; old != m.Checksum {
			res.Accepted = append(res.Accepted, Accepted{ID: m.ID, OldChecksum: old, NewChecksum: m.Checksum})
		} else if !all {
			res.Unchanged = append(res.Unchanged, m.ID)
		}
	}
	if len(res.Accepted) == 0 {
		return res, nil
	}
	ctx, cancel := ownCtx(ctx)
	defer cancel()
	err = pgx.BeginFunc(ctx, s.conn, func(tx pgx.Tx) error {
		for _, a := range res.Accepted {
			tag, err := tx.Exec(ctx, `UPDATE `+s.names.migrations+` SET checksum = $1 WHERE id = $2 AND checksum = $3`,
				a.NewChecksum, a.ID, a.OldChecksum)
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("the tracking row of %s changed while accepting; run accept again", a.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("accept: %w", s.connLost(err))
	}
	for _, a := range res.Accepted {
		s.log.printf("accepted %s: checksum %s → %s", a.ID, a.OldChecksum, a.NewChecksum)
	}
	return res, nil
}
