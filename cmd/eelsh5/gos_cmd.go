package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg/draw"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// gosFlags selects the GOS source of commands that compute cross sections.
type gosFlags struct {
	GOS     string `name:"gos" enum:"hydrogenic,kohl,zhang" default:"hydrogenic" help:"GOS source: hydrogenic (built in), kohl (Segger-Guzzinati-Kohl DFT) or zhang (Dirac)."`
	GOSFile string `name:"gos-file" type:"path" help:"GOS table file (default: searched in $EELSH5_GOS_DIR and ~/.config/eelsh5/gos)."`
}

// gosSearchDirs returns the directories searched for GOS table files, in
// order: $EELSH5_GOS_DIR, then <user config dir>/eelsh5/gos (e.g.
// ~/.config/eelsh5/gos; $XDG_CONFIG_HOME/eelsh5/gos when that is set).
func gosSearchDirs() []string {
	var dirs []string
	if d := os.Getenv("EELSH5_GOS_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	if c, err := os.UserConfigDir(); err == nil {
		dirs = append(dirs, filepath.Join(c, "eelsh5", "gos"))
	}
	return dirs
}

// locator finds GOS tables as the command line promises: --gos-file,
// then $EELSH5_GOS_DIR, then ~/.config/eelsh5/gos.
func (f gosFlags) locator() gos.Locator {
	return gos.Locator{File: f.GOSFile, Dirs: gosSearchDirs()}
}

// openSource opens the selected GOS source; close releases its file.
func (f gosFlags) openSource() (src gos.Source, close func(), err error) {
	if f.GOS == "hydrogenic" || f.GOS == "" {
		return gos.Hydrogenic(), func() {}, nil
	}
	info, _ := gos.LookupSource(f.GOS)
	path, err := f.locator().Locate(f.GOS)
	if err != nil {
		return nil, nil, err
	}
	var db gos.Database
	closer := func() {}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		z, err := h5io.OpenZhangDir(path)
		if err != nil {
			return nil, nil, err
		}
		db = z
	} else {
		g, err := h5io.OpenGOSH(path, info.Kind)
		if err != nil {
			return nil, nil, fmt.Errorf("%w (the %s table, doi:%s)", err, f.GOS, info.DOI)
		}
		db, closer = g, func() { g.Close() }
	}
	return gos.NewTableSource(f.GOS, db), closer, nil
}

// parseRange parses start:stop:step (eV, stop exclusive) into an axis.
func parseRange(s string) (multispectrum.EnergyAxis, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return multispectrum.EnergyAxis{}, usageError{fmt.Errorf("--range %q: want start:stop:step in eV, e.g. 205:1219:0.5", s)}
	}
	var v [3]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return multispectrum.EnergyAxis{}, usageError{fmt.Errorf("--range %q: %q is not a number", s, p)}
		}
		v[i] = x
	}
	if !(v[2] > 0) || !(v[1] > v[0]) {
		return multispectrum.EnergyAxis{}, usageError{fmt.Errorf("--range %q: need start < stop and step > 0", s)}
	}
	n := int(math.Ceil((v[1]-v[0])/v[2] - 1e-9))
	if n > 1<<22 {
		return multispectrum.EnergyAxis{}, usageError{fmt.Errorf("--range %q: %d points is too many", s, n)}
	}
	return multispectrum.EnergyAxis{Offset: v[0], Dispersion: v[2], Size: n}, nil
}

type xsecCmd struct {
	Element string  `required:"" help:"Element symbol, e.g. C."`
	Edge    string  `required:"" help:"Edge: K, L, M, N, O (combined) or a subshell such as L3."`
	E0      float64 `name:"E0" required:"" help:"Acceleration voltage in volts, e.g. 300e3."`
	Alpha   float64 `default:"1e-9" help:"Convergence semi-angle in radians."`
	Beta    float64 `required:"" help:"Collection semi-angle in radians, e.g. 20e-3."`
	Range   string  `required:"" help:"Energies start:stop:step in eV, stop exclusive, e.g. 205:1219:0.5."`
	QSteps  int     `name:"q-steps" default:"100" help:"Points of the q integral (hydrogenic; tables always use 100)."`
	Shift   float64 `default:"0" help:"Onset shift in eV."`
	Output  string  `short:"o" type:"path" help:"Write a PNG plot to this file instead of CSV on stdout."`
	gosFlags
}

func (c *xsecCmd) Help() string {
	return `Computes the differential cross section dsigma/dE (barn/eV per atom, 1 barn = 1e-28 m^2) of
one edge at the channel start energies of --range, with the q integration, convergence
correction and units of doc/algorithms.md 3.3-3.11. Prints CSV (comment lines first, then the
header energy_eV,barn_per_eV) or, with -o FILE.png, plots it.`
}

func (c *xsecCmd) Run(g *Globals) error {
	axis, err := parseRange(c.Range)
	if err != nil {
		return err
	}
	setup := gos.Setup{E0: c.E0, Alpha: c.Alpha, Beta: c.Beta, QSteps: c.QSteps}
	if err := setup.Validate(); err != nil {
		return usageError{err}
	}
	src, closeSrc, err := c.openSource()
	if err != nil {
		return err
	}
	defer closeSrc()
	edge, err := src.Edge(c.Element, c.Edge, axis, c.Shift)
	if err != nil {
		return err
	}
	sigma := edge.CrossSection(nil, axis, setup)
	if c.Output != "" {
		return plotXsec(c.Output, edge, axis, sigma, setup)
	}
	return writeXsecCSV(g.stdout, src, edge, axis, sigma, setup)
}

func writeXsecCSV(w io.Writer, src gos.Source, edge *gos.Edge, axis multispectrum.EnergyAxis, sigma []float64, s gos.Setup) error {
	fmt.Fprintf(w, "# eelsh5 %s cross section of %s\n", version, edge.Label())
	fmt.Fprintf(w, "# source: %s: %s\n", src.Name(), src.Reference())
	var parts []string
	for _, p := range edge.Parts {
		parts = append(parts, fmt.Sprintf("%s onset %g eV x%.6g", p.Subshell, p.Onset, p.Occupancy))
	}
	fmt.Fprintf(w, "# subshells: %s\n", strings.Join(parts, "; "))
	fmt.Fprintf(w, "# E0 = %g V, alpha = %g rad, beta = %g rad\n", s.E0, s.Alpha, s.Beta)
	fmt.Fprintf(w, "# energy_eV: energy loss at the channel start, eV; barn_per_eV: dsigma/dE per atom, barn/eV (1 barn = 1e-28 m^2)\n")
	fmt.Fprintln(w, "energy_eV,barn_per_eV")
	for i, v := range sigma {
		if _, err := fmt.Fprintf(w, "%s,%s\n", strconv.FormatFloat(axis.Energy(i), 'g', -1, 64), strconv.FormatFloat(v, 'g', 10, 64)); err != nil {
			return err
		}
	}
	return nil
}

func plotXsec(path string, edge *gos.Edge, axis multispectrum.EnergyAxis, sigma []float64, s gos.Setup) error {
	if !strings.EqualFold(filepath.Ext(path), ".png") {
		return usageError{fmt.Errorf("-o %q: only .png plots are written", path)}
	}
	e := axis.Energies(nil)
	b := newPanel(e, e[0], e[len(e)-1], false)
	if len(e) == 1 {
		b.p.X.Min, b.p.X.Max = e[0]-axis.Dispersion, e[0]+axis.Dispersion
	}
	b.line(sigma, nil, dataColour, 1.3, false, "")
	p := b.finish(false)
	if p.Y.Min < 0 && b.lo >= 0 {
		p.Y.Min = 0 // a cross section is never negative
	}
	p.Title.Text = fmt.Sprintf("%s cross section (%s), E0 = %g kV, beta = %g mrad", edge.Label(), edge.Source, s.E0/1e3, s.Beta*1e3)
	p.X.Label.Text = "Energy loss (eV)"
	p.Y.Label.Text = "dsigma/dE (barn/eV)"
	p.X.Tick.Marker = niceTicks{n: 8}
	p.Y.Tick.Marker = niceTicks{n: 8}
	return savePNG(path, 800, 500, func(dc draw.Canvas) {
		p.Draw(draw.Crop(dc, px(6), -px(10), px(4), -px(6)))
	})
}

type gosCmd struct {
	List gosListCmd `cmd:"" help:"List the GOS sources, whether they are installed and the edges they cover."`
}

type gosListCmd struct {
	gosFileFlags
}

type gosFileFlags struct {
	KohlFile  string `name:"kohl-file" type:"path" help:"Segger-Guzzinati-Kohl GOSH file to describe."`
	ZhangFile string `name:"zhang-file" type:"path" help:"Zhang Dirac GOSH file (or per-element directory) to describe."`
}

func (c *gosListCmd) Run(g *Globals) error {
	w := g.stdout
	fmt.Fprintf(w, "hydrogenic  installed (built in)  %s\n", gos.Hydrogenic().Reference())
	cov, _ := gos.Hydrogenic().Covers()
	fmt.Fprintf(w, "    K: %s\n    L: %s\n", coverageRange(cov, "K"), coverageRange(cov, "L"))
	for _, info := range gos.Sources {
		explicit := c.KohlFile
		if info.Name == "zhang" {
			explicit = c.ZhangFile
		}
		src, closeSrc, err := gosFlags{GOS: info.Name, GOSFile: explicit}.openSource()
		if err != nil {
			fmt.Fprintf(w, "%-10s  not installed  (%s, doi:%s)\n    %s\n", info.Name, info.Title, info.DOI, oneLine(err.Error()))
			continue
		}
		fmt.Fprintf(w, "%-10s  installed  %s\n", info.Name, src.Reference())
		cov, err := src.Covers()
		closeSrc()
		if err != nil {
			return err
		}
		els := make([]string, 0, len(cov))
		for el := range cov {
			els = append(els, el)
		}
		sort.Slice(els, func(i, j int) bool {
			zi, _ := gos.AtomicNumber(els[i])
			zj, _ := gos.AtomicNumber(els[j])
			return zi < zj
		})
		for _, el := range els {
			fmt.Fprintf(w, "    %-3s %s\n", el, strings.Join(cov[el], " "))
		}
	}
	fmt.Fprintf(w, "search path: %s\n", strings.Join(gosSearchDirs(), ", "))
	return nil
}

func coverageRange(cov map[string][]string, edge string) string {
	var els []string
	for _, el := range gos.Elements() {
		for _, e := range cov[el] {
			if e == edge {
				els = append(els, el)
			}
		}
	}
	if len(els) == 0 {
		return "none"
	}
	z0, _ := gos.AtomicNumber(els[0])
	z1, _ := gos.AtomicNumber(els[len(els)-1])
	return fmt.Sprintf("%s..%s (Z = %d..%d)", els[0], els[len(els)-1], z0, z1)
}
