//go:build !race

package qga_test

const raceEnabled = false
