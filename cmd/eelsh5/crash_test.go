package main

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/eelsh5/eelsh5/h5io"
)

// TestMain lets the test binary act as eelsh5 for the crash tests, which
// need a process to kill.
func TestMain(m *testing.M) {
	if os.Getenv("EELSH5_TEST_CLI") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	if p := os.Getenv("EELSH5_TEST_HOLD"); p != "" {
		// Hold a file open for writing, as a running command does.
		f, err := h5io.OpenWritable(p)
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("ready\n")
		time.Sleep(time.Minute)
		f.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// asProcess returns a command running eelsh5 (this test binary) as a process.
func asProcess(args ...string) *exec.Cmd {
	c := exec.Command(os.Args[0], args...)
	c.Env = append(os.Environ(), "EELSH5_TEST_CLI=1")
	return c
}

// digest hashes the listed cubes and datasets of a file (all of them must
// read back).
func digest(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatalf("the file does not open: %v", err)
	}
	defer f.Close()
	h := sha256.New()
	for _, c := range []string{h5io.CoreLossPath, h5io.LowLossPath, "/entry/alignment/coreloss", "/entry/alignment/lowloss"} {
		cube, err := f.ReadCube(c)
		if err != nil {
			t.Fatalf("%s unreadable: %v", c, err)
		}
		binary.Write(h, binary.LittleEndian, cube.Data)
	}
	for _, d := range []string{"/entry/simulate/truth/maps", "/entry/alignment/shifts/shift"} {
		v, _, err := f.ReadFloats(d)
		if err != nil {
			t.Fatalf("%s unreadable: %v", d, err)
		}
		binary.Write(h, binary.LittleEndian, v)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// fitOutputs reads the per-pixel outputs of a fit step.
func readFit(t *testing.T, path, step string) map[string][]float64 {
	t.Helper()
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]float64{}
	for _, d := range []string{"coefficients/coefficients", "crlb/crlb", "covariance/covariance", "chi2/chi2", "status/status", "condition/condition", "mean_spectrum/model"} {
		v, _, err := f.ReadFloats("/entry/" + step + "/" + d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		out[d] = v
	}
	m, err := f.ReadCube("/entry/" + step + "/model")
	if err != nil {
		t.Fatal(err)
	}
	out["model"] = m.Data
	return out
}

// TestKillAndResume kills a fit with SIGKILL at 20 random moments
// (seeded): after each kill the file opens and every earlier step is
// unchanged; then --resume completes the fit, with results equal to an
// uninterrupted run (issue 9).
func TestKillAndResume(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("too slow under the race detector")
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base.nxs")
	for _, args := range [][]string{{"simulate", base, "--size", "64", "-q"}, {"align", base, "-q"}} {
		if out, err := asProcess(args...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	want := digest(t, base)
	fitArgs := func(path string) []string {
		return []string{"fit", path, "-q", "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--checkpoint-every", "20ms"}
	}
	// The uninterrupted reference.
	ref := filepath.Join(dir, "ref.nxs")
	copyFile(t, base, ref)
	start := time.Now()
	if out, err := asProcess(fitArgs(ref)...).CombinedOutput(); err != nil {
		t.Fatalf("reference fit: %v\n%s", err, out)
	}
	full := time.Since(start)
	wantFit := readFit(t, ref, "fit")

	work := filepath.Join(dir, "work.nxs")
	copyFile(t, base, work)
	rnd := rand.New(rand.NewPCG(2026, 11))
	killed := 0
	// kill runs cmd after a random fraction [lo, hi) of the uninterrupted
	// time; it reports whether the kill landed before the run finished.
	kill := func(args []string, lo, hi float64) bool {
		cmd := asProcess(args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(float64(full) * (lo + (hi-lo)*rnd.Float64()))
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		if cmd.Wait() == nil {
			return false
		}
		killed++
		return true
	}
	// 1. A resumed chain: short delays, so kills land in the start-up
	// (BeginStep) window as well as among the tiles.
	for i := 0; i < 12; i++ {
		if !kill(append(fitArgs(work), "--resume"), 0.03, 0.35) {
			break
		}
		if got := digest(t, work); got != want {
			t.Fatalf("kill %d: earlier data changed", killed)
		}
	}
	if out, err := asProcess(append(fitArgs(work), "--resume")...).CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	got := readFit(t, work, "fit")
	for k, w := range wantFit {
		g := got[k]
		if k == "mean_spectrum/model" {
			// summed in tile-completion order: equal to rounding
			for i := range w {
				if math.Abs(g[i]-w[i]) > 1e-12*math.Abs(w[i]) {
					t.Errorf("%s[%d]: %v vs %v", k, i, g[i], w[i])
					break
				}
			}
			continue
		}
		if !slices.EqualFunc(g, w, func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }) {
			t.Errorf("%s of the resumed run differs from the uninterrupted run", k)
		}
	}
	// 2. Fresh runs replacing the committed fit (--overwrite), killed at
	// any moment: the committed fit and everything before stay intact.
	for i := 0; killed < 20 && i < 60; i++ {
		if !kill(append(fitArgs(work), "--overwrite"), 0.03, 1.1) {
			continue
		}
		if got := digest(t, work); got != want {
			t.Fatalf("kill %d: earlier data changed", killed)
		}
		if g := readFit(t, work, "fit"); !slices.Equal(g["coefficients/coefficients"], wantFit["coefficients/coefficients"]) {
			t.Fatalf("kill %d: the committed fit changed", killed)
		}
	}
	t.Logf("%d kills of a fit that takes %v uninterrupted", killed, full)
	if killed < 20 {
		t.Errorf("only %d kills landed during a fit", killed)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
