// Package redact keeps passwords out of everything safemigrate prints.
//
// Connection strings reach error messages in many ways: a URL that failed
// to parse, a pg_dump command line, a wrapped driver error. [String]
// masks every password it can recognise in a piece of text, in both the
// URL form and the libpq key=value form:
//
//	redact.String("postgres://app:s3cret@db:5432/prod")
//	// postgres://app:xxxxx@db:5432/prod
//	redact.String("host=db user=app password='s3 cret' dbname=prod")
//	// host=db user=app password=xxxxx dbname=prod
//
// [Error] wraps an error so that its message is masked while [errors.Is]
// and [errors.As] still reach the original. [SplitPassword] separates the
// password from a connection string, so that a child process such as
// pg_dump can receive it through PGPASSWORD instead of its command line.
//
// Masking errs on the side of hiding: text that merely looks like a
// password (an "@" in a URL's query string, say) may be masked too.
//
// All functions are pure and safe for concurrent use.
package redact
