package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// webDriver drives a browser through chromedriver's W3C WebDriver HTTP
// protocol.
type webDriver struct {
	t       *testing.T
	base    string // chromedriver URL
	session string
}

// call sends a WebDriver command and returns its "value".
func (d *webDriver) call(method, path string, body any) json.RawMessage {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	url := d.base + path
	if d.session != "" {
		url = d.base + "/session/" + d.session + path
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("webdriver %s %s: %v", method, path, err)
	}
	defer r.Body.Close()
	var out struct{ Value json.RawMessage }
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &out); err != nil || r.StatusCode != 200 {
		d.t.Fatalf("webdriver %s %s: %d %s", method, path, r.StatusCode, b)
	}
	return out.Value
}

// eval runs a script in the page and decodes its result into v.
func (d *webDriver) eval(v any, script string, args ...any) {
	d.t.Helper()
	if args == nil {
		args = []any{}
	}
	raw := d.call("POST", "/execute/sync", map[string]any{"script": script, "args": args})
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			d.t.Fatalf("script result %s: %v", raw, err)
		}
	}
}

// actions performs a W3C action sequence.
func (d *webDriver) actions(seq ...map[string]any) {
	d.t.Helper()
	d.call("POST", "/actions", map[string]any{"actions": seq})
	d.call("DELETE", "/actions", nil)
}

// waitReady waits until the page's status says ready and its last spectrum
// is of the given box.
func (d *webDriver) waitReady(box [4]int) map[string]any {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st struct {
			Status string
			Box    []int
		}
		d.eval(&st, `const s = window.eelsh5; return {Status: document.getElementById("status").textContent,
			Box: s && s.lastSpectrum ? s.lastSpectrum.box : null};`)
		if strings.HasPrefix(st.Status, "error") {
			d.t.Fatalf("page: %s", st.Status)
		}
		if strings.HasPrefix(st.Status, "ready: ") && len(st.Box) == 4 && [4]int(st.Box) == box {
			var sp map[string]any
			d.eval(&sp, `return window.eelsh5.lastSpectrum;`)
			return sp
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("page not ready with box %v: status %q, box %v", box, st.Status, st.Box)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func floats(t *testing.T, v any) []float64 {
	t.Helper()
	a, ok := v.([]any)
	if !ok {
		t.Fatalf("not an array: %T", v)
	}
	out := make([]float64, len(a))
	for i, x := range a {
		f, ok := x.(float64)
		if !ok {
			t.Fatalf("element %d is %T", i, x)
		}
		out[i] = f
	}
	return out
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startView runs `eelsh5 view path --port 0` as a process and returns the
// URL it prints; the process is interrupted (and must exit cleanly) at the
// end of the test.
func startView(t *testing.T, path string) string { return startViewIn(t, "", path) }

// startViewIn is startView run in directory dir ("" for the current one).
func startViewIn(t *testing.T, dir, path string) string {
	cmd := asProcess("view", path, "--port", "0")
	cmd.Dir = dir
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	found := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if m := regexp.MustCompile(`on (http://[^ ]+/) `).FindStringSubmatch(lines.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	var url string
	select {
	case url = <-found:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("eelsh5 view printed no URL")
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		if err := cmd.Wait(); err != nil {
			t.Errorf("eelsh5 view did not stop cleanly on Ctrl-C: %v", err)
		}
	})
	return url
}

// viewerScreenshots writes the README's screenshots of the viewer,
// doc/img/viewer-1280.png and viewer-1920.png, of the demo file at
// --size 64 (go test -run TestViewerInBrowser -viewer-screenshots).
var viewerScreenshots = flag.Bool("viewer-screenshots", false, "write doc/img/viewer-*.png from TestViewerInBrowser")

// newBrowser starts chromedriver and a headless Chromium session of the
// given window size, or skips the test when they are not installed.
func newBrowser(t *testing.T, width, height int) *webDriver {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromium, err1 := exec.LookPath("chromium")
	driver, err2 := exec.LookPath("chromedriver")
	if err1 != nil || err2 != nil {
		if os.Getenv("EELSH5_REQUIRE_BROWSER") != "" {
			t.Fatal("chromium and chromedriver are required (EELSH5_REQUIRE_BROWSER is set): apt-get install chromium chromium-driver")
		}
		t.Skip("chromium or chromedriver not installed (apt-get install chromium chromium-driver)")
	}
	port := freePort(t)
	drv := exec.Command(driver, fmt.Sprintf("--port=%d", port))
	if err := drv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drv.Process.Kill(); drv.Wait() })
	d := &webDriver{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	for i := 0; ; i++ {
		if r, err := http.Get(d.base + "/status"); err == nil {
			r.Body.Close()
			break
		}
		if i > 200 {
			t.Fatal("chromedriver did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var sess struct{ SessionID string }
	raw := d.call("POST", "/session", map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{"binary": chromium, "args": []string{
			"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
			"--disable-sync", "--no-first-run", "--disable-dev-shm-usage", fmt.Sprintf("--window-size=%d,%d", width, height)}},
	}}})
	if err := json.Unmarshal(raw, &sess); err != nil || sess.SessionID == "" {
		t.Fatalf("session: %s", raw)
	}
	d.session = sess.SessionID
	t.Cleanup(func() { d.call("DELETE", "", nil) })
	return d
}

// resize sets the browser window's size in CSS pixels and checks that the
// page's viewport got that width.
func (d *webDriver) resize(width, height int) {
	d.t.Helper()
	d.call("POST", "/window/rect", map[string]any{"width": width, "height": height})
	var inner int
	d.eval(&inner, `return window.innerWidth;`)
	if inner != width {
		d.t.Fatalf("window of width %d has a viewport %d px wide", width, inner)
	}
}

// screenshot returns the page as a PNG.
func (d *webDriver) screenshot() []byte {
	d.t.Helper()
	var b64 string
	json.Unmarshal(d.call("GET", "/screenshot", nil), &b64)
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) < 10000 {
		d.t.Fatalf("screenshot: %d bytes, %v", len(b), err)
	}
	return b
}

// saveScreenshot writes a screenshot to path, re-encoded at the best PNG
// compression.
func saveScreenshot(t *testing.T, b []byte, path string) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot saved to %s (%d KiB)", path, out.Len()>>10)
}

// pageLayout is what checkLayout reads from the page.
type pageLayout struct {
	ScrollWidth, ClientWidth int     // of the document
	SpecRight, MapRight      float64 // right edges of the two canvases
	SpecWidth                int
	MapStep, MapPath         string // the map shown and its step
	Fit, SpectrumFit         string // the fit selected and the one drawn
	Model                    bool   // the model was drawn
	ScaleBar                 *struct {
		Length, Px float64
		Label      string
	}
	MapWidth int // map canvas width
}

// checkLayout loads the page at the given window width and checks that it
// needs no horizontal scrolling, shows all of the spectrum, and that the
// first map and the first fit come from the same step, whose model is
// drawn.
func checkLayout(t *testing.T, d *webDriver, url string, width, height int, box [4]int) pageLayout {
	t.Helper()
	d.resize(width, height)
	d.call("POST", "/url", map[string]any{"url": url})
	d.waitReady(box)
	var l pageLayout
	d.eval(&l, `const s = window.eelsh5, de = document.documentElement;
		const sp = document.getElementById("spec"), mp = document.getElementById("map");
		return {ScrollWidth: de.scrollWidth, ClientWidth: de.clientWidth,
			SpecRight: sp.getBoundingClientRect().right, MapRight: mp.getBoundingClientRect().right, SpecWidth: sp.width,
			MapStep: s.map.step || "", MapPath: s.map.path, Fit: s.fit, SpectrumFit: s.lastSpectrum.fit || "",
			Model: s.drawn.model, ScaleBar: s.scalebar, MapWidth: mp.width};`)
	if l.ScrollWidth > l.ClientWidth || l.SpecRight > float64(l.ClientWidth) {
		t.Errorf("%d px window: page %d px wide in a %d px viewport, spectrum ends at %g px (horizontal scrolling)", width, l.ScrollWidth, l.ClientWidth, l.SpecRight)
	}
	if l.Fit == "" || l.MapStep != l.Fit || l.SpectrumFit != l.Fit || !l.Model {
		t.Errorf("%d px window: map %s of step %q, fit %q, spectrum drawn with fit %q (model drawn %v): want one step", width, l.MapPath, l.MapStep, l.Fit, l.SpectrumFit, l.Model)
	}
	if l.ScaleBar == nil || l.ScaleBar.Px < 8 || l.ScaleBar.Px > float64(l.MapWidth)/4+1 {
		t.Errorf("%d px window: scale bar %+v on a %d px map", width, l.ScaleBar, l.MapWidth)
	}
	return l
}

// TestViewerInBrowser drives the page in headless Chromium. At 1280 and
// 1920 px wide windows the page needs no horizontal scrolling and the first
// map and the first fit come from the same step (the file has a fit step
// zfit written after quant: /entry's default leads to it, the
// alphabetically first fit is quant). Then: a click on a pixel shows that
// pixel's spectrum (checked against the file), '+' grows the box and the
// spectrum is the box mean computed here, the model and components are
// drawn, a drag draws a box, the arrows move it; the spectrum zooms. A
// quant run by another process meanwhile appears in the fit picker. The
// scale bar of a calibrated scan (an imported Gatan spectrum image) has
// the length computed here. Screenshots are saved.
func TestViewerInBrowser(t *testing.T) {
	d := newBrowser(t, 1280, 800)
	const n = 16
	path := quantifiedFile(t, t.TempDir(), n)
	if _, errs, code := eelsh5(t, "fit", path, "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--step", "zfit", "-q"); code != 0 {
		t.Fatal(errs)
	}
	// Reference values, read before the viewer serves the file.
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const px, py = 3, 11
	pixel := boxMeanOf(t, f, "/entry/alignment/coreloss", multispectrum.Region{Y0: py, X0: px, NY: 1, NX: 1})
	box5 := multispectrum.Region{Y0: py - 2, X0: px - 2, NY: 5, NX: 5}
	mean5 := boxMeanOf(t, f, "/entry/alignment/coreloss", box5)
	model5 := boxMeanOf(t, f, "/entry/zfit/model", box5)
	f.Close()

	url := startView(t, path)
	centre := [4]int{n / 2, n / 2, 1, 1} // the page opens on the centre pixel
	wide := map[int]pageLayout{}
	// 1400 px: the width at which the spectrum used to be cut off.
	for _, w := range []int{1920, 1400, 1280} {
		l := checkLayout(t, d, url, w, 800, centre)
		if l.MapStep != "/entry/zfit" {
			t.Errorf("%d px: first map and fit from %s, want /entry/zfit (the step /entry's default leads to)", w, l.MapStep)
		}
		wide[w] = l
		saveScreenshot(t, d.screenshot(), filepath.Join(os.TempDir(), fmt.Sprintf("eelsh5-view-e2e-%d.png", w)))
	}
	if wide[1920].SpecWidth <= wide[1280].SpecWidth {
		t.Errorf("the spectrum is %d px wide at 1920 px and %d px at 1280: the layout does not use the width", wide[1920].SpecWidth, wide[1280].SpecWidth)
	}
	t.Logf("layout: 1280 px: map ends at %g, spectrum at %g; 1920 px: map ends at %g, spectrum at %g",
		wide[1280].MapRight, wide[1280].SpecRight, wide[1920].MapRight, wide[1920].SpecRight)

	// Click the centre of pixel (px, py) of the map.
	var el map[string]string
	raw := d.call("POST", "/element", map[string]any{"using": "css selector", "value": "#map"})
	json.Unmarshal(raw, &el)
	var rect struct{ W, H float64 }
	d.eval(&rect, `const r = document.getElementById("map").getBoundingClientRect(); return {W: r.width, H: r.height};`)
	at := func(x, y int) map[string]any {
		return map[string]any{"type": "pointerMove", "origin": el,
			"x": int((float64(x)+0.5)*rect.W/n - rect.W/2), "y": int((float64(y)+0.5)*rect.H/n - rect.H/2)}
	}
	mouse := func(acts ...map[string]any) map[string]any {
		return map[string]any{"type": "pointer", "id": "mouse", "parameters": map[string]any{"pointerType": "mouse"}, "actions": acts}
	}
	keys := func(ks ...string) map[string]any {
		var acts []map[string]any
		for _, k := range ks {
			acts = append(acts, map[string]any{"type": "keyDown", "value": k}, map[string]any{"type": "keyUp", "value": k})
		}
		return map[string]any{"type": "key", "id": "keyboard", "actions": acts}
	}
	down := map[string]any{"type": "pointerDown", "button": 0}
	up := map[string]any{"type": "pointerUp", "button": 0}
	d.actions(mouse(at(px, py), down, up))
	sp := d.waitReady([4]int{px, py, 1, 1})
	if i, ok := closeSlices(floats(t, sp["data"]), pixel, 1e-12); !ok {
		t.Errorf("clicked pixel (%d, %d): spectrum differs from the file at channel %d", px, py, i)
	}

	// '+' twice: a 5x5 box centred on the pixel; its mean and model.
	d.actions(keys("+", "+"))
	sp = d.waitReady([4]int{px - 2, py - 2, 5, 5})
	if i, ok := closeSlices(floats(t, sp["data"]), mean5, 1e-12); !ok {
		t.Errorf("5x5 box: mean spectrum differs from the Go mean at channel %d", i)
	}
	if i, ok := closeSlices(floats(t, sp["model"]), model5, 1e-12); !ok {
		t.Errorf("5x5 box: model differs from the model cube's mean at channel %d", i)
	}
	var drawn struct {
		Data, Model bool
		Components  int
		Red         int
	}
	// The model is drawn in #d62728: count its pixels on the plot.
	const countRed = `const c = document.getElementById("spec"), g = c.getContext("2d");
		const px = g.getImageData(0, 0, c.width, c.height).data;
		let red = 0;
		for (let i = 0; i < px.length; i += 4) if (px[i] > 180 && px[i+1] < 90 && px[i+2] < 90) red++;
		const s = window.eelsh5.drawn;
		return {Data: s.data, Model: s.model, Components: s.components, Red: red};`
	d.eval(&drawn, countRed)
	if !drawn.Data || !drawn.Model || drawn.Components != 5 || drawn.Red < 300 {
		t.Errorf("drawn: %+v (want data, model, 5 components and the model's red line)", drawn)
	}
	saveScreenshot(t, d.screenshot(), filepath.Join(os.TempDir(), "eelsh5-view-e2e.png"))

	// '-' back to 3x3, arrows move the box, a drag draws one.
	d.actions(keys("-", "\uE014", "\uE015")) // minus, right, down
	d.waitReady([4]int{px - 1 + 1, py - 1 + 1, 3, 3})
	d.actions(mouse(at(10, 2), down, at(13, 5), up))
	d.waitReady([4]int{10, 2, 4, 4})

	// Zoom into an energy range by dragging across the spectrum; a
	// double-click shows the whole range again.
	var spec map[string]string
	json.Unmarshal(d.call("POST", "/element", map[string]any{"using": "css selector", "value": "#spec"}), &spec)
	d.actions(mouse(map[string]any{"type": "pointerMove", "origin": spec, "x": -200, "y": 0}, down,
		map[string]any{"type": "pointerMove", "origin": spec, "x": -100, "y": 0}, up))
	var zoom struct {
		Range []float64
		Model bool
	}
	d.eval(&zoom, `return {Range: window.eelsh5.erange, Model: window.eelsh5.drawn.model};`)
	saveScreenshot(t, d.screenshot(), filepath.Join(os.TempDir(), "eelsh5-view-e2e-zoom.png"))
	if len(zoom.Range) != 2 || !(zoom.Range[0] > 205 && zoom.Range[1] > zoom.Range[0]+30 && zoom.Range[1] < 1218.5) || !zoom.Model {
		t.Errorf("zoom by drag: %+v", zoom)
	}
	// The model's line still crosses the zoomed plot.
	d.eval(&drawn, countRed)
	if drawn.Red < 300 {
		t.Errorf("zoomed plot: %d pixels of the model's colour", drawn.Red)
	}
	d.actions(mouse(map[string]any{"type": "pointerMove", "origin": spec, "x": 0, "y": 0}, down, up, down, up))
	d.eval(&zoom, `return {Range: window.eelsh5.erange, Model: window.eelsh5.drawn.model};`)
	if zoom.Range != nil {
		t.Errorf("double-click left the zoom %v", zoom.Range)
	}

	// Log scale and another map: the page stays usable.
	d.actions(keys("l"))
	var ok bool
	d.eval(&ok, `const s = document.getElementById("mapset"); s.value = "/entry/coreloss|sum"; s.dispatchEvent(new Event("change")); return document.getElementById("log").checked;`)
	if !ok {
		t.Error("l did not switch to the log scale")
	}

	// quant, as another process, while the page is open: the page lists
	// the new step by itself and keeps what was selected.
	if out, err := asProcess("quant", path, "--elements", "C,N,O", "--edges", "K,K,K", "--step", "quant2", "-q").CombinedOutput(); err != nil {
		t.Fatalf("quant while the page is open: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var live struct {
			Fits   []string
			Fit    string
			Map    string
			Status string
		}
		d.eval(&live, `return {Fits: Array.from(document.getElementById("fit").options).map((o) => o.value),
			Fit: window.eelsh5.fit, Map: document.getElementById("mapset").value, Status: document.getElementById("status").textContent};`)
		if strings.Contains(strings.Join(live.Fits, ","), "/entry/quant2") {
			if live.Fit != "/entry/zfit" || live.Map != "/entry/coreloss|sum" {
				t.Errorf("after listing the new step: fit %q, map %q (want the selections kept)", live.Fit, live.Map)
			}
			t.Logf("the page listed /entry/quant2: status %q", live.Status)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page did not list /entry/quant2 after quant wrote it: fits %v, status %q", live.Fits, live.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The scale bar of a calibrated scan: the Gatan spectrum image's 2x2
	// pixels of 0.001992 um get a bar of 0.0005 um, the largest 1, 2 or 5
	// times a power of ten within a quarter of the 0.003984 um wide scan.
	si := filepath.Join(t.TempDir(), "si.nxs")
	if _, errs, code := eelsh5(t, "import", fixtures+"dm4_eels_spectrum_image.dm4", "-o", si, "-q"); code != 0 {
		t.Fatal(errs)
	}
	f, err = h5io.Open(si)
	if err != nil {
		t.Fatal(err)
	}
	_, info, err := f.OpenCube(h5io.CoreLossPath)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	d.call("POST", "/url", map[string]any{"url": startView(t, si)})
	d.waitReady([4]int{1, 1, 1, 1})
	var bar pageLayout
	d.eval(&bar, `return {ScaleBar: window.eelsh5.scalebar, MapWidth: document.getElementById("map").width};`)
	if want := 0.0005 / info.Scan.Step * float64(bar.MapWidth) / 2; bar.ScaleBar == nil || bar.ScaleBar.Label != "0.5 nm" ||
		math.Abs(bar.ScaleBar.Px-want) > 1e-6*want {
		t.Errorf("scale bar of 2x2 pixels of %g %s on a %d px map: %+v, want 0.5 nm over %g px", info.Scan.Step, info.Scan.Units, bar.MapWidth, bar.ScaleBar, want)
	}

	if *viewerScreenshots {
		writeViewerScreenshots(t, d)
	}
}

// writeViewerScreenshots saves the README's screenshots: the demo file at
// --size 64, a 7x7 box at the centre, at 1280 and 1920 px wide windows.
func writeViewerScreenshots(t *testing.T, d *webDriver) {
	dir := t.TempDir()
	if _, errs, code := eelsh5(t, "demo", "--size", "64", "-o", filepath.Join(dir, "out"), "-q"); code != 0 {
		t.Fatal(errs)
	}
	url := startViewIn(t, dir, filepath.Join("out", "demo.nxs")) // shown as in the README
	keys := map[string]any{"type": "key", "id": "keyboard", "actions": []map[string]any{
		{"type": "keyDown", "value": "+"}, {"type": "keyUp", "value": "+"},
		{"type": "keyDown", "value": "+"}, {"type": "keyUp", "value": "+"},
		{"type": "keyDown", "value": "+"}, {"type": "keyUp", "value": "+"}}}
	for _, c := range []struct{ w, h int }{{1280, 820}, {1920, 1000}} {
		checkLayout(t, d, url, c.w, c.h, [4]int{32, 32, 1, 1})
		d.actions(keys)
		d.waitReady([4]int{29, 29, 7, 7})
		saveScreenshot(t, d.screenshot(), filepath.Join("..", "..", "doc", "img", fmt.Sprintf("viewer-%d.png", c.w)))
	}
}

// TestViewBindsLoopback runs eelsh5 view as a process: it listens on
// 127.0.0.1 only, so the machine's other addresses refuse the port.
func TestViewBindsLoopback(t *testing.T) {
	path := quantifiedFile(t, t.TempDir(), 4)
	url := startView(t, path)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("URL %s is not on 127.0.0.1", url)
	}
	port := strings.TrimSuffix(url[strings.LastIndex(url, ":")+1:], "/")
	r, err := http.Get(url + "api/tree")
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("loopback: %v", err)
	}
	r.Body.Close()
	addrs, _ := net.InterfaceAddrs()
	others := 0
	for _, a := range addrs {
		ip, ok := a.(*net.IPNet)
		if !ok || ip.IP.IsLoopback() || ip.IP.IsLinkLocalUnicast() {
			continue
		}
		others++
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip.IP.String(), port), 2*time.Second)
		if err == nil {
			c.Close()
			t.Errorf("the viewer's port %s answers on %s", port, ip.IP)
		}
	}
	t.Logf("%d non-loopback addresses refused the port", others)
}
