module github.com/safemigrate/safemigrate

go 1.26.8

require (
	github.com/pganalyze/pg_query_go/v6 v6.2.5
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/alecthomas/kong v1.17.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	google.golang.org/protobuf v1.33.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
