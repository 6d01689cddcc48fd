package quant

import (
	"errors"
	"math"

	"github.com/eelsh5/eelsh5/components"
	"github.com/eelsh5/eelsh5/fitters"
)

// convexSamples is the number of channels at which the background's
// convexity is imposed.
const convexSamples = 32

// setupConvex builds the convexity constraints of the linear background
// (Van den Broek et al., Ultramicroscopy 254, 2023; doc/algorithms.md
// 6.3): the background's second difference B[i-1] - 2 B[i] + B[i+1] is
// non-negative at convexSamples channels spread over the fit window.
// Each row of e.convG is one sample, over all free parameters (zero for
// those that are not the background's), scaled to unit largest entry.
func (e *LinearEngine) setupConvex(model *components.Model) error {
	var bg []int
	k := 0
	for _, c := range model.Components {
		for _, p := range c.Parameters() {
			if !p.Free() {
				continue
			}
			if _, ok := c.(*components.LinearBackground); ok {
				bg = append(bg, k)
			}
			k++
		}
	}
	if len(bg) == 0 {
		return errors.New("quant: a convex background needs a linear_background component with free terms")
	}
	p, r := len(e.cols), len(e.rows)
	m := min(convexSamples, r-2)
	e.convG = make([]float64, m*p)
	for j := 0; j < m; j++ {
		i := e.rows[1+j*(r-3)/max(m-1, 1)]
		if i == 0 || i+1 >= e.Axis.Size {
			continue
		}
		row := e.convG[j*p : (j+1)*p]
		big := 0.0
		for _, k := range bg {
			col := e.cols[k]
			row[k] = col[i-1] - 2*col[i] + col[i+1]
			big = math.Max(big, math.Abs(row[k]))
		}
		if big > 0 {
			for _, k := range bg {
				row[k] /= big
			}
		}
	}
	e.convM = m
	return nil
}

// convexWorkspace is a worker's scratch for the constrained fit.
type convexWorkspace struct {
	qp     *fitters.QP
	P, b   []float64
	f, cov []float64
	active bool
}

func (e *LinearEngine) newConvexWorkspace() *convexWorkspace {
	p := len(e.cols)
	return &convexWorkspace{qp: fitters.NewQP(p, e.convM), P: make([]float64, p*p), b: make([]float64, p),
		f: make([]float64, p*p), cov: make([]float64, p*p)}
}

// feasible reports whether coef satisfies the convexity constraints.
func (e *LinearEngine) feasible(coef []float64) bool {
	p := len(coef)
	for j := 0; j < e.convM; j++ {
		s, scale := 0.0, 0.0
		for k, g := range e.convG[j*p : (j+1)*p] {
			t := g * coef[k]
			s += t
			scale = math.Max(scale, math.Abs(t))
		}
		if s < -1e-12*scale {
			return false
		}
	}
	return true
}

// constrain refits the pixel under the convexity constraints when the
// unconstrained solution coef violates them: the weighted least-squares
// problem min ||W^1/2 (A c - y)|| subject to G c >= 0 solved by
// fitters.QP from its normal equations. It returns false when the QP
// fails (coef is then left as it was).
func (e *LinearEngine) constrain(ws *LinearWorkspace, coef []float64) bool {
	cw := ws.convex
	cw.active = false
	if e.feasible(coef) {
		return true
	}
	r, p := len(e.rows), len(e.cols)
	clear(cw.P)
	clear(cw.b)
	weighted := e.opts.Method == fitters.WLS || e.opts.Method == fitters.NNLS && e.opts.Weights
	for j := 0; j < r; j++ {
		w := 1.0
		if weighted {
			w = 1 / math.Max(ws.y[j], 1)
		}
		for k := 0; k < p; k++ {
			ak := w * ws.a[k*r+j]
			cw.b[k] += ak * ws.y[j]
			for l := k; l < p; l++ {
				cw.P[k*p+l] += ak * ws.a[l*r+j]
			}
		}
	}
	for k := 0; k < p; k++ {
		for l := 0; l < k; l++ {
			cw.P[k*p+l] = cw.P[l*p+k]
		}
	}
	if _, ok := cw.qp.Solve(ws.qpc, cw.P, cw.b, e.convG); !ok {
		return false
	}
	copy(coef, ws.qpc)
	cw.active = true
	return true
}

// constrainedCovariance replaces ws.cov by the covariance restricted to
// the active constraints (the constrained CRLB), with the Fisher
// information of the fitted model mu as the Poisson variance.
func (e *LinearEngine) constrainedCovariance(ws *LinearWorkspace) bool {
	cw := ws.convex
	r, p := len(e.rows), len(e.cols)
	clear(cw.f)
	for j := 0; j < r; j++ {
		if !(ws.mu[j] > 0) {
			return false
		}
		w := 1 / ws.mu[j]
		for k := 0; k < p; k++ {
			ak := w * ws.a[k*r+j]
			for l := k; l < p; l++ {
				cw.f[k*p+l] += ak * ws.a[l*r+j]
			}
		}
	}
	for k := 0; k < p; k++ {
		for l := 0; l < k; l++ {
			cw.f[k*p+l] = cw.f[l*p+k]
		}
	}
	if !cw.qp.Covariance(cw.cov, cw.f, e.convG) {
		return false
	}
	copy(ws.cov, cw.cov)
	return true
}

// weightedRSS is the weighted residual sum of squares of the model on
// the fitted channels.
func (e *LinearEngine) weightedRSS(ws *LinearWorkspace, core, model []float64) float64 {
	weighted := e.opts.Method == fitters.WLS || e.opts.Method == fitters.NNLS && e.opts.Weights
	s := 0.0
	for j, i := range e.rows {
		d := core[i] - model[i]
		w := 1.0
		if weighted {
			w = 1 / math.Max(ws.y[j], 1)
		}
		s += w * d * d
	}
	return s
}
