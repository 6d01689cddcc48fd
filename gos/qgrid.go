package gos

import (
	"math"
	"slices"
	"sort"
	"sync"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// qGrid holds the points of the q integral of doc/algorithms.md 3.3 at
// every channel of an energy axis, for one beam setup: per channel the log
// step du, the momenta q_j = sqrt(Q_j)/a0 (1/m) and, for a convergent beam,
// the weights F(theta_j) of 3.4. They depend on the channel energy, E0,
// alpha, beta and the number of q points, not on the table, so every table
// (subshell, element, onset) evaluated on the same axis and setup shares
// them. Channels are prepared lazily in blocks of qGridBlock, each once,
// so concurrent users are safe and a channel below every onset costs
// nothing. The values are computed with the expressions of Table.dsigmaDE,
// hence the cross sections are bit for bit the same. The grid also keeps,
// per table q axis, where each point falls in that axis (qBrackets).
type qGrid struct {
	k        Kinematics
	s        Setup // QSteps resolved (never 0)
	energies []float64
	disp     float64 // channel width (eV), for the bound-state lines
	blocks   []qGridBlockData

	mu       sync.Mutex
	brackets []*qBrackets // per table q axis, at most qBracketsMax
}

// qBrackets holds, for one table q axis and every q point of a qGrid, the
// table bracket of the point (the first table q >= it, as the forward walk
// of Table.qSum finds it) and its interpolation weight
// wq = (dq - (q - q0))/dq of interpolateAt. Neither depends on the
// table's energies, GOS values or onset, so every table with this q axis
// shares them (all the computed tables have one q axis, hsMomenta).
type qBrackets struct {
	axis   []float64 // a copy of the table's q axis (1/m)
	blocks []qBracketBlock
}

// qBracketBlock is one block of channels of a qBrackets.
type qBracketBlock struct {
	once sync.Once
	iq   []int32   // qGridBlock * n brackets
	wq   []float64 // qGridBlock * n weights (0 where iq is 0 or len(axis))
}

// qBracketsMax is the number of distinct table q axes whose brackets a
// grid keeps; tables with further axes find their brackets themselves.
const qBracketsMax = 4

// qGridBlockData is one block of channels of a qGrid.
type qGridBlockData struct {
	once sync.Once
	du   []float64 // per channel
	q    []float64 // qGridBlock * n momenta, 1/m
	w    []float64 // qGridBlock * n weights; nil for a parallel beam
}

// qGridBlock is the number of channels a qGrid prepares at once.
const qGridBlock = 64

// newQGrid returns an empty grid for the channel energies (eV) of width
// disp (eV) and the setup (its QSteps, 0 meaning DefaultQSteps).
func newQGrid(energies []float64, disp float64, s Setup) *qGrid {
	s.QSteps = s.qsteps()
	return &qGrid{k: NewKinematics(s.E0), s: s, energies: energies, disp: disp,
		blocks: make([]qGridBlockData, (len(energies)+qGridBlock-1)/qGridBlock)}
}

// convergent reports whether the weights are not all 1 (3.4: alpha >= 1e-6).
func (g *qGrid) convergent() bool { return g.s.Alpha >= 1e-6 }

// block returns block b, computing it on first use.
func (g *qGrid) block(b int) *qGridBlockData {
	d := &g.blocks[b]
	d.once.Do(func() {
		n := g.s.QSteps
		lo := b * qGridBlock
		hi := min(lo+qGridBlock, len(g.energies))
		d.du = make([]float64, hi-lo)
		d.q = make([]float64, (hi-lo)*n)
		if g.convergent() {
			d.w = make([]float64, (hi-lo)*n)
		}
		for c := range hi - lo {
			// The expressions of Table.dsigmaDE and Setup.DSigmaDE, in
			// the same order.
			qmin, qmax := g.k.QLimits(g.energies[lo+c], g.s.Alpha+g.s.Beta)
			lmin, lmax := math.Log(qmin), math.Log(qmax)
			du := (lmax - lmin) / float64(n-1)
			d.du[c] = du
			q := d.q[c*n : (c+1)*n]
			for j := range q {
				Q := math.Exp(lmin + float64(j)*du)
				q[j] = math.Sqrt(Q) / BohrRadius
				if d.w != nil {
					d.w[c*n+j] = ConvergenceCorrection(g.k.Theta(Q, qmin), g.s.Alpha, g.s.Beta)
				}
			}
		}
	})
	return d
}

// channel returns the log step du, the momenta (1/m) and the weights (nil
// for a parallel beam, where every weight is 1) of channel i.
func (g *qGrid) channel(i int) (du float64, q, w []float64) {
	d := g.block(i / qGridBlock)
	c, n := i%qGridBlock, g.s.QSteps
	if d.w != nil {
		w = d.w[c*n : (c+1)*n]
	}
	return d.du[c], d.q[c*n : (c+1)*n], w
}

// bytes is the most memory the grid can take: every block prepared, with
// the brackets of qBracketsMax q axes.
func (g *qGrid) bytes() int {
	per := 8 + (8+qBracketsMax*12)*g.s.QSteps
	if g.convergent() {
		per += 8 * g.s.QSteps
	}
	return per * len(g.energies)
}

// bracketsFor returns the brackets of the table q axis tq (compared by
// value), nil when the grid already holds qBracketsMax other axes.
func (g *qGrid) bracketsFor(tq []float64) *qBrackets {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, b := range g.brackets {
		if slices.Equal(b.axis, tq) {
			return b
		}
	}
	if len(g.brackets) == qBracketsMax {
		return nil
	}
	b := &qBrackets{axis: slices.Clone(tq), blocks: make([]qBracketBlock, len(g.blocks))}
	g.brackets = append(g.brackets, b)
	return b
}

// channel returns the brackets and interpolation weights of the q points
// of channel i of g.
func (b *qBrackets) channel(g *qGrid, i int) (iq []int32, wq []float64) {
	blk, d := &b.blocks[i/qGridBlock], g.block(i/qGridBlock)
	blk.once.Do(func() {
		n, nq, tq := g.s.QSteps, len(b.axis), b.axis
		blk.iq = make([]int32, len(d.q))
		blk.wq = make([]float64, len(d.q))
		for c := range len(d.du) {
			q, iqs, wqs := d.q[c*n:(c+1)*n], blk.iq[c*n:(c+1)*n], blk.wq[c*n:(c+1)*n]
			// The walk and the weight of Table.qSum.
			k := 0
			if len(q) > 0 {
				k = sort.SearchFloat64s(tq, q[0])
			}
			for j, qj := range q {
				for k < nq && tq[k] < qj {
					k++
				}
				iqs[j] = int32(k)
				if k > 0 && k < nq {
					q0, q1 := tq[k-1], tq[k]
					dq := q1 - q0
					wqs[j] = (dq - (qj - q0)) / dq
				}
			}
		}
	})
	c, n := i%qGridBlock, g.s.QSteps
	return blk.iq[c*n : (c+1)*n], blk.wq[c*n : (c+1)*n]
}

// qGridKey identifies a shared grid: the bits of the setup and the axis,
// so that any difference, even of the last bit, is another grid.
type qGridKey struct {
	e0, alpha, beta uint64
	qsteps          int
	offset, disp    uint64
	size            int
}

// The shared grids, most recently used first: at most qGridMemoMax of
// them and qGridMemoBytes in all (the newest is kept whatever its size).
const (
	qGridMemoMax   = 4
	qGridMemoBytes = 64 << 20
)

var qGridMemo struct {
	mu    sync.Mutex
	keys  []qGridKey
	grids []*qGrid
}

// sharedQGrid returns the grid of axis and setup s (QSteps 0 meaning
// DefaultQSteps), shared by every cross section computed on them.
func sharedQGrid(axis multispectrum.EnergyAxis, s Setup) *qGrid {
	s.QSteps = s.qsteps()
	key := qGridKey{math.Float64bits(s.E0), math.Float64bits(s.Alpha), math.Float64bits(s.Beta), s.QSteps,
		math.Float64bits(axis.Offset), math.Float64bits(axis.Dispersion), axis.Size}
	m := &qGridMemo
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, k := range m.keys {
		if k == key {
			g := m.grids[i]
			copy(m.keys[1:i+1], m.keys[:i])
			copy(m.grids[1:i+1], m.grids[:i])
			m.keys[0], m.grids[0] = key, g
			return g
		}
	}
	g := newQGrid(axis.Energies(nil), axis.Dispersion, s)
	m.keys = append([]qGridKey{key}, m.keys...)
	m.grids = append([]*qGrid{g}, m.grids...)
	total := 0
	for i, h := range m.grids {
		total += h.bytes()
		if i > 0 && (i >= qGridMemoMax || total > qGridMemoBytes) {
			m.keys, m.grids = m.keys[:i], m.grids[:i]
			break
		}
	}
	return g
}
