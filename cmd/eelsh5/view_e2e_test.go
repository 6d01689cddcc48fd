package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
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
func startView(t *testing.T, path string) string {
	cmd := asProcess("view", path, "--port", "0")
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

// TestViewerInBrowser drives the page in headless Chromium: it loads, a
// click on a pixel shows that pixel's spectrum (checked against the
// file), '+' grows the box and the spectrum is the box mean computed here,
// the model and components are drawn, a drag draws a box, the arrows move
// it; a screenshot is saved.
func TestViewerInBrowser(t *testing.T) {
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
	const n = 16
	path := quantifiedFile(t, t.TempDir(), n)
	// Reference values, read before the viewer opens the file.
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const px, py = 3, 11
	pixel := boxMeanOf(t, f, "/entry/alignment/coreloss", multispectrum.Region{Y0: py, X0: px, NY: 1, NX: 1})
	box5 := multispectrum.Region{Y0: py - 2, X0: px - 2, NY: 5, NX: 5}
	mean5 := boxMeanOf(t, f, "/entry/alignment/coreloss", box5)
	model5 := boxMeanOf(t, f, "/entry/quant/model", box5)
	f.Close()

	url := startView(t, path)
	port := freePort(t)
	drv := exec.Command(driver, fmt.Sprintf("--port=%d", port))
	if err := drv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { drv.Process.Kill(); drv.Wait() }()
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
			"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1450,700"}},
	}}})
	if err := json.Unmarshal(raw, &sess); err != nil || sess.SessionID == "" {
		t.Fatalf("session: %s", raw)
	}
	d.session = sess.SessionID
	defer d.call("DELETE", "", nil)

	d.call("POST", "/url", map[string]any{"url": url})
	d.waitReady([4]int{n / 2, n / 2, 1, 1}) // the page opens on the centre pixel

	// Click the centre of pixel (px, py) of the map.
	var el map[string]string
	raw = d.call("POST", "/element", map[string]any{"using": "css selector", "value": "#map"})
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

	// Screenshot of the page with the box, the spectrum and its model.
	screenshot := func(name string) {
		shot := filepath.Join(os.TempDir(), name)
		var b64 string
		json.Unmarshal(d.call("GET", "/screenshot", nil), &b64)
		png, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(png) < 10000 {
			t.Errorf("screenshot: %d bytes, %v", len(png), err)
		} else if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Error(err)
		} else {
			t.Logf("screenshot saved to %s", shot)
		}
	}
	screenshot("eelsh5-view-e2e.png")

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
	screenshot("eelsh5-view-e2e-zoom.png")
	if len(zoom.Range) != 2 || !(zoom.Range[0] > 205 && zoom.Range[1] > zoom.Range[0]+50 && zoom.Range[1] < 1218.5) || !zoom.Model {
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
