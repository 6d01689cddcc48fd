package classic

import "github.com/eelsh5/eelsh5/multispectrum"

// JumpRatioOptions configure JumpRatio: per edge a pre-edge window
// (Background) and a post-edge window (Integration). Zero windows take
// [E_k - 25, E_k - 5) and [E_k, E_k + 20) eV, E_k the tabulated onset,
// the pre-edge window started no lower than the end of the post-edge
// window of an edge with a lower onset (as Integrate's defaults).
type JumpRatioOptions struct {
	Edges  []EdgeWindows
	Method BackgroundMethod // of the edge map's background (default LogLog)
}

// jumpDefaults fills the zero windows of edges with JumpRatio's defaults.
func jumpDefaults(edges []EdgeWindows) error {
	return defaultWindows(edges, 20, func(float64) float64 { return 20 }, "pre-edge", "post-edge")
}

// JumpRatioPlan returns the plan of JumpRatio, or an error for bad
// options or windows; nothing is read.
func JumpRatioPlan(in Input, opts JumpRatioOptions) (*Plan, error) {
	opts.Edges = append([]EdgeWindows(nil), opts.Edges...)
	p, _, err := jumpRatioPlan(in, opts)
	return p, err
}

func jumpRatioPlan(in Input, opts JumpRatioOptions) (*Plan, []edgeWindow, error) {
	p, ws, err := edgePlan(in, opts.Edges, opts.Method, "jumpratio", false)
	if err != nil {
		return nil, nil, err
	}
	labels := p.Streams[0].Components
	st := p.Streams[len(p.Streams)-1]
	p.Streams = append(p.Streams[:len(p.Streams)-1],
		Stream{Name: JumpRatioName, Kind: StackStream, Width: len(ws), Components: labels, LongName: "jump ratio (post-edge over pre-edge counts per channel)"}, st)
	p.Default = JumpRatioName
	return p, ws, nil
}

// JumpRatio maps, per edge, the jump ratio (the mean counts per channel
// of the post-edge window over those of the pre-edge window, Egerton 3rd
// ed. 5.5: a qualitative map insensitive to thickness and diffraction
// contrast) and the background-subtracted edge map (the net counts over
// the post-edge window, with the power law fitted over the pre-edge
// window, as Integrate). Streams: signal, signal_error, background,
// exponent, jump_ratio, status.
func JumpRatio(in Input, opts JumpRatioOptions, dst Destination, ro RunOptions) (*Result, error) {
	opts.Edges = append([]EdgeWindows(nil), opts.Edges...)
	p, ws, err := jumpRatioPlan(in, opts)
	if err != nil {
		return nil, err
	}
	m := opts.Method
	if m == "" {
		m = LogLog
	}
	core, _, _ := in.need("jumpratio", CoreLoss)
	ne, wc := len(ws), core.Axis.Size
	fn := func(_ struct{}, t *multispectrum.Tile) error {
		sig, sigE, bgs, ex, jr, st := t.Out[0], t.Out[1], t.Out[2], t.Out[3], t.Out[4], t.Out[5]
		for q := range t.Region.Pixels() {
			y := t.In[0][q*wc : (q+1)*wc]
			status := IntegrateOK
			if !finite(y) {
				status = IntegrateNonFinite
			}
			for k := range ws {
				w := &ws[k]
				o := q*ne + k
				net, v, bg, r, ok := edgeSignal(y, core.Axis, w, m)
				if status == IntegrateOK && !ok {
					status = IntegrateNoCounts
				}
				sig[o], sigE[o], bgs[o], ex[o] = net, sqrtPos(v), bg, r
				var pre, post float64
				for _, v := range y[w.b0:w.b1] {
					pre += v
				}
				for _, v := range y[w.i0:w.i1] {
					post += v
				}
				jr[o] = (post / float64(w.i1-w.i0)) / (pre / float64(w.b1-w.b0))
			}
			st[q] = float64(status)
		}
		return nil
	}
	return run(in, []Cube{core}, p, dst, ro, noWorkspace, fn, hooks{})
}
