// Command eelsh5 is a toolkit for quantitative electron energy-loss
// spectroscopy (EELS) of spectrum images. Every command reads datasets
// from an HDF5 processing file and writes its results back into it as a
// NeXus NXprocess step with provenance.
//
// Usage:
//
//	eelsh5 [flags] <command> [args]
//
// Run `eelsh5 --help` for the list of commands and `eelsh5 <command>
// --help` for each one. Exit status: 0 success, 1 runtime error, 2 usage
// error.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
