package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/formats"
	"github.com/eelsh5/eelsh5/formats/dm"
	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
)

// withHint appends the command-line advice the libraries no longer give,
// and keeps the original error reachable for errors.Is and errors.As.
func TestWithHint(t *testing.T) {
	_, notInModel := gos.Hydrogenic().Edge("Fe", "K", multispectrum.EnergyAxis{Offset: 100, Dispersion: 1, Size: 2000}, 0)
	if notInModel == nil {
		t.Fatal("hydrogenic Fe K accepted")
	}
	exists := &h5io.StepExistsError{File: "a.nxs", Path: "/entry/fit"}
	for _, c := range []struct {
		err  error
		want string
	}{
		{exists, `h5io: "a.nxs" already has /entry/fit (use --overwrite to replace it, or --step NAME to keep both)`},
		{fmt.Errorf("quant: %w", exists), `quant: h5io: "a.nxs" already has /entry/fit (use --overwrite to replace it, or --step NAME to keep both)`},
		{&h5io.ResumeError{File: "a.nxs", Step: "fit", Kind: h5io.ErrResumeMismatch},
			`h5io: the interrupted fit in "a.nxs" was started with other options; run it with the same options, or without --resume to start again`},
		{&h5io.ResumeError{File: "a.nxs", Step: "fit", Kind: h5io.ErrResumeUnreadable, Detail: "is unreadable", Err: errors.New("bad JSON")},
			`h5io: the interrupted fit in "a.nxs" is unreadable (bad JSON); run without --resume to start again`},
		{&h5io.AmbiguousSignalError{File: "a.hspy", Signals: []string{"s1", "s2"}},
			`h5io: "a.hspy" has no EELS signal among 2 signals (signals: s1, s2); choose one with --signal (--lowloss-signal for the low loss)`},
		{&h5io.NotProcessingFileError{File: "a.h5"}, `h5io: "a.h5" is not an eelsh5 processing file (no file_format attribute); if it holds EELS data (pyEELSMODEL), make a processing file from it with 'eelsh5 import a.h5 -o a.nxs' (--lowloss LOWLOSS for its low loss)`},
		{&h5io.NotProcessingFileError{File: "a.hspy", Format: "HyperSpy", HasFormat: true},
			`h5io: "a.hspy" is not an eelsh5 processing file (file_format is "HyperSpy"); make a processing file from it with 'eelsh5 import a.hspy -o a.nxs' (--lowloss LOWLOSS for its low loss)`},
		{&sourceFileError{File: "data/my spectrum.msa", Kind: formats.MSA, Err: errors.New(`h5io: "data/my spectrum.msa" is not an HDF5 file`)},
			`h5io: "data/my spectrum.msa" is not an HDF5 file but an EMSA/MSA file: make a processing file from it with 'eelsh5 import 'data/my spectrum.msa' -o 'data/my spectrum.nxs'' (--lowloss LOWLOSS for its low loss)`},
		{&h5io.NotProcessingFileError{File: "a.gosh", Format: "GOSH", HasFormat: true}, `h5io: "a.gosh" is not an eelsh5 processing file (file_format is "GOSH")`},
		{&dm.AmbiguousImageError{EELS: 3, Images: []string{"image 1", "image 2", "image 3"}},
			`dm: 3 EELS images (images: image 1; image 2; image 3); choose one with --image (--lowloss-image for the low loss)`},
		{&dm.AmbiguousImageError{Images: []string{"image 0", "image 1"}},
			`dm: no EELS image among 2 images (images: image 0; image 1); choose one with --image (--lowloss-image for the low loss)`},
		{&dm.UncalibratedError{Image: "image 0", Units: "px"},
			`dm: image 0 has no EELS tags and its spectral axis is not calibrated in eV (unit "px"): give the calibration with --energy OFFSET:DISPERSION if it is EELS`},
		{&gos.NotInstalledError{Source: "zhang", File: "Dirac_GOS.gosh", DOI: "10.5281/zenodo.11199911", Dirs: []string{"/d", "/c/eelsh5/gos"}},
			"gos: the zhang GOS table Dirac_GOS.gosh is not installed: download it from doi:10.5281/zenodo.11199911 and put it in /c/eelsh5/gos (or set EELSH5_GOS_DIR, or pass --gos-file); or use --gos hydrogenic, which needs no file"},
		{&gos.NotInstalledError{Source: "zhang", File: "Dirac_GOS.gosh", DOI: "10.5281/zenodo.11199911"},
			"gos: the zhang GOS table Dirac_GOS.gosh is not installed: download it from doi:10.5281/zenodo.11199911 and set EELSH5_GOS_DIR or pass --gos-file; or use --gos hydrogenic, which needs no file"},
		{notInModel, "gos: the hydrogenic model has K edges for Z = 1..22 only, not Fe (Z = 26); use a tabulated GOS (--gos kohl or zhang)"},
	} {
		got := withHint(c.err)
		if got.Error() != c.want {
			t.Errorf("withHint(%q)\n = %q\nwant %q", c.err, got, c.want)
		}
		if !errors.Is(got, c.err) {
			t.Errorf("withHint(%q) hides the original error", c.err)
		}
	}
	var se *h5io.StepExistsError
	if !errors.As(withHint(exists), &se) || se != exists {
		t.Error("errors.As does not see through the hint")
	}
	// A usage error stays one, with the advice on what it wraps.
	var ue usageError
	if got := withHint(usageError{exists}); !errors.As(got, &ue) || !strings.HasSuffix(ue.Error(), "--step NAME to keep both)") {
		t.Errorf("usage error: %v", got)
	}
	// Errors without advice pass unchanged.
	plain := errors.New("h5io: something else")
	if withHint(plain) != plain {
		t.Error("an error without advice was changed")
	}
	if u := (usageError{plain}); withHint(u) != error(u) {
		t.Error("a usage error without advice was changed")
	}
}

// The advice reaches the user on stderr, as the libraries gave it before.
func TestHintsOnTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	xsec := []string{"xsec", "--element", "Fe", "--edge", "K", "--E0", "300e3", "--beta", "20e-3", "--range", "7000:7200:1"}
	for _, c := range []struct {
		what string
		env  map[string]string
		args []string
		want string // the whole stderr
	}{
		{"hydrogenic edge missing", nil, append(xsec, "--gos", "hydrogenic"),
			"eelsh5: error: gos: the hydrogenic model has K edges for Z = 1..22 only, not Fe (Z = 26); use a tabulated GOS (--gos kohl or zhang)\n"},
		{"GOS table missing", map[string]string{"EELSH5_GOS_DIR": dir, "XDG_CONFIG_HOME": "/nonexistent/config"}, append(xsec, "--gos", "kohl"),
			"eelsh5: error: gos: the kohl GOS table Segger_Guzzinati_Kohl_1.5.0.gosh is not installed: download it from doi:10.5281/zenodo.7645765 and put it in /nonexistent/config/eelsh5/gos (or set EELSH5_GOS_DIR, or pass --gos-file); or use --gos hydrogenic, which needs no file\n"},
		{"GOS table missing, no directory to search", map[string]string{"EELSH5_GOS_DIR": "", "XDG_CONFIG_HOME": "", "HOME": ""}, append(xsec, "--gos", "kohl"),
			"eelsh5: error: gos: the kohl GOS table Segger_Guzzinati_Kohl_1.5.0.gosh is not installed: download it from doi:10.5281/zenodo.7645765 and set EELSH5_GOS_DIR or pass --gos-file; or use --gos hydrogenic, which needs no file\n"},
	} {
		t.Run(c.what, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			_, errs, code := eelsh5(t, c.args...)
			if code != 1 || errs != c.want {
				t.Errorf("exit %d, stderr\n%q\nwant\n%q", code, errs, c.want)
			}
		})
	}
	// The search order: --gos-file, then $EELSH5_GOS_DIR, then
	// $XDG_CONFIG_HOME/eelsh5/gos.
	cfg := t.TempDir()
	t.Setenv("EELSH5_GOS_DIR", dir)
	t.Setenv("XDG_CONFIG_HOME", cfg)
	if got, want := gosSearchDirs(), []string{dir, filepath.Join(cfg, "eelsh5", "gos")}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("search dirs %v, want %v", got, want)
	}
	if l := (gosFlags{GOS: "kohl", GOSFile: "/x.gosh"}).locator(); l.File != "/x.gosh" || len(l.Dirs) != 2 || l.Dirs[0] != dir {
		t.Errorf("locator %+v", l)
	}

	for _, c := range []struct {
		what   string
		args   []string
		suffix string
	}{
		{"DM file with two images, neither EELS", []string{"import", fixtures + "dm3_multi_image.dm3", "-o", filepath.Join(dir, "m.nxs"), "-q"},
			"; choose one with --image (--lowloss-image for the low loss)\n"},
		{"DM spectrum without calibration", []string{"import", fixtures + "dm3_1d_float32_uncalibrated.dm3", "-o", filepath.Join(dir, "u.nxs"), "-q"},
			`has no EELS tags and its spectral axis is not calibrated in eV (unit ""): give the calibration with --energy OFFSET:DISPERSION if it is EELS` + "\n"},
	} {
		_, errs, code := eelsh5(t, c.args...)
		if code != 1 || !strings.HasSuffix(errs, c.suffix) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q, want it to end with %q", c.what, code, errs, c.suffix)
		}
	}

	// A HyperSpy file given where a processing file is needed.
	hspy := filepath.Join(dir, "s.hspy")
	b, err := os.ReadFile(fixtures + "hyperspy_eels_1d.hspy")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(hspy, b, 0o644)
	if _, errs, code := eelsh5(t, "plot", hspy, "-o", filepath.Join(dir, "fig")); code != 1 ||
		errs != `eelsh5: error: h5io: "`+hspy+`" is not an eelsh5 processing file (file_format is "HyperSpy"); make a processing file from it with 'eelsh5 import `+hspy+` -o `+strings.TrimSuffix(hspy, ".hspy")+`.nxs' (--lowloss LOWLOSS for its low loss)`+"\n" {
		t.Errorf("plot of a HyperSpy file: exit %d, %q", code, errs)
	}

	// Instrument files (DM3, DM4, EMSA/MSA) given where a processing
	// file is needed: every command that reads one points to import,
	// with a path relative to the working directory when below it.
	wd, _ := os.Getwd()
	for _, c := range []struct{ file, kind string }{
		{"hl.msa", "an EMSA/MSA"}, {"dm3_eels_spectrum.dm3", "a Gatan DM3"}, {"dm4_eels_spectrum_image.dm4", "a Gatan DM4"},
	} {
		abs, _ := filepath.Abs(fixtures + c.file)
		rel, err := filepath.Rel(wd, abs)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = abs
		}
		want := `eelsh5: error: h5io: "` + abs + `" is not an HDF5 file but ` + c.kind + ` file: make a processing file from it with 'eelsh5 import ` +
			rel + ` -o ` + strings.TrimSuffix(rel, filepath.Ext(rel)) + `.nxs' (--lowloss LOWLOSS for its low loss)` + "\n"
		for _, args := range [][]string{
			{"quant", abs, "--elements", "C", "--edges", "K"}, {"fit", abs, "--elements", "C", "--edges", "K"},
			{"align", abs}, {"info", abs}, {"plot", abs, "-o", filepath.Join(dir, "fig")},
		} {
			if _, errs, code := eelsh5(t, args...); code != 1 || errs != want {
				t.Errorf("%s on %s: exit %d, stderr\n%q\nwant\n%q", args[0], c.file, code, errs, want)
			}
		}
	}

	// A step that exists.
	nxs := filepath.Join(dir, "s.nxs")
	if _, errs, code := eelsh5(t, "simulate", nxs, "--size", "4", "-q"); code != 0 {
		t.Fatal(errs)
	}
	fit := []string{"fit", nxs, "-q", "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--step", "f"}
	if _, errs, code := eelsh5(t, fit...); code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := eelsh5(t, fit...); code != 1 ||
		errs != `eelsh5: error: h5io: "`+nxs+`" already has /entry/f (use --overwrite to replace it, or --step NAME to keep both)`+"\n" {
		t.Errorf("step exists: exit %d, %q", code, errs)
	}
}

// The energies of the window errors are restated at the precision of
// their storage; the original error stays reachable.
func TestWithPrecision(t *testing.T) {
	f32 := func(v float64) float64 { return float64(float32(v)) }
	axis := multispectrum.EnergyAxis{Offset: f32(265.8), Dispersion: f32(0.18), Size: 64}
	edge := &quant.EdgeOutsideError{Edge: "Fe L", Onset: 708, Lo: axis.Offset, Hi: axis.Last()}
	win := &quant.WindowError{Lo: 5000, Hi: 6000, Axis: axis}
	for _, c := range []struct {
		err  error
		want string
	}{
		{&quant.OptionError{Err: edge}, "quant: the Fe L edge (onset 708 eV) lies outside the fit window 265.8..277.14 eV"},
		{fmt.Errorf("fit: %w", win), "fit: quant: fit window 5000:6000 eV is empty or outside the axis 265.8..277.14 eV"},
	} {
		got := withPrecision(c.err)
		if got.Error() != c.want || !errors.Is(got, c.err) {
			t.Errorf("withPrecision(%q) = %q, want %q", c.err, got, c.want)
		}
	}
	if strings.Contains(edge.Error(), "265.8..") {
		t.Errorf("the library prints %q: the test shows nothing", edge)
	}
	plain := usageError{errors.New("--window 3:2: empty")}
	if withPrecision(plain) != error(plain) {
		t.Error("an error without window energies was changed")
	}
	// On the command line, for a file whose axis came from float32
	// calibrations.
	path := filepath.Join(t.TempDir(), "f32.nxs")
	core := &multispectrum.Cube{Array: *multispectrum.NewArray(2, 2, axis.Size), Axis: axis}
	makeFile(t, path, multispectrum.Instrument{BeamEnergy: 300e3, Convergence: 1e-9, Collection: 20e-3, DwellTime: math.NaN()}, core, nil)
	_, errs, code := eelsh5(t, "fit", path, "--elements", "Fe", "--edges", "L", "--no-lowloss")
	if want := "eelsh5: error: the Fe L edge (onset 710 eV) lies outside the fit window 265.8..277.14 eV\nRun 'eelsh5 fit --help' for usage.\n"; code != 2 || errs != want {
		t.Errorf("fit: exit %d, stderr %q, want %q", code, errs, want)
	}
}
