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
	GOS     string `name:"gos" enum:"hydrogenic,hs,kohl,zhang" default:"hydrogenic" help:"GOS source: hydrogenic (built in), hs (Hartree-Slater, computed in-process and cached), kohl (Segger-Guzzinati-Kohl DFT) or zhang (Dirac)."`
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

// hsCacheDir is the disk cache of the computed Hartree-Slater tables:
// $EELSH5_CACHE_DIR when set, else <user cache dir>/eelsh5/gos-hs (e.g.
// ~/.cache/eelsh5/gos-hs); "" (memory only) when neither is known.
func hsCacheDir() string {
	if d := os.Getenv("EELSH5_CACHE_DIR"); d != "" {
		return filepath.Join(d, "gos-hs")
	}
	if c, err := os.UserCacheDir(); err == nil {
		return filepath.Join(c, "eelsh5", "gos-hs")
	}
	return ""
}

// locator finds GOS tables as the command line promises: --gos-file,
// then $EELSH5_GOS_DIR, then ~/.config/eelsh5/gos.
func (f gosFlags) locator() gos.Locator {
	return gos.Locator{File: f.GOSFile, Dirs: gosSearchDirs()}
}

// openSource opens the selected GOS source; close releases its file.
func (f gosFlags) openSource() (src gos.Source, close func(), err error) {
	switch f.GOS {
	case "hydrogenic", "":
		return gos.Hydrogenic(), func() {}, nil
	case "hs":
		return gos.HS(hsCacheDir()), func() {}, nil
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
	List  gosListCmd  `cmd:"" help:"List the GOS sources, whether they are installed and the edges they cover."`
	Build gosBuildCmd `cmd:"" help:"Compute the Hartree-Slater GOS of one edge and write it as a GOSH file."`
}

type gosBuildCmd struct {
	Element   string `required:"" help:"Element symbol, e.g. Ti."`
	Edge      string `required:"" help:"Edge: K, L, M, N, O (combined), a spin-orbit pair such as L23 or M45, or a subshell such as L3."`
	Output    string `short:"o" required:"" type:"path" help:"GOSH file to write."`
	Overwrite bool   `help:"Replace an existing output file."`
}

func (c *gosBuildCmd) Help() string {
	return `Computes the Hartree-Slater generalised oscillator strengths of every table the edge needs
(doc/algorithms.md 3.13; L3 needs L23, the table of the whole 2p subshell, which the cross
section scales by the element table's occupancy ratio 2/3) and writes them in the GOSH layout
(doc/formats.md 1.2), which eelsh5 (--gos kohl --gos-file FILE) and eXSpy read. Tables come
from the disk cache when they were computed before.`
}

func (c *gosBuildCmd) Run(g *Globals) error {
	if _, err := os.Stat(c.Output); err == nil {
		if !c.Overwrite {
			return fmt.Errorf("output %q exists (use --overwrite to replace it)", c.Output)
		}
		if err := os.Remove(c.Output); err != nil {
			return err
		}
	}
	if _, err := gos.ExpandEdge(c.Element, c.Edge); err != nil {
		return usageError{err}
	}
	db := gos.NewHSDatabase(hsCacheDir())
	tabs, info, err := db.EdgeTables(c.Element, c.Edge)
	if err != nil {
		return err
	}
	var names []string
	for _, t := range tabs {
		names = append(names, t.Element+"/"+t.Name)
	}
	meta := h5io.GOSHMeta{
		Title:   fmt.Sprintf("Hartree-Slater GOS of %s %s computed by eelsh5 %s", tabs[0].Element, strings.ToUpper(c.Edge), version),
		Version: gos.HSVersion,
		Description: "Non-relativistic Hartree-Fock-Slater atom (Herman and Skillman 1963, Latter tail), continuum " +
			"normalised per unit energy, df/dE(q, E) from Bessel matrix elements summed over partial waves " +
			"(Leapman, Rez and Mayers 1980; Manson 1972). free_energies in eV above the threshold, q in 1/m, data in 1/eV " +
			"per atom for the whole nl subshell. eelsh5 doc/algorithms.md 3.13.",
		EdgesInfo: info,
	}
	if err := h5io.WriteGOSH(c.Output, tabs, meta); err != nil {
		return err
	}
	if !g.Quiet {
		fmt.Fprintf(g.stderr, "eelsh5 gos build: wrote %s (%s, %d energies x %d q)\n", c.Output, strings.Join(names, ", "), len(tabs[0].FreeEnergies), len(tabs[0].Q))
	}
	return nil
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
	hs := gos.HS(hsCacheDir())
	fmt.Fprintf(w, "hs          installed (built in, computed on first use)  %s\n", hs.Reference())
	hcov, err := hs.Covers()
	if err != nil {
		return err
	}
	for _, el := range gos.Elements() {
		z, _ := gos.AtomicNumber(el)
		if z < 3 || len(hcov[el]) == 0 {
			continue
		}
		fmt.Fprintf(w, "    %-3s %s\n", el, strings.Join(hsSubshellList(el, hcov[el]), " "))
	}
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

// hsSubshellList names the element-table subshells a list of HS tables
// serves, in shell order: L23 gives L2 L3.
func hsSubshellList(el string, tables []string) []string {
	has := map[string]bool{}
	for _, t := range tables {
		has[t] = true
	}
	subs, _ := gos.Element(el)
	var out []string
	for _, s := range subs {
		name := s.Name
		tab := name
		if d := name[1:]; d != "1" {
			var n int
			fmt.Sscanf(d, "%d", &n)
			lo := n // 2,3 -> 2; 4,5 -> 4
			if n%2 == 1 {
				lo = n - 1
			}
			tab = fmt.Sprintf("%s%d%d", name[:1], lo, lo+1)
		}
		if has[tab] {
			out = append(out, name)
		}
	}
	return out
}
