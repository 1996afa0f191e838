package migration_test

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safemigrate/safemigrate/migration"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const day = 24 * time.Hour

func TestParseHeaderDirectives(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want migration.Directives
	}{
		{
			name: "empty file gets defaults",
			src:  "",
			want: migration.Directives{Transaction: true, Lines: map[string]int{}},
		},
		{
			name: "no header",
			src:  "CREATE TABLE t (id int);\n",
			want: migration.Directives{Transaction: true, Lines: map[string]int{}},
		},
		{
			name: "safe before_deploy",
			src:  "-- safe: before_deploy\nSELECT 1;\n",
			want: migration.Directives{Safe: migration.BeforeDeploy, Transaction: true, Lines: map[string]int{"safe": 1}},
		},
		{
			name: "safe after_deploy",
			src:  "-- safe: after_deploy\nSELECT 1;\n",
			want: migration.Directives{Safe: migration.AfterDeploy, Transaction: true, Lines: map[string]int{"safe": 1}},
		},
		{
			name: "safe always",
			src:  "-- safe: always\nSELECT 1;\n",
			want: migration.Directives{Safe: migration.Always, Transaction: true, Lines: map[string]int{"safe": 1}},
		},
		{
			name: "depends one reference",
			src:  "-- depends: 0001_init\n",
			want: migration.Directives{Depends: []string{"0001_init"}, Transaction: true, Lines: map[string]int{"depends": 1}},
		},
		{
			name: "depends three forms trimmed",
			src:  "-- depends:  0001_init ,billing/0002,  3\n",
			want: migration.Directives{Depends: []string{"0001_init", "billing/0002", "3"}, Transaction: true, Lines: map[string]int{"depends": 1}},
		},
		{
			name: "transaction false",
			src:  "-- transaction: false\n",
			want: migration.Directives{Transaction: false, Lines: map[string]int{"transaction": 1}},
		},
		{
			name: "transaction true explicit",
			src:  "-- transaction: true\n",
			want: migration.Directives{Transaction: true, Lines: map[string]int{"transaction": 1}},
		},
		{
			name: "delay with after_deploy",
			src:  "-- safe: after_deploy\n-- delay: 7d\n",
			want: migration.Directives{Safe: migration.AfterDeploy, Delay: 7 * day, Transaction: true, Lines: map[string]int{"safe": 1, "delay": 2}},
		},
		{
			name: "delay before safe line",
			src:  "-- delay: 36h\n-- safe: after_deploy\n",
			want: migration.Directives{Safe: migration.AfterDeploy, Delay: 36 * time.Hour, Transaction: true, Lines: map[string]int{"safe": 2, "delay": 1}},
		},
		{
			name: "lock_timeout",
			src:  "-- lock_timeout: 10s\n",
			want: migration.Directives{LockTimeout: 10 * time.Second, Transaction: true, Lines: map[string]int{"lock_timeout": 1}},
		},
		{
			name: "statement_timeout",
			src:  "-- statement_timeout: 1m30s\n",
			want: migration.Directives{StatementTimeout: 90 * time.Second, Transaction: true, Lines: map[string]int{"statement_timeout": 1}},
		},
		{
			name: "every directive",
			src: "-- safe: after_deploy\n-- depends: billing/0002_invoices\n-- transaction: false\n" +
				"-- delay: 1d12h\n-- lock_timeout: 500ms\n-- statement_timeout: 2m\n\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
			want: migration.Directives{
				Safe: migration.AfterDeploy, Depends: []string{"billing/0002_invoices"}, Transaction: false,
				Delay: 36 * time.Hour, LockTimeout: 500 * time.Millisecond, StatementTimeout: 2 * time.Minute,
				Lines: map[string]int{"safe": 1, "depends": 2, "transaction": 3, "delay": 4, "lock_timeout": 5, "statement_timeout": 6},
			},
		},
		{
			name: "blank lines and comments inside header",
			src:  "\n-- Adds the email column.\n\n   \n-- safe: before_deploy\n--\n-- depends: 0001_init\nALTER TABLE users ADD COLUMN email text;\n",
			want: migration.Directives{Safe: migration.BeforeDeploy, Depends: []string{"0001_init"}, Transaction: true, Lines: map[string]int{"safe": 5, "depends": 7}},
		},
		{
			name: "indented directive, no space after dashes, CRLF",
			src:  "  --safe:always\r\n-- depends: 1\r\nSELECT 1;\r\n",
			want: migration.Directives{Safe: migration.Always, Depends: []string{"1"}, Transaction: true, Lines: map[string]int{"safe": 1, "depends": 2}},
		},
		{
			name: "ordinary word comments are not directives",
			src:  "-- author: jane\n-- ticket: OPS-123\n-- reason: the old index is unused\n-- safe: always\n",
			want: migration.Directives{Safe: migration.Always, Transaction: true, Lines: map[string]int{"safe": 4}},
		},
		{
			name: "comment with several words before colon is not a directive",
			src:  "-- safe to run: yes\n-- Note that: whatever\n-- safe: always\n",
			want: migration.Directives{Safe: migration.Always, Transaction: true, Lines: map[string]int{"safe": 3}},
		},
		{
			name: "first other line ends the header",
			src:  "-- safe: before_deploy\nSELECT 1;\n-- depends: 0001_init\n",
			want: migration.Directives{
				Safe: migration.BeforeDeploy, Transaction: true, Lines: map[string]int{"safe": 1},
				Outside: []migration.Line{{Line: 3, Key: "depends", Text: "-- depends: 0001_init"}},
			},
		},
		{
			name: "block comment ends the header",
			src:  "/* header? */\n-- safe: before_deploy\n",
			want: migration.Directives{
				Transaction: true, Lines: map[string]int{},
				Outside: []migration.Line{{Line: 2, Key: "safe", Text: "-- safe: before_deploy"}},
			},
		},
		{
			name: "directives below the header are ignored and listed",
			src:  "-- safe: always\nSELECT 1;\n  -- safe: after_deploy\n-- transaction: false\n-- author: me\n-- saftey: x\n",
			want: migration.Directives{
				Safe: migration.Always, Transaction: true, Lines: map[string]int{"safe": 1},
				Outside: []migration.Line{
					{Line: 3, Key: "safe", Text: "  -- safe: after_deploy"},
					{Line: 4, Key: "transaction", Text: "-- transaction: false"},
				},
			},
		},
		{
			name: "bad values below the header are not errors",
			src:  "SELECT 1;\n-- safe: befor_deploy\n-- delay: soon\n",
			want: migration.Directives{
				Transaction: true, Lines: map[string]int{},
				Outside: []migration.Line{
					{Line: 2, Key: "safe", Text: "-- safe: befor_deploy"},
					{Line: 3, Key: "delay", Text: "-- delay: soon"},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, probs := migration.ParseHeader([]byte(tt.src))
			require.Empty(t, probs)
			// Header extent is covered by TestParseHeaderExtent.
			got.HeaderEnd, got.HeaderLines = 0, 0
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseHeaderExtent(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		wantEnd   int // byte offset
		wantLines int
	}{
		{"empty", "", 0, 0},
		{"only header with newline", "-- safe: always\n", 16, 1},
		{"only header without newline", "-- safe: always", 15, 1},
		{"header then SQL", "-- safe: always\n\nSELECT 1;\n", 17, 2},
		{"SQL first", "SELECT 1;\n-- safe: always\n", 0, 0},
		{"blank lines count", "\n\n-- x\nSELECT 1;", 7, 3},
		{"CRLF", "-- safe: always\r\nSELECT 1;\r\n", 17, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, probs := migration.ParseHeader([]byte(tt.src))
			require.Empty(t, probs)
			assert.Equal(t, tt.wantEnd, d.HeaderEnd)
			assert.Equal(t, tt.wantLines, d.HeaderLines)
		})
	}
}

func TestParseHeaderProblems(t *testing.T) {
	type want struct {
		line int
		msg  []string // substrings the message must contain
	}
	tests := []struct {
		name string
		src  string
		want []want
	}{
		{
			name: "unknown safe value with suggestion",
			src:  "-- safe: befor_deploy\n",
			want: []want{{1, []string{`"befor_deploy"`, "did you mean before_deploy?"}}},
		},
		{
			name: "unknown safe value suggests after_deploy",
			src:  "\n-- safe: afterdeploy\n",
			want: []want{{2, []string{"did you mean after_deploy?"}}},
		},
		{
			name: "unknown safe value suggests always",
			src:  "-- safe: alway\n",
			want: []want{{1, []string{"did you mean always?"}}},
		},
		{
			name: "unknown safe value far from any lists valid values",
			src:  "-- x\n-- safe: yes\n",
			want: []want{{2, []string{`"yes"`, "before_deploy, after_deploy, always"}}},
		},
		{
			name: "empty safe value",
			src:  "-- safe:\n",
			want: []want{{1, []string{"unknown safe value"}}},
		},
		{
			name: "near-miss key saftey",
			src:  "-- saftey: before_deploy\n",
			want: []want{{1, []string{"unknown directive", `"saftey"`, "did you mean safe?"}}},
		},
		{
			name: "near-miss key depend",
			src:  "-- safe: always\n-- depend: 0001_init\n",
			want: []want{{2, []string{"unknown directive", "did you mean depends?"}}},
		},
		{
			name: "near-miss key transation",
			src:  "-- transation: false\n",
			want: []want{{1, []string{"unknown directive", "did you mean transaction?"}}},
		},
		{
			name: "near-miss key dealy",
			src:  "-- safe: after_deploy\n\n-- dealy: 7d\n",
			want: []want{{3, []string{"unknown directive", "did you mean delay?"}}},
		},
		{
			name: "near-miss key with dash",
			src:  "-- lock-timeout: 5s\n",
			want: []want{{1, []string{"unknown directive", "did you mean lock_timeout?"}}},
		},
		{
			name: "near-miss key with capital letters",
			src:  "-- Saftey: always\n",
			want: []want{{1, []string{"unknown directive", "did you mean safe?"}}},
		},
		{
			name: "duplicate directive",
			src:  "-- safe: always\n-- safe: always\n",
			want: []want{{2, []string{"duplicate directive safe", "first on line 1"}}},
		},
		{
			name: "duplicate depends",
			src:  "-- depends: 1\n--\n-- depends: 2\n",
			want: []want{{3, []string{"duplicate directive depends", "first on line 1"}}},
		},
		{
			name: "delay with before_deploy",
			src:  "-- safe: before_deploy\n-- delay: 7d\n",
			want: []want{{2, []string{"delay needs safe: after_deploy", "before_deploy"}}},
		},
		{
			name: "delay with always",
			src:  "-- delay: 1h\n-- safe: always\n",
			want: []want{{1, []string{"delay needs safe: after_deploy", "always"}}},
		},
		{
			name: "delay without safe",
			src:  "-- x: y\n-- delay: 7d\n",
			want: []want{{2, []string{"delay needs safe: after_deploy"}}},
		},
		{
			name: "malformed delay",
			src:  "-- safe: after_deploy\n-- delay: 7 days\n",
			want: []want{{2, []string{"delay", "malformed duration", `"7 days"`}}},
		},
		{
			name: "malformed lock_timeout",
			src:  "-- lock_timeout: 5\n",
			want: []want{{1, []string{"lock_timeout", "malformed duration"}}},
		},
		{
			name: "malformed statement_timeout",
			src:  "\n\n-- statement_timeout: 1m-\n",
			want: []want{{3, []string{"statement_timeout", "malformed duration"}}},
		},
		{
			name: "negative duration",
			src:  "-- lock_timeout: -5s\n",
			want: []want{{1, []string{"lock_timeout", "malformed duration"}}},
		},
		{
			name: "empty duration",
			src:  "-- statement_timeout:\n",
			want: []want{{1, []string{"statement_timeout", "empty duration"}}},
		},
		{
			name: "transaction not a boolean",
			src:  "-- transaction: no\n",
			want: []want{{1, []string{"transaction must be true or false", `"no"`}}},
		},
		{
			name: "empty depends reference",
			src:  "-- depends: 0001_init,,0002\n",
			want: []want{{1, []string{"empty reference in depends"}}},
		},
		{
			name: "every problem reported in line order",
			src: "-- saftey: always\n-- safe: befor_deploy\n-- transaction: maybe\n-- lock_timeout: soon\n" +
				"-- safe: always\n-- depend: x\nSELECT 1;\n-- saftey: ignored below the header\n",
			want: []want{
				{1, []string{"did you mean safe?"}},
				{2, []string{"did you mean before_deploy?"}},
				{3, []string{"transaction must be true or false"}},
				{4, []string{"malformed duration"}},
				{5, []string{"duplicate directive safe"}},
				{6, []string{"did you mean depends?"}},
			},
		},
		{
			name: "delay problem sorted among others",
			src:  "-- delay: 1h\n-- transaction: nope\n-- safe: before_deploy\n",
			want: []want{
				{1, []string{"delay needs safe: after_deploy"}},
				{2, []string{"transaction must be true or false"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := migration.ParseHeader([]byte(tt.src))
			require.Len(t, probs, len(tt.want), "problems: %v", probs)
			for i, w := range tt.want {
				assert.Equal(t, w.line, probs[i].Line, "problem %d: %s", i, probs[i].Message)
				for _, s := range w.msg {
					assert.Contains(t, probs[i].Message, s)
				}
				assert.True(t, strings.HasPrefix(probs[i].String(), strconv.Itoa(w.line)+": "), probs[i].String())
			}
		})
	}
}

func TestParseHeaderInvalidSafeWithDelay(t *testing.T) {
	// A bad safe value is one problem; the delay on the next line must not be
	// reported a second time as "delay without safe".
	_, probs := migration.ParseHeader([]byte("-- safe: after_deplyo\n-- delay: 7d\n"))
	require.Len(t, probs, 1, "problems: %v", probs)
	assert.Equal(t, 1, probs[0].Line)
	assert.Contains(t, probs[0].Message, "did you mean after_deploy?")
}

func TestParseSafe(t *testing.T) {
	tests := []struct {
		in      string
		want    migration.Safe
		wantErr string
	}{
		{"before_deploy", migration.BeforeDeploy, ""},
		{"after_deploy", migration.AfterDeploy, ""},
		{"always", migration.Always, ""},
		{"befor_deploy", "", "did you mean before_deploy?"},
		{"Always", "", "did you mean always?"},
		{"never", "", "valid: before_deploy, after_deploy, always"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := migration.ParseSafe(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"7d", 7 * day, false},
		{"1d", day, false},
		{"0d", 0, false},
		{"1d12h", 36 * time.Hour, false},
		{"36h", 36 * time.Hour, false},
		{"2d30m", 2*day + 30*time.Minute, false},
		{"1d1h1m1s", day + time.Hour + time.Minute + time.Second, false},
		{"500ms", 500 * time.Millisecond, false},
		{"1.5h", 90 * time.Minute, false},
		{"0s", 0, false},
		{"65535d", 65535 * day, false},
		{"", 0, true},
		{"7", 0, true},
		{"d", 0, true},
		{"7days", 0, true},
		{"1.5d", 0, true},
		{"-1d", 0, true},
		{"-5s", 0, true},
		{"1d-5h", 0, true},
		{"12h1d", 0, true},
		{"1d1d", 0, true},
		{"7 d", 0, true},
		{"soon", 0, true},
		{"1w", 0, true},
		{"99999999999d", 0, true},
		{"106752d", 0, true},        // more days than a time.Duration holds
		{"106751d24h", 0, true},     // overflows after adding the hours
		{"65535d2000000h", 0, true}, // overflows after adding the hours
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := migration.ParseDuration(tt.in)
			if tt.wantErr {
				require.Error(t, err, "got %v", got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{7 * day, "7d"},
		{36 * time.Hour, "1d12h"},
		{90 * time.Minute, "1h30m"},
		{5 * time.Second, "5s"},
		{500 * time.Millisecond, "500ms"},
		{day + 2*time.Hour + 3*time.Minute + 4*time.Second, "1d2h3m4s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, migration.FormatDuration(tt.in))
		})
	}
}

func TestFormatDurationRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	units := []time.Duration{time.Nanosecond, time.Microsecond, time.Millisecond, time.Second, time.Minute, time.Hour, day}
	for range 5000 {
		var d time.Duration
		switch r.IntN(3) {
		case 0: // a few whole units
			d = time.Duration(r.IntN(1000)) * units[r.IntN(len(units))]
		case 1: // a sum of parts
			for range 3 {
				d += time.Duration(r.IntN(100)) * units[r.IntN(len(units))]
			}
		default: // anything representable
			d = time.Duration(r.Int64())
		}
		s := migration.FormatDuration(d)
		got, err := migration.ParseDuration(s)
		require.NoError(t, err, "%d formatted as %q", d, s)
		require.Equal(t, d, got, "%q", s)
	}
	for _, d := range []time.Duration{1, time.Duration(1<<63 - 1), 106751 * day} {
		got, err := migration.ParseDuration(migration.FormatDuration(d))
		require.NoError(t, err)
		assert.Equal(t, d, got)
	}
}

func FuzzParseHeader(f *testing.F) {
	for _, seed := range []string{
		"",
		"-- safe: before_deploy\nSELECT 1;\n",
		"-- safe: after_deploy\n-- delay: 7d\n-- depends: 0001_init, billing/0002, 3\n",
		"\n-- note: x\n--\n-- transaction: false\n-- lock_timeout: 1d12h\n-- statement_timeout: 500ms\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- safe: always\n",
		"-- saftey: always\n-- depend: x\n-- safe: befor_deploy\n-- safe: always\n-- delay: -1d\n",
		"-- delay: 65535d2000000h\r\n-- safe: after_deploy\r\n",
		"--safe:always",
		"-- depends: ,\n",
		"-- \xff: \xfe\n-- safe: \x00\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		d, probs := migration.ParseHeader(src)
		d2, probs2 := migration.ParseHeader(src)
		require.Equal(t, d, d2, "deterministic")
		require.Equal(t, probs, probs2, "deterministic")

		nLines := strings.Count(string(src), "\n") + 1
		require.GreaterOrEqual(t, d.HeaderEnd, 0)
		require.LessOrEqual(t, d.HeaderEnd, len(src))
		require.LessOrEqual(t, d.HeaderLines, nLines)
		// Everything in the header is blank or a -- comment.
		for _, l := range strings.Split(string(src[:d.HeaderEnd]), "\n") {
			l = strings.TrimSpace(l)
			require.True(t, l == "" || strings.HasPrefix(l, "--"), "header line %q", l)
		}
		for i, p := range probs {
			require.GreaterOrEqual(t, p.Line, 1)
			require.LessOrEqual(t, p.Line, max(d.HeaderLines, 1))
			require.NotEmpty(t, p.Message)
			if i > 0 {
				require.LessOrEqual(t, probs[i-1].Line, p.Line, "problems in line order")
			}
		}
		for k, line := range d.Lines {
			require.Contains(t, migration.Keys, k)
			require.GreaterOrEqual(t, line, 1)
			require.LessOrEqual(t, line, d.HeaderLines)
		}
		for _, o := range d.Outside {
			require.Greater(t, o.Line, d.HeaderLines)
			require.Contains(t, migration.Keys, o.Key)
		}
		require.GreaterOrEqual(t, d.Delay, time.Duration(0))
		require.GreaterOrEqual(t, d.LockTimeout, time.Duration(0))
		require.GreaterOrEqual(t, d.StatementTimeout, time.Duration(0))
		if d.Safe != "" {
			require.Contains(t, migration.SafeValues, d.Safe)
		}
		if len(probs) == 0 {
			if d.Has(migration.KeyDelay) {
				require.Equal(t, migration.AfterDeploy, d.Safe, "delay only with after_deploy")
			}
			if !d.Has(migration.KeyTransaction) {
				require.True(t, d.Transaction, "transaction defaults to true")
			}
			for _, ref := range d.Depends {
				require.NotEmpty(t, ref)
				require.Equal(t, strings.TrimSpace(ref), ref)
			}
		}
	})
}

func TestParseHeaderByteOrderMark(t *testing.T) {
	d, probs := migration.ParseHeader([]byte("\ufeff-- safe: before_deploy\nSELECT 1;\n"))
	require.Empty(t, probs)
	assert.Equal(t, migration.BeforeDeploy, d.Safe, "a BOM must not hide the first directive")
	assert.Equal(t, 1, d.Lines[migration.KeySafe])
}
