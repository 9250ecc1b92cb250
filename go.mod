module github.com/qapi-go/qapi

go 1.26.0

require (
	github.com/chzyer/readline v1.5.1
	github.com/dave/jennifer v1.7.1
	github.com/google/go-cmp v0.7.0
	golang.org/x/exp v0.0.0-20261113113407-e3970619a1a4
	golang.org/x/mod v0.42.0
	golang.org/x/tools v0.52.1-0.20261106145633-d407941a339a
)

require golang.org/x/sys v0.49.0 // indirect
