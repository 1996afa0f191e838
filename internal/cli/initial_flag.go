package cli

import (
	"fmt"
	"strings"

	"github.com/alecthomas/kong"
)

// initialFlag is --initial[=auto]: "" (not given or false), "true" (a
// first run on an empty database) or "auto" (decided per run from the
// target, docs/planning.md). Config `initial: auto` reaches it through
// the resolver.
type initialFlag string

// Decode is kong's mapper hook: --initial alone means true.
func (f *initialFlag) Decode(ctx *kong.DecodeContext) error {
	if ctx.Scan.Peek().Type != kong.FlagValueToken {
		*f = "true"
		return nil
	}
	t, err := ctx.Scan.PopValue("initial")
	if err != nil {
		return err
	}
	switch v := strings.ToLower(fmt.Sprint(t.Value)); v {
	case "auto":
		*f = "auto"
	case "true", "1", "yes":
		*f = "true"
	case "false", "0", "no":
		*f = ""
	default:
		return fmt.Errorf("--initial=%s: give --initial (a first run on an empty database) or --initial=auto (decided per run: initial on a fresh database, normal otherwise)", v)
	}
	return nil
}

// IsBool lets --initial stand without a value.
func (f *initialFlag) IsBool() bool { return true }

// on and auto read the flag.
func (f initialFlag) on() bool   { return f == "true" }
func (f initialFlag) auto() bool { return f == "auto" }
