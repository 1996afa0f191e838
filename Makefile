# safemigrate — see README.md.
GO       ?= go
BIN      := bin/safemigrate
FUZZTIME ?= 50000x
CHAOS_FLAGS ?=

.PHONY: all build test fuzz demo bench bench-lint chaos corpus check staticcheck clean release

all: build

build:
	$(GO) build -o $(BIN) ./cmd/safemigrate

## test: gofmt, vet and the whole test suite (starts a throwaway PostgreSQL
## unless SAFEMIGRATE_TEST_DATABASE_URL is set).
test: check
	$(GO) test -count=1 ./...

## check: gofmt, vet, and the core (migration, graph, planner) builds
## without cgo, so it never links libpg_query.
check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build ./migration/... ./graph/... ./planner/...

## staticcheck: the extra static analysis CI runs (pinned version).
staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

## fuzz: a short run of every fuzz target (FUZZTIME executions each, or a
## duration such as 30s).
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

## demo: the example migrations through plan, pre-deploy, status and
## post-deploy on a throwaway local PostgreSQL.
demo: build
	$(GO) run ./internal/demo -bin $(BIN) -dir migrations_example

## bench: benchmark figures: load+plan of 10,000 migrations, and applying
## migrations side by side with goose v3 and one psql session (safemigrate
## --no-preflight, two passes, --atomic): 500 synthetic ones, then a
## realistic history of 240 migrations of real DDL (bench/exec/real.go);
## tenant fleets (500 schemas × 10 migrations, two passes and --atomic,
## against one psql session; 200 databases on two clusters).
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./planner/
	./bench/exec/run.sh
	./bench/fleet/run.sh

## chaos: fault injection (kills, terminated backends, server crashes, a
## proxy that cuts or stalls, parallel runs, tenant fleets) on a throwaway
## PostgreSQL; at least 200 faults by default; exit 1 on any anomaly.
## CHAOS_FLAGS="-duration 60s -faults 40 -seed N" for a short or replayed run.
chaos: build
	$(GO) run ./internal/chaos -bin $(BIN) $(CHAOS_FLAGS)

## corpus: safemigrate over public projects' migration histories (fetched
## from the Go module proxy into .corpus/, never committed) next to psql and
## squawk; see docs/corpus.md. Not part of `make test`.
corpus: build
	$(GO) run ./internal/corpus -bin $(BIN) -cache .corpus $(CORPUS_FLAGS)

bench-lint: build
	./bench/lint/run.sh

## release: static linux/amd64 (and linux/arm64 with its cross compiler)
## binaries, archives and SHA256SUMS in dist/; see docs/install.md.
release:
	VERSION="$(VERSION)" ./scripts/release.sh

clean:
	rm -rf bin .bench dist
