package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"

	"github.com/eelsh5/eelsh5/formats"
	"github.com/eelsh5/eelsh5/h5io"
)

// version is the program version, set at build time with
// -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Globals are the flags shared by every command.
type Globals struct {
	Quiet bool `short:"q" help:"No progress or summary on stderr."`
	Jobs  int  `short:"j" default:"0" help:"Number of compute workers, and the most cores the Go code uses (GOMAXPROCS; 0: all cores)."`

	stdout, stderr io.Writer
	args           []string
	ctx            context.Context
	now            func() time.Time
	// committed lists what the command has committed so far ("step
	// /entry/alignment of FILE"), for the message after an interruption.
	committed []string
}

// workers returns the number of compute workers to use.
func (g *Globals) workers() int {
	if g.Jobs > 0 {
		return g.Jobs
	}
	return runtime.GOMAXPROCS(0)
}

type cli struct {
	Globals

	Simulate   simulateCmd   `cmd:"" help:"Simulate a core-loss and low-loss spectrum image with known truth."`
	Align      alignCmd      `cmd:"" help:"Align spectra on the zero-loss peak (fast, fit or xcorr)."`
	Fit        fitCmd        `cmd:"" help:"Fit a model to every pixel: coefficients, CRLB, model cube."`
	Quant      quantCmd      `cmd:"" help:"Elemental quantification: align, fit, elemental and composition maps with errors."`
	Demo       demoCmd       `cmd:"" help:"Simulate the seed scenario, quantify it and draw the figures."`
	Plot       plotCmd       `cmd:"" help:"Draw the figures of a step (PNG)."`
	Import     importCmd     `cmd:"" help:"Create a processing file from DM3/DM4, EMSA/MSA, HyperSpy or pyEELSMODEL files."`
	Export     exportCmd     `cmd:"" help:"Export a cube, spectrum or maps of a step as HyperSpy .hspy, EMSA/MSA or CSV."`
	Info       infoCmd       `cmd:"" help:"List the groups, datasets, axes and step provenance of an HDF5 file."`
	View       viewCmd       `cmd:"" help:"Browse a processing file in the web browser: maps, spectra, fitted model (127.0.0.1 only)."`
	Xsec       xsecCmd       `cmd:"" help:"Compute an edge's cross section (CSV or PNG)."`
	Thickness  thicknessCmd  `cmd:"" help:"Relative (t/lambda) and absolute thickness maps from the low loss (log-ratio)."`
	Deconvolve deconvolveCmd `cmd:"" help:"Fourier-log (low loss) or Fourier-ratio (core loss) deconvolution of plural scattering."`
	Integrate  integrateCmd  `cmd:"" help:"Conventional quantification: power-law background, edge integration, partial cross sections, ratios."`
	Jumpratio  jumpratioCmd  `cmd:"" help:"Jump-ratio and background-subtracted edge maps."`
	Crop       cropCmd       `cmd:"" help:"Crop the scan and/or the energy range of the cubes."`
	Bin        binCmd        `cmd:"" help:"Bin scan pixels and/or channels (summing counts)."`
	Sum        sumCmd        `cmd:"" help:"Sum the scan or a region into one spectrum."`
	Calibrate  calibrateCmd  `cmd:"" help:"Set or correct the energy axes (offset/dispersion, zero loss, edge onset)."`
	GOS        gosCmd        `cmd:"" name:"gos" help:"GOS sources and tables."`
	Version    versionCmd    `cmd:"" help:"Print the version."`
	Merge      mergeCmd      `cmd:"" help:"Assemble the parts of a partitioned align, fit or quant into FILE (HDF5 virtual datasets)."`
	Slurm      slurmCmd      `cmd:"" help:"Submit a partitioned align, fit or quant to Slurm: prepare, a job array of parts, merge."`
}

// openProcessing opens a processing file and checks its format version:
// read-only, or writable for a new step, with then the SHA-256 of the
// file's content before the step (its provenance input).
func openProcessing(path string, writable bool) (f *h5io.File, sum string, err error) {
	if writable {
		if sum, err = h5io.FileSHA256(path); err != nil {
			return nil, "", err
		}
	}
	if f, err = openHDF5(path, writable); err != nil {
		return nil, "", err
	}
	if err := f.CheckVersion(); err != nil {
		f.Close()
		return nil, "", err
	}
	return f, sum, nil
}

// openHDF5 opens an HDF5 file, read-only or writable. When the file is
// not HDF5 but one that eelsh5 import reads (DM3, DM4, EMSA/MSA), the
// error is a *sourceFileError, for which the hint is the import command.
func openHDF5(path string, writable bool) (*h5io.File, error) {
	open := h5io.Open
	if writable {
		open = h5io.OpenWritable
	}
	f, err := open(path)
	if err == nil {
		return f, nil
	}
	if fh, oerr := os.Open(path); oerr == nil {
		kind := formats.Detect(fh)
		fh.Close()
		if kind != formats.Unknown && kind != formats.HDF5 {
			return nil, &sourceFileError{File: path, Kind: kind, Err: err}
		}
	}
	return nil, err
}

// usageError marks an error caused by the command line; it exits with 2.
type usageError struct{ error }

type exitCode int

// run runs the command line args; an interrupt (Ctrl-C) or SIGTERM
// cancels the command's context.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdout, stderr)
}

// runContext runs the command line args under ctx and returns the exit
// status.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	var c cli
	c.stdout, c.stderr, c.args = stdout, stderr, append([]string{"eelsh5"}, args...)
	c.now = time.Now
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(exitCode); ok {
				code = int(e)
				return
			}
			fmt.Fprintf(stderr, "eelsh5: internal error: %v (please report this with the command line)\n", r)
			if os.Getenv("EELSH5_TRACE") != "" {
				fmt.Fprintf(stderr, "%s", debug.Stack())
			}
			code = 1
		}
	}()
	parser, err := kong.New(&c,
		kong.Name("eelsh5"),
		kong.Description("Quantitative EELS of spectrum images: simulate, align, fit and quantify, with every result stored in one HDF5 (NeXus) processing file."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(exitCode(code)) }),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	if err != nil {
		fmt.Fprintf(stderr, "eelsh5: internal error: %v\n", err)
		return 1
	}
	if len(args) == 0 {
		ctx, _ := kong.Trace(parser, nil)
		ctx.PrintUsage(false)
		return 2
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "eelsh5: error: %v\nRun 'eelsh5 --help' for usage.\n", err)
		return 2
	}
	if c.Jobs < 0 {
		fmt.Fprintf(stderr, "eelsh5: error: --jobs %d: want 0 (all cores) or a number of workers\nRun 'eelsh5 --help' for usage.\n", c.Jobs)
		return 2
	}
	if c.Jobs > 0 && c.Jobs < runtime.GOMAXPROCS(0) {
		// -j bounds the Go code of the whole run (GOMAXPROCS), not only the
		// fit's workers: the cross sections' and figures' goroutines too
		// (threads blocked in C, HDF5 or FFTW, are not counted).
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.Jobs))
	}
	if path := os.Getenv("EELSH5_CPUPROFILE"); path != "" { // for developers
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	c.ctx = ctx
	if runHook != nil {
		runHook()
	}
	if err := kctx.Run(&c.Globals); err != nil {
		err = withHint(withPrecision(err)) // numbers to their precision, the command-line advice for library errors
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "eelsh5: error: %v\nRun 'eelsh5 %s --help' for usage.\n", ue.error, commandName(kctx.Command()))
			return 2
		}
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, interrupted(c.committed))
			return 1
		}
		fmt.Fprintf(stderr, "eelsh5: error: %s\n", oneLine(err.Error()))
		return 1
	}
	return 0
}

// runHook, when set (by tests), is called just before the command runs.
var runHook func()

// interrupted is the message after an interruption: what was committed
// before it (files and steps complete and kept), and that nothing after
// it was.
func interrupted(committed []string) string {
	if len(committed) == 0 {
		return "eelsh5: interrupted; nothing was committed"
	}
	return "eelsh5: interrupted; committed before the interruption: " + strings.Join(committed, ", ") + "; nothing after it"
}

// commandName is the command of a kong command path without its
// arguments: "fit" for "fit <file>".
func commandName(path string) string {
	var words []string
	for _, w := range strings.Fields(path) {
		if !strings.HasPrefix(w, "<") {
			words = append(words, w)
		}
	}
	return strings.Join(words, " ")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

type versionCmd struct{}

func (versionCmd) Run(g *Globals) error {
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " (" + s.Value[:12] + ")"
			}
		}
	}
	fmt.Fprintf(g.stdout, "eelsh5 %s%s %s %s/%s\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
