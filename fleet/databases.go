package fleet

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/safemigrate/safemigrate/executor"
)

// ErrDatabases means the list of tenant databases is not usable: an
// entry that is not a connection string, or a database listed twice.
// Nothing was run.
var ErrDatabases = errors.New("invalid tenant databases")

// DatabaseSource says which databases are the tenants of a fleet of
// databases (database-per-tenant SaaS, many servers).
type DatabaseSource struct {
	// URLs are the databases' connection strings (postgres:// URLs or
	// libpq key=value strings), one per database.
	URLs []string
	// Query, instead of URLs, is run in a read-only transaction on Via;
	// its one text column, one row per database, holds the connection
	// strings.
	Query string
	Via   executor.Target
	// Schemas, when given, makes each of these schemas of each database a
	// tenant of its own (tracking tables in the schema, search_path set
	// to it, then SearchPath). Every database must have them all.
	Schemas    []string
	SearchPath []string
	// TrackingSchema is where a database's tracking tables live when
	// Schemas is empty; empty means executor.DefaultTrackingSchema.
	TrackingSchema string
}

// NewDatabases resolves a fleet of databases. Each database, or each
// (database, schema) pair when src.Schemas is given, is a tenant of the
// same two-pass protocol as a fleet of schemas ([Fleet.Run]), named
// "host/database" ("host:port/database" off port 5432; then "/schema"),
// never by its connection string, which may carry a password.
//
// NewDatabases connects only to run src.Query: the databases themselves
// are first reached by [Fleet.Run]'s first pass, where an unreachable one,
// or one without a listed schema, fails that tenant before anything is
// applied anywhere.
func NewDatabases(ctx context.Context, src DatabaseSource) (*Fleet, error) {
	switch {
	case src.Query != "" && len(src.URLs) > 0:
		return nil, fmt.Errorf("%w: give either the databases or a query that lists them, not both; nothing was run", ErrDatabases)
	case src.Query == "" && len(src.URLs) == 0:
		return nil, fmt.Errorf("%w: no tenant databases: give their connection strings or a query that lists them; nothing was run", ErrDatabases)
	}
	if err := validate(src.Schemas); err != nil {
		return nil, err
	}
	for _, s := range src.SearchPath {
		if s == "" {
			return nil, &SchemaError{Problem: "the tenants' search_path names an empty schema"}
		}
	}
	urls := src.URLs
	if src.Query != "" {
		if src.Via.Config == nil {
			return nil, fmt.Errorf("%w: the databases query needs a database to run on", executor.ErrConnect)
		}
		conn, err := connect(ctx, src.Via)
		if err != nil {
			return nil, err
		}
		urls, err = queryNames(ctx, conn, src.Query, "connection strings of the tenant databases")
		conn.Close(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
	}
	f := &Fleet{databases: true, searchPath: src.SearchPath}
	seen := map[string]int{}
	var dup []string
	for i, u := range urls {
		if strings.TrimSpace(u) == "" {
			return nil, fmt.Errorf("%w: entry %d is empty; nothing was run", ErrDatabases, i+1)
		}
		if strings.ContainsAny(u, "\r\n") {
			return nil, fmt.Errorf("%w: entry %d %w; nothing was run", ErrDatabases, i+1, errLineBreak)
		}
		t, err := executor.ParseTarget(u) // the error never holds the password
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d is not a connection string: %s; nothing was run", ErrDatabases, i+1,
				strings.TrimPrefix(err.Error(), executor.ErrConnect.Error()+": "))
		}
		if multiHost(t) {
			return nil, fmt.Errorf("%w: entry %d %s; nothing was run", ErrDatabases, i+1, errMultiHost)
		}
		name := DatabaseName(t)
		if _, ok := seen[name]; ok {
			dup = append(dup, name)
			continue
		}
		seen[name] = i
		if len(src.Schemas) == 0 {
			t.TrackingSchema, t.Name = src.TrackingSchema, name
			f.names = append(f.names, name)
			f.targets = append(f.targets, t)
			continue
		}
		for _, s := range src.Schemas {
			ts := t
			ts.Schema, ts.TrackingSchema = s, s
			ts.SearchPath = append([]string(nil), src.SearchPath...)
			ts.Name = name + "/" + Display(s)
			f.names = append(f.names, ts.Name)
			f.targets = append(f.targets, ts)
		}
	}
	if len(dup) > 0 {
		return nil, fmt.Errorf("%w: %s listed more than once; nothing was run", ErrDatabases, strings.Join(dup, ", "))
	}
	f.schemas = src.Schemas
	return f, nil
}

// DatabaseName names a database for output: "host/database", with
// ":port" after the host when the port is not 5432. It never holds the
// password or other connection parameters.
func DatabaseName(t executor.Target) string {
	if t.Config == nil {
		return "(no connection)"
	}
	return server(t) + "/" + t.Config.Database
}

// server names the server of t: its host, and its port when not 5432;
// an IPv6 address in brackets ([::1]:5433), so that the port stands apart.
func server(t executor.Target) string {
	host := t.Config.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if t.Config.Port == 5432 || t.Config.Port == 0 {
		return host
	}
	return host + ":" + strconv.Itoa(int(t.Config.Port))
}

// Databases reports whether f is a fleet of databases ([NewDatabases]).
func (f *Fleet) Databases() bool { return f.databases }

// errMultiHost refuses a fleet entry that lists several servers: a
// tenant is named by its server and counted against that server's
// --jobs-per-server, and with a host list the server that answers is
// not known until connecting (the first one would be named even when a
// later one was used).
var errMultiHost = errors.New("lists several hosts; a fleet entry names one server: put each server's databases on lines (entries) of their own")

// multiHost reports whether t lists more than one host:port (pgx adds
// fallbacks of the same host for sslmode=prefer: those do not count).
func multiHost(t executor.Target) bool {
	for _, fb := range t.Config.Fallbacks {
		if fb.Host != t.Config.Host || fb.Port != t.Config.Port {
			return true
		}
	}
	return false
}
