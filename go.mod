module github.com/safemigrate/safemigrate

go 1.26.8
