//go:build !(cgo && fftw)

package fft

// FFTW is not linked: every transform runs on the pure-Go code.
const fftwLinked = false

type fftwPlan struct{}

func newFFTW(int) *fftwPlan { return nil }

func (*fftwPlan) forward([]complex128, []float64) {}

func (*fftwPlan) inverse([]float64, []complex128) {}

func (*fftwPlan) inverseProduct([]float64, []complex128, []complex128) {}
