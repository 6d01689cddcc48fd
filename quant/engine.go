package quant

// Fitter fits every pixel of a spectrum image with one model.
type Fitter interface {
	// Params returns the number of free parameters.
	Params() int
	// ParamNames returns the free parameter names, in output order.
	ParamNames() []string
	// NewWorker returns a worker with its own scratch memory.
	NewWorker() Worker
}

// Worker fits pixels; it belongs to one goroutine.
type Worker interface {
	// Pixel fits one spectrum (full axis) with its low loss (nil when
	// the fit has none) into out.
	Pixel(core, low []float64, out PixelResult)
}

// ParamNames implements Fitter.
func (e *LinearEngine) ParamNames() []string { return e.Names }

// NewWorker implements Fitter.
func (e *LinearEngine) NewWorker() Worker { return linearWorker{e, e.NewWorkspace()} }

type linearWorker struct {
	e  *LinearEngine
	ws *LinearWorkspace
}

func (w linearWorker) Pixel(core, low []float64, out PixelResult) { w.e.Pixel(w.ws, core, low, out) }

// CovarianceNames returns the labels "a x b" of the upper-triangle
// covariance entries of PixelResult.Covariance for parameter names.
func CovarianceNames(names []string) []string {
	var out []string
	for k := range names {
		for l := k; l < len(names); l++ {
			out = append(out, names[k]+" x "+names[l])
		}
	}
	return out
}
