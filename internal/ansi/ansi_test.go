package ansi_test

import (
	"testing"

	"github.com/safemigrate/safemigrate/internal/ansi"
)

func TestPaint(t *testing.T) {
	for _, tc := range []struct {
		name  string
		on    bool
		text  string
		codes []ansi.Code
		want  string
	}{
		{"one code", true, "ok", []ansi.Code{ansi.Green}, "\x1b[32mok\x1b[0m"},
		{"codes combined", true, "error", []ansi.Code{ansi.Bold, ansi.Red}, "\x1b[1;31merror\x1b[0m"},
		{"off", false, "error", []ansi.Code{ansi.Bold, ansi.Red}, "error"},
		{"empty text", true, "", []ansi.Code{ansi.Dim}, ""},
		{"no code", true, "plain", nil, "plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ansi.Paint(tc.on, tc.text, tc.codes...); got != tc.want {
				t.Errorf("Paint = %q, want %q", got, tc.want)
			}
		})
	}
}
