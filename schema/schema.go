// Package schema embeds the vendored QEMU QAPI schema files so that the
// generator needs no path to regenerate the checked-in bindings.
package schema

import (
	"embed"
	_ "embed"
	"strings"
)

// Files holds qapi/*.json (QMP) and qga/qapi-schema.json (QGA).
//
//go:embed qapi/*.json qga/*.json
var Files embed.FS

//go:embed VERSION
var version string

// Version is the QEMU release the vendored schema comes from ("10.2.2").
func Version() string { return strings.TrimSpace(version) }

// Root paths of the two schemas inside Files.
const (
	QMPRoot = "qapi/qapi-schema.json"
	QGARoot = "qga/qapi-schema.json"
)
