package main

import (
	"embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
)

// The viewer's page: one HTML file with its script and style, embedded so
// that `eelsh5 view` needs no network.
//
//go:embed viewer/index.html
var viewerAssets embed.FS

// maxBoxPixels bounds the box a spectrum request may average (a 256x256
// box); the box is read in strips of the cube's chunk height, so memory
// stays bounded by one strip.
const maxBoxPixels = 256 * 256

// maxComponentPixels bounds the box whose components are rebuilt (each
// pixel costs one convolution per edge: about 0.14 ms, so 0.6 s here).
const maxComponentPixels = 64 * 64

// viewSet is one NXdata group of the file that the viewer can show.
type viewSet struct {
	Path   string   `json:"path"`   // NXdata group
	Signal string   `json:"signal"` // signal dataset name
	Kind   string   `json:"kind"`   // cube, stack, map or spectrum
	Shape  []int    `json:"shape"`
	Names  []string `json:"names,omitempty"` // stack component names
	Units  string   `json:"units"`
	Long   string   `json:"long_name"`
	Step   string   `json:"step"`           // enclosing NXprocess, "" at /entry
	Fits   []string `json:"fits,omitempty"` // cube: fit steps of this cube
	Aux    []string `json:"aux,omitempty"`  // spectrum: auxiliary signals
	// Energy axis of cubes and spectra.
	Offset     float64 `json:"offset,omitempty"`
	Dispersion float64 `json:"dispersion,omitempty"`
	// Scan calibration of maps, stacks and cubes.
	Scan *viewScan `json:"scan,omitempty"`
}

// viewFit is a fit step: its model cube and, for linear methods, what
// it takes to redraw each component from the stored coefficients.
type viewFit struct {
	Step       string   `json:"step"`
	Cube       string   `json:"cube"`            // fitted core-loss cube
	Model      string   `json:"model,omitempty"` // model cube, "" when not written
	Components []string `json:"components"`      // component groups drawn
	Method     string   `json:"method"`

	sequence  int    // the step's sequence_index: order of writing
	low       string // low-loss cube, "" without convolution
	coef      string // coefficients dataset
	modelFile *quant.ModelFile
	groups    []int // parameter -> component group
	once      sync.Once
	engine    *quant.LinearEngine
	ws        *quant.LinearWorkspace
	lowWidth  int
	err       error
}

// viewer serves one processing file to the page. It opens the file
// read-only only while it serves a request and closes it before
// answering, so that fit and quant can write to it while the page is
// open. The listing of the file's NXdata groups and fit steps is rebuilt
// whenever the file changed (modification time, size or inode) since it
// was made; requests name datasets only through the listed groups, and
// anything else is refused. The HDF5 library is not reentrant, so
// requests are served one at a time.
type viewer struct {
	mu      sync.Mutex // one request at a time; guards list
	path    string     // the file served
	name    string     // the file's name as given on the command line
	list    *viewListing
	log     io.Writer
	allowed map[string]bool // Host headers accepted
	// maxComponents bounds the box whose components are rebuilt.
	maxComponents int
}

// viewListing is what the viewer knows of one version of the file.
type viewListing struct {
	stamp   os.FileInfo // the file when it was listed; nil: list again
	sets    []*viewSet
	byPath  map[string]*viewSet
	fits    map[string]*viewFit
	def     string // default map set
	defFit  string // default fit step, of the same step as def when it is a fit
	sums    map[string][]float32
	version string
}

// errFileBusy is the cause of a request refused because another process
// holds the file (HDF5 file lock): a writer such as eelsh5 fit or quant.
var errFileBusy = errors.New("being written by another process")

// newViewer serves the processing file at path (name is how it is shown).
// It lists the file once, so that a file that is not a processing file is
// refused at start; a file that another process is writing is listed on
// the first request after that process finished.
func newViewer(path, name string, log io.Writer) (*viewer, error) {
	v := &viewer{path: path, name: name, log: log, maxComponents: maxComponentPixels}
	f, _, err := v.open()
	if errors.Is(err, errFileBusy) {
		return v, err
	}
	if err != nil {
		return nil, err
	}
	f.Close()
	return v, nil
}

// sameFile reports whether the file described by a and b is the same
// version: same inode, size and modification time.
func sameFile(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// fileVersion names a version of the file for the page.
func fileVersion(st os.FileInfo) string {
	return fmt.Sprintf("%d-%d", st.ModTime().UnixNano(), st.Size())
}

// isFileLock reports whether err is h5io's refusal of a file another
// process holds (HDF5 file locking); h5io has no sentinel for it, so its
// message is matched.
func isFileLock(err error) bool {
	return err != nil && strings.Contains(err.Error(), "(HDF5 file lock)")
}

// open opens the file read-only for one request and lists it again when
// it changed since the last listing. The caller holds v.mu and closes the
// file before answering. A file another process holds gives an error
// wrapping errFileBusy.
func (v *viewer) open() (*h5io.File, *viewListing, error) {
	before, err := os.Stat(v.path)
	if err != nil {
		return nil, nil, fmt.Errorf("could not open %s: %w", v.name, unwrapPath(err))
	}
	f, err := h5io.Open(v.path)
	if isFileLock(err) {
		return nil, nil, fmt.Errorf("%s is %w (HDF5 file lock)", v.name, errFileBusy)
	}
	if err != nil {
		return nil, nil, err
	}
	// Held open, the file cannot change. A stat after the open that
	// differs from the one before means the file was written or replaced
	// in between: list it now, and again on the next request.
	after, err := os.Stat(v.path)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("could not open %s: %w", v.name, unwrapPath(err))
	}
	stable := sameFile(before, after)
	if v.list != nil && stable && sameFile(v.list.stamp, after) {
		return f, v.list, nil
	}
	start := time.Now()
	l, err := listFile(f, v.log)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if stable {
		l.stamp = after
	}
	l.version = fileVersion(after)
	if v.list != nil {
		fmt.Fprintf(v.log, "eelsh5 view: %s changed; listed again in %.2f s (%d groups, %d fit steps)\n",
			v.name, time.Since(start).Seconds(), len(l.sets), len(l.fits))
	}
	v.list = l
	return f, l, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// listFile lists the NXdata groups and fit steps of the open file.
func listFile(f *h5io.File, log io.Writer) (*viewListing, error) {
	if err := f.CheckVersion(); err != nil {
		return nil, err
	}
	nodes, err := f.Walk()
	if err != nil {
		return nil, err
	}
	v := &viewListing{byPath: map[string]*viewSet{}, fits: map[string]*viewFit{}, sums: map[string][]float32{}}
	byPath := map[string]h5io.Node{}
	for _, n := range nodes {
		byPath[n.Path] = n
	}
	attr := func(n h5io.Node, k string) string { s, _ := n.Attrs[k].(string); return s }
	steps := map[string]bool{}
	for _, n := range nodes {
		if n.NXClass == "NXprocess" {
			steps[n.Path] = true
		}
		if n.NXClass != "NXdata" {
			continue
		}
		sig := attr(n, "signal")
		d, ok := byPath[n.Path+"/"+sig]
		if sig == "" || !ok || d.Kind != "dataset" || !strings.HasPrefix(d.DType, "float") && !strings.HasPrefix(d.DType, "int") && !strings.HasPrefix(d.DType, "uint") {
			continue
		}
		s := &viewSet{Path: n.Path, Signal: sig, Shape: d.Shape, Units: attr(d, "units"), Long: attr(d, "long_name")}
		interp := attr(n, "interpretation")
		switch {
		case len(d.Shape) == 3 && interp == "spectrum":
			s.Kind = "cube"
		case len(d.Shape) == 3:
			s.Kind = "stack"
			if names, err := f.ReadStrings(n.Path + "/component_names"); err == nil && len(names) == d.Shape[0] {
				s.Names = names
			}
		case len(d.Shape) == 2:
			s.Kind = "map"
		case len(d.Shape) == 1 && interp == "spectrum":
			s.Kind = "spectrum"
			if aux, ok := n.Attrs["auxiliary_signals"].([]string); ok {
				s.Aux = aux
			} else if a, ok := n.Attrs["auxiliary_signals"].(string); ok {
				s.Aux = []string{a}
			}
		default:
			continue
		}
		if s.Kind == "cube" || s.Kind == "spectrum" {
			e, ok := byPath[n.Path+"/energy_loss"]
			n := d.Shape[len(d.Shape)-1]
			if !ok || e.First == nil || len(e.Shape) != 1 || e.Shape[0] != n {
				continue
			}
			s.Offset = *e.First
			s.Dispersion = 1
			if n > 1 {
				s.Dispersion = (*e.Last - *e.First) / float64(n-1)
			}
		}
		if s.Kind != "spectrum" {
			s.Scan = scanOfGroup(byPath, n.Path)
		}
		if i := strings.LastIndex(n.Path, "/"); i > 0 && steps[n.Path[:i]] {
			s.Step = n.Path[:i]
		}
		v.sets = append(v.sets, s)
		v.byPath[s.Path] = s
	}
	for step := range steps {
		fit, err := v.readFit(f, step)
		if err != nil {
			fmt.Fprintf(log, "eelsh5 view: step %s: %v (shown without its model)\n", step, err)
			continue
		}
		if fit == nil {
			continue
		}
		if st, ok := byPath[step+"/"+h5io.ProcSequenceIndex]; ok {
			if x, ok := st.Value.(float64); ok {
				fit.sequence = int(x)
			}
		}
		v.fits[step] = fit
		v.byPath[fit.Cube].Fits = append(v.byPath[fit.Cube].Fits, step)
	}
	for _, s := range v.sets {
		sort.Strings(s.Fits)
	}
	v.def, v.defFit = v.defaults(byPath)
	return v, nil
}

// viewScan is the calibration of a scan: pixel (iy, ix) is at
// (Y0 + iy*Step, X0 + ix*Step) in Units, from the group's y and x axes.
type viewScan struct {
	Y0    float64 `json:"y0"`
	X0    float64 `json:"x0"`
	Step  float64 `json:"step"`
	Units string  `json:"units"`
}

// scanOfGroup reads the scan calibration of an NXdata group from its y
// and x axes as h5io writes them (multispectrum.ScanCalibration: one step
// for both), pixels when they are absent or not increasing.
func scanOfGroup(nodes map[string]h5io.Node, group string) *viewScan {
	sc := &viewScan{Step: 1, Units: "pixel"}
	var steps []float64
	var units string
	for i, name := range []string{h5io.AxisY, h5io.AxisX} {
		n, ok := nodes[group+"/"+name]
		if !ok || n.First == nil || n.Last == nil || len(n.Shape) != 1 {
			continue
		}
		if i == 0 {
			sc.Y0 = *n.First
		} else {
			sc.X0 = *n.First
		}
		if n.Shape[0] > 1 {
			steps = append(steps, (*n.Last-*n.First)/float64(n.Shape[0]-1))
		}
		if u, _ := n.Attrs[h5io.AttrUnits].(string); u != "" && units == "" {
			units = u
		}
	}
	if len(steps) > 0 && steps[len(steps)-1] > 0 && !math.IsInf(steps[len(steps)-1], 0) {
		sc.Step = steps[len(steps)-1]
		if units != "" {
			sc.Units = units
		}
	} else {
		sc.Y0, sc.X0 = 0, 0
	}
	return sc
}

// readFit describes the fit step at path, or returns nil when the step is
// not a fit (h5io.ErrNotFitStep); a fit step that cannot be read is an
// error, reported by the caller.
func (v *viewListing) readFit(f *h5io.File, step string) (*viewFit, error) {
	fs, err := f.OpenFitStep(step)
	if errors.Is(err, h5io.ErrNotFitStep) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cube := fs.CoreLoss
	if s, ok := v.byPath[cube]; !ok || s.Kind != "cube" {
		return nil, fmt.Errorf("its input %s is not a spectrum image of the file", cube)
	}
	fit := &viewFit{Step: step, Cube: cube, Method: fs.Method, modelFile: fs.ModelFile}
	if s, ok := v.byPath[fs.GroupPath(quant.StreamModel)]; ok && s.Kind == "cube" && s.Shape[2] == v.byPath[cube].Shape[2] {
		fit.Model = s.Path
	}
	if fs.LowLoss != "" {
		fit.low = fs.LowLoss
		if s, ok := v.byPath[fit.low]; !ok || s.Kind != "cube" {
			return nil, fmt.Errorf("its low loss %s is missing", fit.low)
		}
	}
	if s, ok := v.byPath[fs.GroupPath(quant.StreamCoefficients)]; ok && s.Kind == "stack" {
		fit.coef = fs.DatasetPath(quant.StreamCoefficients)
		for _, name := range fs.Names {
			g := name
			if i := strings.LastIndex(name, "."); i > 0 {
				g = name[:i]
			}
			k := len(fit.Components) - 1
			if k < 0 || fit.Components[k] != g {
				fit.Components = append(fit.Components, g)
				k++
			}
			fit.groups = append(fit.groups, k)
		}
		if len(fit.groups) != s.Shape[0] {
			return nil, fmt.Errorf("it has %d parameter names for %d coefficient maps", len(fit.groups), s.Shape[0])
		}
	}
	if fit.Model == "" && fit.coef == "" {
		return nil, fmt.Errorf("it has neither a model cube nor linear coefficients")
	}
	return fit, nil
}

// defaults chooses the first map and the first fit the page shows, from
// the same step. The NeXus default attributes, followed from the root,
// lead to a step and an image; when that step is a fit, both come from
// it. Otherwise, when the file has fit steps, the last one written
// (largest sequence_index) is shown with its own default image; without
// fits, the image the attributes lead to, else the first image, else the
// summed intensity of the first cube.
func (v *viewListing) defaults(nodes map[string]h5io.Node) (set, fit string) {
	path, step, image := "/", "", ""
	for i := 0; i < 4 && image == ""; i++ {
		d, _ := nodes[path].Attrs[h5io.AttrDefault].(string)
		if d == "" {
			break
		}
		path = strings.TrimSuffix(path, "/") + "/" + d
		if nodes[path].NXClass == "NXprocess" {
			step = path
		}
		if s, ok := v.byPath[path]; ok && (s.Kind == "map" || s.Kind == "stack") {
			image = path
		}
	}
	if _, ok := v.fits[step]; !ok && len(v.fits) > 0 {
		var last *viewFit
		for _, f := range v.fits {
			if last == nil || f.sequence > last.sequence || f.sequence == last.sequence && f.Step < last.Step {
				last = f
			}
		}
		step, image = last.Step, ""
		if d, _ := nodes[step].Attrs[h5io.AttrDefault].(string); d != "" {
			if s, ok := v.byPath[step+"/"+d]; ok && (s.Kind == "map" || s.Kind == "stack") {
				image = s.Path
			}
		}
	}
	if _, ok := v.fits[step]; ok {
		fit = step
		if image == "" || v.byPath[image].Step != step {
			image = ""
			for _, s := range v.sets {
				if s.Step == step && (s.Kind == "map" || s.Kind == "stack") {
					image = s.Path
					break
				}
			}
		}
	}
	if image != "" {
		return image, fit
	}
	for _, s := range v.sets {
		if s.Kind == "map" || s.Kind == "stack" {
			return s.Path, fit
		}
	}
	for _, s := range v.sets {
		if s.Kind == "cube" {
			return s.Path, fit
		}
	}
	return "", fit
}

// handler returns the viewer's HTTP handler: the page at /, the API
// under /api/, nothing else.
func (v *viewer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", v.page)
	mux.HandleFunc("GET /index.html", v.page)
	mux.HandleFunc("GET /api/tree", v.tree)
	mux.HandleFunc("GET /api/version", v.version)
	mux.HandleFunc("GET /api/map", v.mapImage)
	mux.HandleFunc("GET /api/spectrum", v.spectrum)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				fmt.Fprintf(v.log, "eelsh5 view: internal error on %s: %v (please report this)\n", r.URL, p)
				http.Error(w, fmt.Sprintf("eelsh5 view: internal error: %v", p), http.StatusInternalServerError)
			}
		}()
		// Refuse other Host names (DNS rebinding: a page elsewhere
		// pointing its own name at 127.0.0.1).
		if v.allowed != nil && !v.allowed[r.Host] {
			http.Error(w, "eelsh5 view: unknown host", http.StatusForbidden)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		mux.ServeHTTP(w, r)
	})
}

// allowHosts accepts the Host headers of the listening address.
func (v *viewer) allowHosts(addr net.Addr) {
	_, port, _ := net.SplitHostPort(addr.String())
	v.allowed = map[string]bool{"127.0.0.1:" + port: true, "localhost:" + port: true}
}

func (v *viewer) page(w http.ResponseWriter, r *http.Request) {
	b, err := viewerAssets.ReadFile("viewer/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b)
}

// viewReply is what a request answers once the file is closed again: a
// JSON value, or a float32 image with its shape.
type viewReply struct {
	json  any
	image []float32
	shape [2]int
}

// viewError is a refused request: an HTTP status and a message.
type viewError struct {
	status int
	msg    string
}

func (e *viewError) Error() string { return e.msg }

func refused(status int, format string, args ...any) error {
	return &viewError{status, "eelsh5 view: " + fmt.Sprintf(format, args...)}
}

// serve answers a request: it opens the file (listing it again when it
// changed), runs fn, closes the file and only then writes the answer, so
// that the file is held no longer than it is read. The file's version
// goes in the X-File-Version header: the page lists the file again when
// it differs from its listing's. A file another process is writing gets
// 503 with a message saying so and a Retry-After.
func (v *viewer) serve(w http.ResponseWriter, fn func(f *h5io.File, l *viewListing) (viewReply, error)) {
	v.mu.Lock()
	f, l, err := v.open()
	var rep viewReply
	if err == nil {
		rep, err = fn(f, l)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	v.mu.Unlock()
	var ve *viewError
	switch {
	case errors.Is(err, errFileBusy):
		w.Header().Set("Retry-After", "2")
		http.Error(w, fmt.Sprintf("eelsh5 view: %s is being written by another process (HDF5 file lock); retry when it has finished (the page retries by itself)", v.name), http.StatusServiceUnavailable)
		return
	case errors.As(err, &ve):
		if l != nil {
			w.Header().Set("X-File-Version", l.version)
		}
		http.Error(w, ve.msg, ve.status)
		return
	case err != nil:
		http.Error(w, "eelsh5 view: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("X-File-Version", l.version)
	if rep.image != nil {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("X-Shape", fmt.Sprintf("%d,%d", rep.shape[0], rep.shape[1]))
		binary.Write(w, binary.LittleEndian, rep.image)
		return
	}
	writeJSON(w, rep.json)
}

// version answers the file's current version from its inode, size and
// modification time, without opening it: the page polls it to notice
// that a writer changed the file.
func (v *viewer) version(w http.ResponseWriter, r *http.Request) {
	st, err := os.Stat(v.path)
	if err != nil {
		http.Error(w, fmt.Sprintf("eelsh5 view: could not stat %s: %v", v.name, unwrapPath(err)), http.StatusInternalServerError)
		return
	}
	writeJSON(w, struct {
		Version string `json:"version"`
	}{fileVersion(st)})
}

// viewTree is the answer of /api/tree.
type viewTree struct {
	File       string     `json:"file"`
	Version    string     `json:"version"`
	Default    string     `json:"default"`     // first map set shown
	DefaultFit string     `json:"default_fit"` // first fit shown, "" for none
	Sets       []*viewSet `json:"sets"`
	Fits       []*viewFit `json:"fits"`
}

func (v *viewer) tree(w http.ResponseWriter, r *http.Request) {
	v.serve(w, func(_ *h5io.File, l *viewListing) (viewReply, error) {
		fits := make([]*viewFit, 0, len(l.fits))
		for _, f := range l.fits {
			fits = append(fits, f)
		}
		sort.Slice(fits, func(i, j int) bool { return fits[i].Step < fits[j].Step })
		return viewReply{json: viewTree{v.name, l.version, l.def, l.defFit, l.sets, fits}}, nil
	})
}

// set returns the listed set named by the query parameter, or a 404.
func (l *viewListing) set(r *http.Request, param string, kinds ...string) (*viewSet, error) {
	s, ok := l.byPath[r.URL.Query().Get(param)]
	if ok {
		for _, k := range kinds {
			if s.Kind == k {
				return s, nil
			}
		}
	}
	return nil, refused(http.StatusNotFound, "no %s %q in this file", strings.Join(kinds, " or "), r.URL.Query().Get(param))
}

// mapImage serves a 2-D image as little-endian float32 (NaN for missing
// values), row-major (y, x), with its shape in the X-Shape header: a map,
// component k of a stack, or the summed intensity of a cube.
func (v *viewer) mapImage(w http.ResponseWriter, r *http.Request) {
	v.serve(w, func(f *h5io.File, l *viewListing) (viewReply, error) {
		s, err := l.set(r, "set", "map", "stack", "cube")
		if err != nil {
			return viewReply{}, err
		}
		switch s.Kind {
		case "map":
			a, err := f.ReadMap(s.Path + "/" + s.Signal)
			if err != nil {
				return viewReply{}, err
			}
			img := make([]float32, len(a.Data))
			for i, x := range a.Data {
				img[i] = float32(x)
			}
			return viewReply{image: img, shape: [2]int{a.NY, a.NX}}, nil
		case "stack":
			k, err := strconv.Atoi(r.URL.Query().Get("k"))
			if err != nil || k < 0 || k >= s.Shape[0] {
				return viewReply{}, refused(http.StatusBadRequest, "component k must be 0..%d", s.Shape[0]-1)
			}
			d, err := f.OpenStack(s.Path + "/" + s.Signal)
			if err != nil {
				return viewReply{}, err
			}
			a, err := d.ReadComponent(nil, k)
			d.Close()
			if err != nil {
				return viewReply{}, err
			}
			img := make([]float32, len(a))
			for i, x := range a {
				img[i] = float32(x)
			}
			return viewReply{image: img, shape: [2]int{s.Shape[1], s.Shape[2]}}, nil
		default: // cube
			img, err := v.summed(f, l, s)
			if err != nil {
				return viewReply{}, err
			}
			return viewReply{image: img, shape: [2]int{s.Shape[0], s.Shape[1]}}, nil
		}
	})
}

// summed returns the intensity of each pixel summed over the channels,
// computed once per cube and version of the file, streaming it strip by
// strip.
func (v *viewer) summed(f *h5io.File, l *viewListing, s *viewSet) ([]float32, error) {
	if img, ok := l.sums[s.Path]; ok {
		return img, nil
	}
	start := time.Now()
	d, _, err := f.OpenCube(s.Path)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	img := make([]float32, d.NY*d.NX)
	var buf []float64
	err = strips(d, multispectrum.Region{NY: d.NY, NX: d.NX}, &buf, func(r multispectrum.Region, spectra []float64) {
		for p := 0; p < r.Pixels(); p++ {
			sum := 0.0
			for _, x := range spectra[p*d.Width : (p+1)*d.Width] {
				sum += x
			}
			iy, ix := r.Y0+p/r.NX, r.X0+p%r.NX
			img[iy*d.NX+ix] = float32(sum)
		}
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(v.log, "eelsh5 view: summed intensity of %s (%dx%dx%d) in %.2f s\n", s.Path, d.NY, d.NX, d.Width, time.Since(start).Seconds())
	l.sums[s.Path] = img
	return img, nil
}

// strips reads region r of d in strips of the chunk height (so that a
// large box never sits in memory whole) and passes each to fn.
func strips(d *h5io.Dataset, r multispectrum.Region, buf *[]float64, fn func(multispectrum.Region, []float64)) error {
	cy, _ := d.ScanChunk()
	if cy < 1 {
		cy = 1
	}
	for y := r.Y0; y < r.Y0+r.NY; {
		h := cy - y%cy // align strips with chunks
		if y+h > r.Y0+r.NY {
			h = r.Y0 + r.NY - y
		}
		s := multispectrum.Region{Y0: y, X0: r.X0, NY: h, NX: r.NX}
		var err error
		*buf, err = d.ReadRegion(*buf, s)
		if err != nil {
			return err
		}
		fn(s, *buf)
		y += h
	}
	return nil
}

// spectrumReply is the answer of /api/spectrum.
type spectrumReply struct {
	Cube       string       `json:"cube"`
	Box        [4]int       `json:"box"` // x, y, w, h
	Pixels     int          `json:"pixels"`
	Offset     float64      `json:"offset"`     // eV
	Dispersion float64      `json:"dispersion"` // eV per channel
	Units      string       `json:"units"`
	Data       jsonFloats   `json:"data"`
	Fit        string       `json:"fit,omitempty"`
	Model      jsonFloats   `json:"model,omitempty"`
	Components []namedCurve `json:"components,omitempty"`
	Note       string       `json:"note,omitempty"`
	Millis     float64      `json:"ms"` // time to open, read and compute
}

type namedCurve struct {
	Name   string     `json:"name"`
	Values jsonFloats `json:"values"`
}

// spectrum serves the mean spectrum of a box of a cube (x, y, w, h in
// pixels), with the fitted model and components of a fit step of it; or a
// 1-D spectrum of the file (set=...) with its auxiliary signals.
func (v *viewer) spectrum(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	q := r.URL.Query()
	if q.Get("set") != "" {
		v.serve(w, func(f *h5io.File, l *viewListing) (viewReply, error) { return lineSpectrum(f, l, r, start) })
		return
	}
	var box [4]int
	for i, k := range []string{"x", "y", "w", "h"} {
		n, err := strconv.Atoi(q.Get(k))
		if err != nil {
			http.Error(w, fmt.Sprintf("eelsh5 view: %s must be an integer", k), http.StatusBadRequest)
			return
		}
		box[i] = n
	}
	v.serve(w, func(f *h5io.File, l *viewListing) (viewReply, error) {
		s, err := l.set(r, "cube", "cube")
		if err != nil {
			return viewReply{}, err
		}
		ny, nx := s.Shape[0], s.Shape[1]
		if box[2] < 1 || box[3] < 1 || box[0] < 0 || box[1] < 0 || box[0]+box[2] > nx || box[1]+box[3] > ny {
			return viewReply{}, refused(http.StatusBadRequest, "box x=%d y=%d w=%d h=%d is outside the %dx%d scan", box[0], box[1], box[2], box[3], nx, ny)
		}
		if box[2]*box[3] > maxBoxPixels {
			return viewReply{}, refused(http.StatusBadRequest, "box of %d pixels exceeds %d", box[2]*box[3], maxBoxPixels)
		}
		var fit *viewFit
		if name := q.Get("fit"); name != "" {
			ft, ok := l.fits[name]
			if !ok || ft.Cube != s.Path {
				return viewReply{}, refused(http.StatusNotFound, "no fit %q of %s in this file", name, s.Path)
			}
			fit = ft
		}
		region := multispectrum.Region{X0: box[0], Y0: box[1], NX: box[2], NY: box[3]}
		rep := spectrumReply{Cube: s.Path, Box: box, Pixels: region.Pixels(), Offset: s.Offset, Dispersion: s.Dispersion, Units: s.Units}
		if rep.Data, err = boxMean(f, s.Path, region); err != nil {
			return viewReply{}, err
		}
		if fit != nil {
			rep.Fit = fit.Step
			if fit.Model != "" {
				if rep.Model, err = boxMean(f, fit.Model, region); err != nil {
					return viewReply{}, err
				}
			}
			if fit.coef != "" {
				comps, err := v.components(f, l, fit, region)
				switch {
				case err != nil:
					rep.Note = "components not drawn: " + err.Error()
				default:
					rep.Components = comps
				}
			}
			if rep.Model == nil && rep.Components != nil {
				rep.Model = make(jsonFloats, len(rep.Data))
				for _, c := range rep.Components {
					for i, x := range c.Values {
						rep.Model[i] += x
					}
				}
			}
		}
		rep.Millis = float64(time.Since(start).Microseconds()) / 1000
		return viewReply{json: rep}, nil
	})
}

// boxMean returns the mean spectrum of the pixels of region in cube.
func boxMean(f *h5io.File, cube string, region multispectrum.Region) ([]float64, error) {
	d, _, err := f.OpenCube(cube)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	mean := make([]float64, d.Width)
	var buf []float64
	err = strips(d, region, &buf, func(r multispectrum.Region, spectra []float64) {
		for p := 0; p < r.Pixels(); p++ {
			for i, x := range spectra[p*d.Width : (p+1)*d.Width] {
				mean[i] += x
			}
		}
	})
	if err != nil {
		return nil, err
	}
	for i := range mean {
		mean[i] /= float64(region.Pixels())
	}
	return mean, nil
}

// components returns the mean over region of each component group's
// contribution, rebuilt from the stored coefficients and the pixels' low
// loss with the model file the fit recorded.
func (v *viewer) components(f *h5io.File, l *viewListing, fit *viewFit, region multispectrum.Region) ([]namedCurve, error) {
	fit.once.Do(func() { fit.err = l.buildEngine(fit) })
	if fit.err != nil {
		return nil, fit.err
	}
	if region.Pixels() > v.maxComponents {
		return nil, fmt.Errorf("components are drawn for boxes of up to %d pixels (this one has %d)", v.maxComponents, region.Pixels())
	}
	cd, err := f.OpenStack(fit.coef)
	if err != nil {
		return nil, err
	}
	defer cd.Close()
	var ld *h5io.Dataset
	if fit.low != "" {
		if ld, _, err = f.OpenCube(fit.low); err != nil {
			return nil, err
		}
		defer ld.Close()
	}
	n, p := fit.engine.Axis.Size, len(fit.groups)
	parts := make([]float64, p*n)
	out := make([]namedCurve, len(fit.Components))
	for g := range out {
		out[g] = namedCurve{Name: fit.Components[g], Values: make(jsonFloats, n)}
	}
	used := 0
	var coef, low []float64
	// Strips of a few rows bound the memory of the low-loss spectra.
	const rows = 8
	for y := region.Y0; y < region.Y0+region.NY; y += rows {
		strip := multispectrum.Region{Y0: y, X0: region.X0, NY: min(rows, region.Y0+region.NY-y), NX: region.NX}
		if coef, err = cd.ReadRegion(coef, strip); err != nil {
			return nil, err
		}
		if ld != nil {
			if low, err = ld.ReadRegion(low, strip); err != nil {
				return nil, err
			}
		}
		for px := 0; px < strip.Pixels(); px++ {
			c := coef[px*p : (px+1)*p]
			finite := true
			for _, x := range c {
				finite = finite && !math.IsNaN(x) && !math.IsInf(x, 0)
			}
			var lw []float64
			if ld != nil {
				lw = low[px*fit.lowWidth : (px+1)*fit.lowWidth]
			}
			if !finite || !fit.engine.Parts(fit.ws, lw, c, parts) {
				continue
			}
			used++
			for k, g := range fit.groups {
				dst := out[g].Values
				for i, x := range parts[k*n : (k+1)*n] {
					dst[i] += x
				}
			}
		}
	}
	if used == 0 {
		return nil, fmt.Errorf("no pixel of the box has a usable fit")
	}
	for _, c := range out {
		for i := range c.Values {
			c.Values[i] /= float64(used)
		}
	}
	return out, nil
}

// buildEngine rebuilds the fitted model from the model file the step
// recorded.
func (v *viewListing) buildEngine(fit *viewFit) error {
	mf := fit.modelFile
	cube := v.byPath[fit.Cube]
	axis := multispectrum.EnergyAxis{Offset: cube.Offset, Dispersion: cube.Dispersion, Size: cube.Shape[2]}
	src, closeSrc, err := (gosFlags{GOS: mf.GOS.Source, GOSFile: mf.GOS.File}).openSource()
	if err != nil {
		return err
	}
	defer closeSrc()
	model, err := mf.Build(axis, src, gos.NewCache())
	if err != nil {
		return err
	}
	// Parts needs the columns only, whatever the method that fitted the
	// coefficients; models with non-linear parameters have no columns.
	opts := quant.LinearOptions{Method: fitters.WLS}
	if fit.low != "" {
		ls := v.byPath[fit.low]
		ll := multispectrum.EnergyAxis{Offset: ls.Offset, Dispersion: ls.Dispersion, Size: ls.Shape[2]}
		opts.LowLoss = &ll
		fit.lowWidth = ll.Size
	}
	e, err := quant.NewLinearEngine(model, opts)
	if err != nil {
		return err
	}
	if len(e.Names) != len(fit.groups) {
		return fmt.Errorf("the rebuilt model has %d parameters, the step %d", len(e.Names), len(fit.groups))
	}
	fit.engine, fit.ws = e, e.NewWorkspace()
	return nil
}

// lineSpectrum answers a 1-D spectrum of the file with its auxiliary
// signals as components (the model when one is called "model").
func lineSpectrum(f *h5io.File, l *viewListing, r *http.Request, start time.Time) (viewReply, error) {
	s, err := l.set(r, "set", "spectrum")
	if err != nil {
		return viewReply{}, err
	}
	data, _, err := f.ReadFloats(s.Path + "/" + s.Signal)
	if err != nil {
		return viewReply{}, err
	}
	rep := spectrumReply{Cube: s.Path, Offset: s.Offset, Dispersion: s.Dispersion, Units: s.Units, Data: data}
	for _, a := range s.Aux {
		vals, _, err := f.ReadFloats(s.Path + "/" + a)
		if err != nil || len(vals) != len(data) {
			continue
		}
		if a == "model" {
			rep.Model = vals
			continue
		}
		rep.Components = append(rep.Components, namedCurve{Name: strings.ReplaceAll(a, "_", " "), Values: vals})
	}
	rep.Millis = float64(time.Since(start).Microseconds()) / 1000
	return viewReply{json: rep}, nil
}

// jsonFloats encodes non-finite values as null (JSON has no NaN).
type jsonFloats []float64

func (f jsonFloats) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 12*len(f)+2)
	b = append(b, '[')
	for i, x := range f {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, x, 'g', -1, 64)
	}
	return append(b, ']'), nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
