package quant

import "fmt"

// Stream names one per-pixel output of a fit or quantification. A Plan
// lists the streams of its run in tile order (Plan.Streams); a Sink
// receives tile.Out[k] for Plan.Streams()[k] and finds a stream's
// position with Plan.Index, never by a fixed number.
type Stream int

const (
	StreamCoefficients      Stream = iota // fitted free parameters (p values)
	StreamCoefficientErrors               // sqrt(CRLB) of each parameter (p)
	StreamCRLB                            // Cramer-Rao lower bound, a variance (p)
	StreamCovariance                      // upper triangle of the covariance, row by row (p(p+1)/2)
	StreamChi2                            // reduced chi-square (1)
	StreamStatus                          // fitters.Status code (1)
	StreamCondition                       // condition number of the weighted, column-scaled design (1)
	StreamModel                           // fitted model on the full core-loss axis (n channels)
	StreamElements                        // areal density (atoms/nm^2) or edge amplitude per edge (ne)
	StreamElementErrors                   // standard deviation of Elements (ne)
	StreamComposition                     // at.% per edge (ne)
	StreamCompositionErrors               // standard deviation of Composition, at.% (ne)
	numStreams
)

var streamNames = [numStreams]string{
	StreamCoefficients:      "coefficients",
	StreamCoefficientErrors: "coefficients_errors",
	StreamCRLB:              "crlb",
	StreamCovariance:        "covariance",
	StreamChi2:              "chi2",
	StreamStatus:            "status",
	StreamCondition:         "condition",
	StreamModel:             "model",
	StreamElements:          "elements",
	StreamElementErrors:     "elements_errors",
	StreamComposition:       "composition",
	StreamCompositionErrors: "composition_errors",
}

// String returns the stream's name, which is also the name of its
// dataset in a processing file (doc/processing-file.md).
func (s Stream) String() string {
	if s < 0 || s >= numStreams {
		return fmt.Sprintf("stream(%d)", int(s))
	}
	return streamNames[s]
}

// AllStreams returns every stream in tile order.
func AllStreams() []Stream {
	out := make([]Stream, numStreams)
	for i := range out {
		out[i] = Stream(i)
	}
	return out
}
