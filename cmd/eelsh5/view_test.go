package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// quantifiedFile simulates a size x size seed scenario and quantifies it
// (alignment, linear fit with low-loss convolution, model cube).
func quantifiedFile(t testing.TB, dir string, size int) string {
	t.Helper()
	path := filepath.Join(dir, "view.nxs")
	if _, errs, code := eelsh5(t, "simulate", path, "--size", fmt.Sprint(size), "-q"); code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := eelsh5(t, "quant", path, "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "-q"); code != 0 {
		t.Fatal(errs)
	}
	return path
}

// boxMeanOf returns the mean spectrum of region r of the cube at path, read
// whole by h5io (the reference for the viewer's strip-wise reads).
func boxMeanOf(t testing.TB, f *h5io.File, cube string, r multispectrum.Region) []float64 {
	t.Helper()
	c, err := f.ReadCube(cube)
	if err != nil {
		t.Fatal(err)
	}
	mean := make([]float64, c.Width)
	for y := r.Y0; y < r.Y0+r.NY; y++ {
		for x := r.X0; x < r.X0+r.NX; x++ {
			for i, v := range c.Pixel(y, x) {
				mean[i] += v
			}
		}
	}
	for i := range mean {
		mean[i] /= float64(r.Pixels())
	}
	return mean
}

// serveViewer serves the viewer of path on a test server, and opens the
// file read-only for the test's reference values; both close at the end
// of the test.
func serveViewer(t *testing.T, path string) (*h5io.File, *viewer, *httptest.Server) {
	t.Helper()
	v, srv := serveOnly(t, path)
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, v, srv
}

// serveOnly serves the viewer of path on a test server, closed at the end
// of the test; the test holds no handle on the file.
func serveOnly(t *testing.T, path string) (*viewer, *httptest.Server) {
	t.Helper()
	v, err := newViewer(path, filepath.Base(path), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(v.handler())
	t.Cleanup(srv.Close)
	return v, srv
}

// componentSum adds up the components of a spectrum reply.
func componentSum(sp spectrumReply) []float64 {
	sum := make([]float64, len(sp.Data))
	for _, c := range sp.Components {
		for i, x := range c.Values {
			sum[i] += x
		}
	}
	return sum
}

func closeSlices(a, b []float64, rel float64) (int, bool) {
	if len(a) != len(b) {
		return -1, false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > rel*math.Max(1, math.Abs(b[i])) {
			return i, false
		}
	}
	return 0, true
}

func getViewer(t *testing.T, srv *httptest.Server, url string, want int) []byte {
	t.Helper()
	r, err := srv.Client().Get(srv.URL + url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != want {
		t.Fatalf("GET %s: status %d, want %d: %s", url, r.StatusCode, want, b)
	}
	return b
}

func TestViewerAPI(t *testing.T) {
	path := quantifiedFile(t, t.TempDir(), 12)
	f, v, srv := serveViewer(t, path)

	var tree struct {
		Default string
		Sets    []viewSet
		Fits    []viewFit
	}
	if err := json.Unmarshal(getViewer(t, srv, "/api/tree", 200), &tree); err != nil {
		t.Fatal(err)
	}
	if tree.Default != "/entry/quant/composition" {
		t.Errorf("default %q, want the composition the file's NeXus default attributes lead to", tree.Default)
	}
	if len(tree.Fits) != 1 || tree.Fits[0].Cube != "/entry/alignment/coreloss" || tree.Fits[0].Model != "/entry/quant/model" ||
		strings.Join(tree.Fits[0].Components, ",") != "LinearBackground,C K,N K,O K,Fe L" {
		t.Errorf("fits: %+v", tree.Fits)
	}

	// One pixel: the file's values exactly; a box: the mean computed here.
	for _, r := range []multispectrum.Region{{Y0: 7, X0: 2, NY: 1, NX: 1}, {Y0: 3, X0: 4, NY: 5, NX: 6}, {NY: 12, NX: 12}} {
		var sp spectrumReply
		url := fmt.Sprintf("/api/spectrum?cube=/entry/alignment/coreloss&x=%d&y=%d&w=%d&h=%d&fit=/entry/quant", r.X0, r.Y0, r.NX, r.NY)
		if err := json.Unmarshal(getViewer(t, srv, url, 200), &sp); err != nil {
			t.Fatal(err)
		}
		if i, ok := closeSlices(sp.Data, boxMeanOf(t, f, "/entry/alignment/coreloss", r), 1e-12); !ok {
			t.Errorf("%+v: data differs from the file at channel %d", r, i)
		}
		if i, ok := closeSlices(sp.Model, boxMeanOf(t, f, "/entry/quant/model", r), 1e-12); !ok {
			t.Errorf("%+v: model differs from the model cube at channel %d", r, i)
		}
		// The components, rebuilt from the coefficients, add up to the
		// model cube (stored as float32: relative 1e-6).
		sum := componentSum(sp)
		if len(sp.Components) != 5 {
			t.Fatalf("%d components", len(sp.Components))
		}
		if i, ok := closeSlices(sum, sp.Model, 1e-5); !ok {
			t.Errorf("%+v: components sum to %g, model %g at channel %d", r, sum[i], sp.Model[i], i)
		}
		if sp.Offset != 205 || sp.Dispersion != 0.5 || sp.Pixels != r.Pixels() {
			t.Errorf("axis %g + %g eV, %d pixels", sp.Offset, sp.Dispersion, sp.Pixels)
		}
	}

	// Concurrent requests (a browser sends several) give the same answers
	// as one at a time.
	urls := []string{
		"/api/spectrum?cube=/entry/alignment/coreloss&x=1&y=1&w=3&h=3&fit=/entry/quant",
		"/api/spectrum?cube=/entry/coreloss&x=5&y=2&w=2&h=2",
		"/api/map?set=/entry/quant/elements&k=2",
		"/api/map?set=/entry/alignment/lowloss&k=0",
	}
	want := make([]string, len(urls))
	for i, u := range urls {
		want[i] = string(getViewer(t, srv, u, 200))
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, u := range urls {
				r, err := srv.Client().Get(srv.URL + u)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(r.Body)
				r.Body.Close()
				// The reply's timing differs; the arrays must not.
				got, ref := string(b), want[i]
				if k := strings.Index(got, `"ms":`); k >= 0 {
					got, ref = got[:k], ref[:strings.Index(ref, `"ms":`)]
				}
				if got != ref {
					t.Errorf("concurrent %s differs", u)
				}
			}
		}()
	}
	wg.Wait()

	// Above the component limit, the model alone, with a note.
	v.maxComponents = 16
	var sp spectrumReply
	json.Unmarshal(getViewer(t, srv, "/api/spectrum?cube=/entry/alignment/coreloss&x=0&y=0&w=5&h=4&fit=/entry/quant", 200), &sp)
	if sp.Components != nil || len(sp.Model) != len(sp.Data) || !strings.Contains(sp.Note, "up to 16 pixels") {
		t.Errorf("20-pixel box with a 16-pixel limit: %d components, note %q", len(sp.Components), sp.Note)
	}
	v.maxComponents = maxComponentPixels

	// The summed-intensity map of a cube and a stack component.
	b := getViewer(t, srv, "/api/map?set=/entry/coreloss&k=0", 200)
	if len(b) != 4*12*12 {
		t.Errorf("summed map of %d bytes", len(b))
	}
	b = getViewer(t, srv, "/api/map?set=/entry/quant/composition&k=3", 200)
	comp, _, err := f.ReadStack("/entry/quant/composition/composition")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12*12; i++ {
		got := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		if want := float32(comp.Data[i*comp.Width+3]); got != want && !(math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
			t.Fatalf("composition map pixel %d: %g, want %g (the file's Fe L at.%%)", i, got, want)
		}
	}
	getViewer(t, srv, "/api/spectrum?set=/entry/quant/mean_spectrum", 200)
	if b := getViewer(t, srv, "/", 200); !strings.Contains(string(b), "eelsh5 view") {
		t.Error("page not served")
	}
}

// TestViewerRefuses checks that only the opened file's listed NXdata
// groups can be reached, with clear errors for bad requests.
func TestViewerRefuses(t *testing.T) {
	path := quantifiedFile(t, t.TempDir(), 8)
	_, v, srv := serveViewer(t, path)
	for _, c := range []struct {
		url  string
		want int
	}{
		{"/api/map?set=/etc/passwd", 404},
		{"/api/map?set=" + path, 404},
		{"/api/map?set=/entry/coreloss/data", 404}, // a dataset, not a listed group
		{"/api/map?set=/entry/../entry/coreloss", 404},
		{"/api/map?set=/entry/instrument", 404},
		{"/api/map?file=/etc/passwd&set=/etc/passwd", 404},
		{"/api/spectrum?cube=/etc/passwd&x=0&y=0&w=1&h=1", 404},
		{"/api/spectrum?cube=/entry/quant/composition&x=0&y=0&w=1&h=1", 404},         // not a cube
		{"/api/spectrum?cube=/entry/coreloss&x=0&y=0&w=1&h=1&fit=/entry/quant", 404}, // fit of another cube
		{"/api/spectrum?cube=/entry/coreloss&x=7&y=0&w=2&h=1", 400},
		{"/api/spectrum?cube=/entry/coreloss&x=-1&y=0&w=1&h=1", 400},
		{"/api/spectrum?cube=/entry/coreloss&x=a&y=0&w=1&h=1", 400},
		{"/api/spectrum?set=/entry/coreloss", 404},
		{"/api/map?set=/entry/quant/composition&k=4", 400},
		{"/etc/passwd", 404},
		{"/viewer/index.html", 404},
		{"/../../../etc/passwd", 404}, // cleaned by the mux, then not found
		{"/view.nxs", 404},
	} {
		r, err := srv.Client().Get(srv.URL + c.url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != c.want || strings.Contains(string(b), "root:") {
			t.Errorf("GET %s: %d %q, want %d", c.url, r.StatusCode, b, c.want)
		}
	}
	// Host names other than the loopback address are refused.
	v.allowHosts(srv.Listener.Addr())
	getViewer(t, srv, "/api/tree", 200)
	req, _ := http.NewRequest("GET", srv.URL+"/api/tree", nil)
	req.Host = "attacker.example:80"
	r, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host: status %d", r.StatusCode)
	}
}

// BenchmarkViewPixel measures the latency of spectrum requests at random
// places of a simulated and quantified 256x256x2048 file: one pixel's
// data; with the model cube and the rebuilt components; a 16x16 box with
// both.
func BenchmarkViewPixel(b *testing.B) {
	path := quantifiedFile(b, b.TempDir(), 256)
	v, err := newViewer(path, path, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	h := v.handler()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name, fit string
		size      int
	}{{"pixel", "", 1}, {"pixel+fit", "&fit=/entry/quant", 1}, {"box16+fit", "&fit=/entry/quant", 16}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				url := fmt.Sprintf("/api/spectrum?cube=/entry/alignment/coreloss&x=%d&y=%d&w=%d&h=%d%s",
					rng.IntN(257-c.size), rng.IntN(257-c.size), c.size, c.size, c.fit)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", url, nil))
				if w.Code != 200 {
					b.Fatal(w.Body.String())
				}
			}
		})
	}
}

// TestViewErrors checks the one-line errors of eelsh5 view on bad input.
func TestViewErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("not HDF5\n"), 0o644)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	good := quantifiedFile(t, dir, 4)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"view", filepath.Join(dir, "missing.nxs")}, 1, "no such file"},
		{[]string{"view", text}, 1, "not an HDF5 file"},
		{[]string{"view", good, "--port", "70000"}, 2, "use 0..65535"},
		{[]string{"view", good, "--port", fmt.Sprint(busy.Addr().(*net.TCPAddr).Port)}, 1, "address already in use"},
	} {
		_, errs, code := eelsh5(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.want) || strings.Contains(errs, "goroutine") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", c.args, code, errs, c.code, c.want)
		}
	}
}

// TestViewerPoissonFit checks that the components of a Poisson
// maximum-likelihood fit (linear parameters, non-linear objective) are
// rebuilt too and add up to its model cube.
func TestViewerPoissonFit(t *testing.T) {
	path := quantifiedFile(t, t.TempDir(), 6)
	if _, errs, code := eelsh5(t, "fit", path, "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--method", "poisson", "--step", "pfit", "-q"); code != 0 {
		t.Fatal(errs)
	}
	f, _, srv := serveViewer(t, path)
	var sp spectrumReply
	json.Unmarshal(getViewer(t, srv, "/api/spectrum?cube=/entry/alignment/coreloss&x=1&y=2&w=3&h=2&fit=/entry/pfit", 200), &sp)
	if i, ok := closeSlices(sp.Model, boxMeanOf(t, f, "/entry/pfit/model", multispectrum.Region{X0: 1, Y0: 2, NX: 3, NY: 2}), 1e-12); !ok {
		t.Errorf("model differs from the model cube at channel %d", i)
	}
	sum := componentSum(sp)
	if i, ok := closeSlices(sum, sp.Model, 1e-5); len(sp.Components) != 5 || !ok {
		t.Errorf("%d components; sum differs from the model at channel %d (note %q)", len(sp.Components), i, sp.Note)
	}
}
