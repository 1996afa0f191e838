package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/alecthomas/kong"

	"github.com/safemigrate/safemigrate"
)

// durationFlag is a duration in Go syntax plus d for days ("7d"), as in
// migration headers. "0" means explicitly none. Set says it was given
// (flag, environment or configuration).
type durationFlag struct {
	D   time.Duration
	Set bool
}

// Decode is kong's mapper hook.
func (d *durationFlag) Decode(ctx *kong.DecodeContext) error {
	t, err := ctx.Scan.PopValue("duration")
	if err != nil {
		return err
	}
	s := fmt.Sprint(t.Value)
	v, err := safemigrate.ParseDuration(s)
	if s == "0" || s == "0s" {
		v, err = 0, nil
	}
	if err != nil {
		return err
	}
	*d = durationFlag{D: v, Set: true}
	return nil
}

// value is the executor's reading: 0 for "not given" (the default), and
// negative for an explicit 0 (none).
func (d durationFlag) value() time.Duration {
	switch {
	case !d.Set:
		return 0
	case d.D == 0:
		return -1
	}
	return d.D
}

// countFlag is a whole number with a lower bound, that remembers whether
// it was given. kong takes an argument starting with "-" for a flag, so
// `--jobs -1` failed with a message about short flags; Decode reads a
// negative number as the value it is, and the command's Validate refuses
// it with the same message as `--jobs=-1`.
type countFlag struct {
	N   int
	Set bool
}

// Decode is kong's mapper hook; min is checked by the command.
func (c *countFlag) Decode(ctx *kong.DecodeContext) error {
	var tok kong.Token
	if t := ctx.Scan.Peek(); t.InferredType() == kong.ShortFlagToken && isInteger(t.String()) {
		tok = ctx.Scan.Pop()
	} else {
		var err error
		if tok, err = ctx.Scan.PopValue("number"); err != nil {
			return err
		}
	}
	s := tok.String()
	n, err := strconv.Atoi(s)
	if err != nil || !isInteger(s) {
		return fmt.Errorf("--%s %q is not a whole number", ctx.Value.Name, s)
	}
	*c = countFlag{N: n, Set: true}
	return nil
}
