//go:build !race

package h5io_test

const raceEnabled = false
