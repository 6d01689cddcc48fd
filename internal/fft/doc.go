// Package fft provides the real FFT used by the low-loss convolution
// (doc/algorithms.md 4.2): Real is a transform of fixed power-of-two
// length with precomputed twiddles (NewReal, Forward, Inverse with the
// 1/N normalisation), owned by one worker and allocation free; NextPow2
// picks a length.
package fft
