package redact

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Mask replaces every password [String] finds.
const Mask = "xxxxx"

// passwordKey finds keys such as password, sslpassword and PGPASSWORD
// followed by "=" in either a key=value connection string or a URL query.
var passwordKey = regexp.MustCompile(`(?i)[a-z_]*password\s*=\s*`)

// String returns s with every password it recognises replaced by [Mask]:
// the password of a URL's user information (scheme://user:password@host),
// also in a mistyped URL (postgres//user:password@host, postgres:pw@host),
// URL query parameters such as password= and sslpassword=, and key=value
// pairs such as password=secret, password='se cret' or PGPASSWORD=secret.
// Anything else in s is returned unchanged.
func String(s string) string {
	spans := append(keyValueSpans(s), userinfoSpans(s)...)
	spans = append(spans, malformedSpans(s)...)
	if len(spans) == 0 {
		return s
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var b strings.Builder
	pos := 0
	for _, sp := range spans {
		if sp.end <= pos {
			continue // inside a span already masked
		}
		if sp.start < pos {
			sp.start = pos
		} else {
			b.WriteString(s[pos:sp.start])
			b.WriteString(Mask)
		}
		pos = sp.end
	}
	b.WriteString(s[pos:])
	return b.String()
}

// ConnString returns the connection string s (a URL or key=value pairs)
// with its passwords replaced by [Mask]. Unlike [String], which looks for
// passwords in free text, it knows that s is one connection string: the
// password of a URL runs to its last "@", even across white space.
func ConnString(s string) string {
	if isURL(s) {
		start := strings.Index(s, "://") + len("://")
		at := strings.LastIndexByte(s, '@')
		if at > start {
			if colon := strings.IndexByte(s[start:at], ':'); colon >= 0 && start+colon+1 < at {
				s = s[:start+colon+1] + Mask + s[at:]
			}
		}
	}
	return String(s)
}

// span is a half-open byte range of s to mask.
type span struct{ start, end int }

// keyValueSpans returns the values of password=... pairs. After "?" or "&"
// (a URL query) a value ends at "&", "#" or white space; elsewhere (libpq
// key=value form) it ends at white space unless quoted, and backslash
// escapes are honoured as libpq does.
func keyValueSpans(s string) []span {
	var spans []span
	for _, m := range passwordKey.FindAllStringIndex(s, -1) {
		start := m[1]
		inQuery := m[0] > 0 && (s[m[0]-1] == '?' || s[m[0]-1] == '&')
		var end int
		switch {
		case inQuery:
			end = start + indexAnyOrLen(s[start:], "&# \t\r\n")
		case start < len(s) && s[start] == '\'':
			end = quotedEnd(s, start)
		default:
			end = unquotedEnd(s, start)
		}
		if end > start {
			spans = append(spans, span{start, end})
		}
	}
	return spans
}

// userinfoSpans returns the password part of every "scheme://user:pw@"
// in s. The user information is taken to end at the last "@" before the
// next white space, so that passwords containing unescaped "@", "/" or "?"
// are masked whole.
func userinfoSpans(s string) []span {
	var spans []span
	for off := 0; ; {
		i := strings.Index(s[off:], "://")
		if i < 0 {
			return spans
		}
		start := off + i + len("://")
		token := s[start:]
		token = token[:indexAnyOrLen(token, " \t\r\n")]
		off = start + len(token)
		at := strings.LastIndexByte(token, '@')
		if at < 0 {
			continue
		}
		colon := strings.IndexByte(token[:at], ':')
		if colon < 0 || colon+1 == at {
			continue
		}
		spans = append(spans, span{start + colon + 1, start + at})
	}
}

// malformedSpans returns the likely password of every word that has the
// shape user:password@host without a "://" before it: a mistyped URL
// (postgres//app:pw@db, postgresql:/app:pw@db, postgres:pw@db) is echoed
// by the parser that refuses it, and must not show its password. A word
// ends at white space or a quote; the password runs from the word's first
// ":" to its last "@", so that too much is masked rather than too little.
func malformedSpans(s string) []span {
	var spans []span
	for off := 0; off < len(s); {
		n := indexAnyOrLen(s[off:], " \t\r\n\"'`")
		word := s[off : off+n]
		if at := strings.LastIndexByte(word, '@'); at > 0 && !strings.Contains(word[:at], "://") {
			if colon := strings.IndexByte(word[:at], ':'); colon >= 0 && colon+1 < at {
				spans = append(spans, span{off + colon + 1, off + at})
			}
		}
		off += n + 1
	}
	return spans
}

// SplitPassword removes the password from a connection string in URL or
// key=value form and returns the remaining connection string and the
// decoded password. When connString carries no password, or cannot be
// parsed, it is returned unchanged with an empty password.
func SplitPassword(connString string) (rest, password string) {
	if isURL(connString) {
		return splitURL(connString)
	}
	return splitKeyValue(connString)
}

func isURL(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

func splitURL(s string) (string, string) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return s, ""
	}
	var password string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			password = pw
			u.User = url.User(u.User.Username())
		}
	}
	if q := u.Query(); q.Has("password") {
		if password == "" {
			password = q.Get("password")
		}
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	if password == "" {
		return s, ""
	}
	return u.String(), password
}

// splitKeyValue removes every password=... pair (libpq and pgx use the
// last of repeated keys) and returns the last value.
func splitKeyValue(s string) (string, string) {
	rest, password, found := s, "", false
	for {
		r, pw, ok := splitKeyValueOnce(rest)
		if !ok {
			break
		}
		rest, password, found = r, pw, true
	}
	if !found {
		return s, ""
	}
	return rest, password
}

// splitKeyValueOnce removes the first password=... pair of s.
func splitKeyValueOnce(s string) (string, string, bool) {
	for i := 0; i < len(s); {
		// Skip white space, then read "key", optional spaces, "=".
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		keyStart := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[keyStart:i]
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			return s, "", false // not key=value form
		}
		i++
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		valStart := i
		if i < len(s) && s[i] == '\'' {
			i = quotedEnd(s, i)
		} else {
			i = unquotedEnd(s, i)
		}
		if key != "password" {
			continue
		}
		rest := strings.TrimSpace(s[:keyStart]) + " " + strings.TrimSpace(s[i:])
		return strings.TrimSpace(rest), unescape(s[valStart:i]), true
	}
	return s, "", false
}

// quotedEnd returns the index just past the closing quote of the quoted
// value whose opening quote is s[start], or len(s) if it is unterminated.
func quotedEnd(s string, start int) int {
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\'':
			return i + 1
		}
	}
	return len(s)
}

// unquotedEnd returns the end of an unquoted libpq value starting at start.
func unquotedEnd(s string, start int) int {
	for i := start; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			i++
		case isSpace(s[i]):
			return i
		}
	}
	return len(s)
}

// unescape decodes a libpq value: surrounding quotes and backslash escapes.
func unescape(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		v = v[1 : len(v)-1]
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func indexAnyOrLen(s, chars string) int {
	if i := strings.IndexAny(s, chars); i >= 0 {
		return i
	}
	return len(s)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// Error returns an error whose message is err's message passed through
// [String]. [errors.Is] and [errors.As] see err through Unwrap. Error
// returns nil for a nil err.
func Error(err error) error {
	if err == nil {
		return nil
	}
	return &redacted{err: err}
}

type redacted struct{ err error }

func (e *redacted) Error() string { return String(e.err.Error()) }
func (e *redacted) Unwrap() error { return e.err }
