package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

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

// viewTreeOf fetches and decodes /api/tree.
func viewTreeOf(t *testing.T, srv *httptest.Server) viewTree {
	t.Helper()
	var tree viewTree
	if err := json.Unmarshal(getViewer(t, srv, "/api/tree", 200), &tree); err != nil {
		t.Fatal(err)
	}
	return tree
}

// fileVersionOf fetches /api/version.
func fileVersionOf(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	var v struct{ Version string }
	if err := json.Unmarshal(getViewer(t, srv, "/api/version", 200), &v); err != nil {
		t.Fatal(err)
	}
	return v.Version
}

func fitSteps(tree viewTree) []string {
	var steps []string
	for _, f := range tree.Fits {
		steps = append(steps, f.Step)
	}
	return steps
}

// TestViewerFollowsWriters runs eelsh5 quant, as another process, on a
// file the viewer serves and has answered requests from: quant can write
// (the viewer holds the file only while it answers), and the viewer then
// lists the new step, with the shapes of the new datasets.
func TestViewerFollowsWriters(t *testing.T) {
	path := quantifiedFile(t, t.TempDir(), 8)
	_, srv := serveOnly(t, path)
	before := viewTreeOf(t, srv)
	if strings.Join(fitSteps(before), ",") != "/entry/quant" {
		t.Fatalf("fits before: %v", fitSteps(before))
	}
	// After every kind of request the file is closed: HDF5 holds a shared
	// flock while a file is open, so an exclusive one, taken here on a
	// descriptor of our own, would fail.
	for _, url := range []string{
		"/api/spectrum?cube=/entry/alignment/coreloss&x=1&y=1&w=2&h=2&fit=/entry/quant",
		"/api/spectrum?cube=/entry/coreloss&x=0&y=0&w=8&h=8",
		"/api/spectrum?set=/entry/quant/mean_spectrum",
		"/api/map?set=/entry/quant/composition&k=3",
		"/api/map?set=/entry/quant/chi2&k=0",
		"/api/map?set=/entry/coreloss&k=0",
		"/api/map?set=/entry/quant/composition&k=9", // refused
		"/api/tree",
	} {
		r, err := srv.Client().Get(srv.URL + url)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Flock(int(fh.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			t.Errorf("after GET %s the file is still held: %v", url, err)
		}
		fh.Close()
	}

	// quant with three elements into a new step, while the page polls.
	cmd := asProcess("quant", path, "--elements", "C,N,O", "--edges", "K,K,K", "--step", "quant2", "-q")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// /api/version is a stat, not an open. Once the version changed,
	// quant holds the file (it opens it once, before writing), so the
	// viewer's open cannot get in its way: the listing is refused with the
	// busy message until quant has closed it.
	busy, polls := 0, 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("quant while the viewer serves the file: %v\n%s", err, out.String())
			}
			running = false
			continue
		case <-time.After(20 * time.Millisecond):
		}
		polls++
		if fileVersionOf(t, srv) == before.Version {
			continue
		}
		r, err := srv.Client().Get(srv.URL + "/api/tree")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		switch {
		case r.StatusCode == http.StatusServiceUnavailable:
			busy++
			if !strings.Contains(string(b), "view.nxs is being written by another process") || r.Header.Get("Retry-After") == "" {
				t.Errorf("busy answer: %q, Retry-After %q", b, r.Header.Get("Retry-After"))
			}
		case r.StatusCode != 200:
			t.Fatalf("tree while quant runs: %d %s", r.StatusCode, b)
		}
	}
	t.Logf("%d polls while quant ran, %d listings refused as busy", polls, busy)

	after := viewTreeOf(t, srv)
	if after.Version == before.Version {
		t.Errorf("version unchanged: %s", after.Version)
	}
	if got := strings.Join(fitSteps(after), ","); got != "/entry/quant,/entry/quant2" {
		t.Errorf("fits after quant --step quant2: %s", got)
	}
	// quant2 is the step /entry's default now points at: the first map
	// and the first fit come from it.
	if after.Default != "/entry/quant2/composition" || after.DefaultFit != "/entry/quant2" {
		t.Errorf("defaults after quant2: map %s, fit %s", after.Default, after.DefaultFit)
	}
	var sp spectrumReply
	json.Unmarshal(getViewer(t, srv, "/api/spectrum?cube=/entry/alignment/coreloss&x=1&y=1&w=2&h=2&fit=/entry/quant2", 200), &sp)
	if sp.Fit != "/entry/quant2" || len(sp.Model) != len(sp.Data) || len(sp.Components) != 4 {
		t.Errorf("spectrum with the new fit: fit %q, %d model values for %d, %d components (%s)", sp.Fit, len(sp.Model), len(sp.Data), len(sp.Components), sp.Note)
	}
	// The new composition has three components; the old one still four.
	getViewer(t, srv, "/api/map?set=/entry/quant2/composition&k=2", 200)
	getViewer(t, srv, "/api/map?set=/entry/quant2/composition&k=3", 400)
	getViewer(t, srv, "/api/map?set=/entry/quant/composition&k=3", 200)
}

// TestViewerBusy checks both sides of HDF5's file lock: while another
// process holds the file for writing, the viewer answers that it is being
// written (and serves again once it is free); while a reader such as the
// viewer holds it, a writer's error names the viewer.
func TestViewerBusy(t *testing.T) {
	path := quantifiedFile(t, t.TempDir(), 4)
	_, srv := serveOnly(t, path)
	getViewer(t, srv, "/api/tree", 200)

	// This test binary holds the file open for writing (crash_test.go's
	// TestMain), as a running fit does.
	holder := exec.Command(os.Args[0])
	holder.Env = append(os.Environ(), "EELSH5_TEST_HOLD="+path)
	stdout, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		holder.Process.Kill()
		holder.Wait()
		t.Fatalf("holder: %q", line)
	}
	for _, url := range []string{"/api/tree", "/api/spectrum?cube=/entry/coreloss&x=0&y=0&w=1&h=1", "/api/map?set=/entry/quant/composition&k=0"} {
		r, err := srv.Client().Get(srv.URL + url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") != "2" ||
			!strings.Contains(string(b), "view.nxs is being written by another process (HDF5 file lock); retry") {
			t.Errorf("GET %s while a writer holds the file: %d %q (Retry-After %q)", url, r.StatusCode, b, r.Header.Get("Retry-After"))
		}
	}
	// The version is a stat: answered while the file is held.
	fileVersionOf(t, srv)
	// eelsh5 view started now waits for the writer instead of failing.
	if v, err := newViewer(path, "view.nxs", io.Discard); !errors.Is(err, errFileBusy) || v == nil {
		t.Errorf("newViewer on a held file: %v", err)
	}
	holder.Process.Kill()
	holder.Wait()
	getViewer(t, srv, "/api/tree", 200)

	// A reader holds the file, as the viewer does while it answers: the
	// writer's refusal names the viewer.
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := asProcess("quant", path, "--elements", "C", "--edges", "K", "--step", "q3", "-q")
	b, err := cmd.CombinedOutput()
	f.Close()
	if err == nil || !strings.Contains(string(b), "in use by another process (HDF5 file lock)") || !strings.Contains(string(b), "eelsh5 view") {
		t.Errorf("quant while a reader holds the file: %v %q", err, b)
	}
	t.Logf("writer's message: %s", bytes.TrimSpace(b))
}

// TestViewerDefaults checks that the first map and the first fit the page
// shows come from the same step, whatever /entry's default points at. The
// expected steps are those the commands wrote: fit and quant point /entry's
// default at themselves, align at the alignment.
func TestViewerDefaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "view.nxs")
	run := func(args ...string) {
		t.Helper()
		if _, errs, code := eelsh5(t, args...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	fit := []string{"--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "-q"}
	run("simulate", path, "--size", "6", "-q")
	for i, c := range []struct {
		args         []string
		map_, fitted string
	}{
		// No fit: the map /entry's default leads to (the simulation's
		// truth), no fit.
		{nil, "", ""},
		{append([]string{"quant", path}, fit...), "/entry/quant/composition", "/entry/quant"},
		// A fit step named after quant alphabetically: its coefficients
		// and itself (the page used to take the alphabetically first fit).
		{append([]string{"fit", path, "--step", "zfit"}, fit...), "/entry/zfit/coefficients", "/entry/zfit"},
		{append([]string{"fit", path, "--step", "afit"}, fit...), "/entry/afit/coefficients", "/entry/afit"},
		// /entry's default now leads to a shift map: the last fit written,
		// with its own default map.
		{[]string{"align", path, "--step", "align2", "-q"}, "/entry/afit/coefficients", "/entry/afit"},
	} {
		if c.args != nil {
			run(c.args...)
		}
		v, err := newViewer(path, "view.nxs", io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		l := v.list
		if c.map_ == "" {
			if l.defFit != "" || l.def == "" {
				t.Errorf("%d: without a fit: map %q, fit %q", i, l.def, l.defFit)
			}
			continue
		}
		if l.def != c.map_ || l.defFit != c.fitted || l.byPath[l.def].Step != l.defFit {
			t.Errorf("%d %v: map %s (step %s), fit %s; want %s and %s", i, c.args, l.def, l.byPath[l.def].Step, l.defFit, c.map_, c.fitted)
		}
	}
}

// TestViewerScanCalibration checks that the listing carries the scan
// calibration of an imported Gatan spectrum image (2x2 pixels of about
// 2 nm, in um) as h5io reads it back, and pixels for a simulated scan.
func TestViewerScanCalibration(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "si.nxs")
	if _, errs, code := eelsh5(t, "import", fixtures+"dm4_eels_spectrum_image.dm4", "-o", path, "-q"); code != 0 {
		t.Fatal(errs)
	}
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	d, info, err := f.OpenCube(h5io.CoreLossPath)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	f.Close()
	v, err := newViewer(path, "si.nxs", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got := v.list.byPath[h5io.CoreLossPath].Scan
	want := viewScan{Y0: info.Scan.Y0, X0: info.Scan.X0, Step: info.Scan.Step, Units: info.Scan.Units}
	if got == nil || *got != want || want.Units != "um" || math.Abs(want.Step-0.00199) > 1e-5 {
		t.Errorf("scan of %s: %+v, want %+v (um, about 0.00199)", h5io.CoreLossPath, got, want)
	}
	sim := quantifiedFile(t, dir, 4)
	v, err = newViewer(sim, "view.nxs", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.list.byPath["/entry/quant/composition"].Scan; got == nil || *got != (viewScan{Step: 1, Units: "pixel"}) {
		t.Errorf("simulated scan: %+v", got)
	}
}
