//go:build race

package qga_test

// raceEnabled skips the tests that only move large amounts of data
// (nothing concurrent to check, and the race detector makes encoding/json
// and base64 over 64 MB take a minute).
const raceEnabled = true
