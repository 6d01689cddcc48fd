package multispectrum

import "math"

// Instrument holds acquisition parameters in eelsh5's working units
// (doc/algorithms.md conventions). NaN means unknown.
type Instrument struct {
	BeamEnergy  float64 // acceleration voltage E0, V (e.g. 300e3)
	Convergence float64 // convergence semi-angle alpha, rad
	Collection  float64 // collection semi-angle beta, rad
	DwellTime   float64 // s per pixel
	Microscope  string
}

// UnknownInstrument returns an Instrument with every value unknown.
func UnknownInstrument() Instrument {
	return Instrument{BeamEnergy: math.NaN(), Convergence: math.NaN(), Collection: math.NaN(), DwellTime: math.NaN()}
}

// ScanCalibration gives the physical coordinates of scan pixels: row iy
// is at Y0 + iy*Step and column ix at X0 + ix*Step, in Units.
type ScanCalibration struct {
	Y0, X0, Step float64
	Units        string
}

// PixelScan is the calibration of an uncalibrated scan: pixel indices.
func PixelScan() ScanCalibration { return ScanCalibration{Step: 1, Units: "pixel"} }
