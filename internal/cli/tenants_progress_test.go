package cli_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/internal/cli"
)

func TestProgress(t *testing.T) {
	tests := []struct {
		name string
		tty  bool
		want string
	}{
		{"terminal: one line rewritten in place, log lines above it, finished passes stay",
			true,
			"\r\x1b[Ktenants: 1/3 preflighted" +
				"\r\x1b[K[b] preflight: 0001_a ok (1ms)\ntenants: 1/3 preflighted" +
				"\r\x1b[Ktenants: 2/3 preflighted" +
				"\r\x1b[Ktenants: 3/3 preflighted\n" +
				"\r\x1b[Ktenants: 1/3 applied" +
				"\r\x1b[K"},
		{"not a terminal: plain lines",
			false,
			"tenants: 1/3 preflighted\n[b] preflight: 0001_a ok (1ms)\ntenants: 2/3 preflighted\ntenants: 3/3 preflighted\ntenants: 1/3 applied\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			log, update, finish := cli.Progress(&b, tt.tty)
			update(fleet.Progress{Pass: fleet.PassPreflight, Done: 1, Total: 3})
			_, _ = io.WriteString(log, "[b] preflight: 0001_a ok (1ms)\n")
			update(fleet.Progress{Pass: fleet.PassPreflight, Done: 2, Total: 3})
			update(fleet.Progress{Pass: fleet.PassPreflight, Done: 3, Total: 3})
			update(fleet.Progress{Pass: fleet.PassApply, Done: 1, Total: 3})
			finish()
			assert.Equal(t, tt.want, b.String())
		})
	}
}
