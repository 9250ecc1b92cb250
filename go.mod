module github.com/qapi-go/qapi

go 1.24.0

require (
	github.com/chzyer/readline v1.5.1
	github.com/dave/jennifer v1.7.1
	github.com/google/go-cmp v0.7.0
	golang.org/x/tools v0.38.0
)

require golang.org/x/sys v0.37.0 // indirect
