//go:build !unix

package main

import "os"

var sigTERM = os.Interrupt
