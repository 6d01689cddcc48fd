package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/quant"
)

var partModel = []string{"--elements", "C,N,O,Fe", "--edges", "K,K,K,L"}

// partitioned runs 'eelsh5 CMD FILE ARGS' as a preparing run, n parts
// and a merge, all in this process, and fails the test on any error.
func partitioned(t *testing.T, n int, file, dir string, cmd string, args ...string) {
	t.Helper()
	base := append([]string{"-q", cmd, file, "--parts-dir", dir}, args...)
	if _, errs, code := eelsh5(t, append(base, "--prepare")...); code != 0 {
		t.Fatalf("%s --prepare: %s", cmd, errs)
	}
	for k := 1; k <= n; k++ {
		if _, errs, code := eelsh5(t, append(base, "--part", fmt.Sprintf("%d/%d", k, n))...); code != 0 {
			t.Fatalf("%s --part %d/%d: %s", cmd, k, n, errs)
		}
	}
	step := map[string]string{"align": "alignment", "fit": "fit", "quant": "quant"}[cmd]
	if _, errs, code := eelsh5(t, "-q", "merge", file, "--step", step, "--parts-dir", dir); code != 0 {
		t.Fatalf("merge of %s: %s", cmd, errs)
	}
}

// stepData reads every per-pixel dataset of the alignment, fit and quant
// steps of a file, and the JSON of the quant summary.
func stepData(t *testing.T, path string) (map[string][]float64, string) {
	t.Helper()
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]float64{}
	for _, c := range []string{"/entry/alignment/lowloss", "/entry/alignment/coreloss", "/entry/fit/model", "/entry/quant/model"} {
		cube, err := f.ReadCube(c)
		if err != nil {
			t.Fatalf("%s of %s: %v", c, path, err)
		}
		out[c] = cube.Data
	}
	var ds []string
	for _, st := range []string{"fit", "quant"} {
		for _, s := range quant.AllStreams() {
			if s != quant.StreamModel && (st == "quant" || s < quant.StreamElements) {
				ds = append(ds, "/entry/"+st+"/"+h5io.StreamDataset(s))
			}
		}
	}
	ds = append(ds, "/entry/alignment/shifts/shift", "/entry/alignment/status/status")
	for _, d := range ds {
		v, _, err := f.ReadFloats(d)
		if err != nil {
			t.Fatalf("%s of %s: %v", d, path, err)
		}
		out[d] = v
	}
	for _, st := range []string{"fit", "quant"} {
		v, _, err := f.ReadFloats("/entry/" + st + "/mean_spectrum/model")
		if err != nil {
			t.Fatal(err)
		}
		out["mean "+st] = v
	}
	s, err := f.ReadStrings("/entry/quant/summary/data")
	if err != nil || len(s) != 1 {
		t.Fatalf("summary of %s: %v", path, err)
	}
	return out, s[0]
}

// compareData checks got against want: bit for bit, the mean spectra
// (sums of the parts' sums, in another order) to 1e-12.
func compareData(t *testing.T, what string, want, got map[string][]float64) {
	t.Helper()
	for k, w := range want {
		g := got[k]
		if len(g) != len(w) {
			t.Fatalf("%s: %s has %d values, the whole run %d", what, k, len(g), len(w))
		}
		for i := range w {
			same := math.Float64bits(g[i]) == math.Float64bits(w[i])
			if strings.HasPrefix(k, "mean ") {
				same = math.Abs(g[i]-w[i]) <= 1e-12*math.Abs(w[i])
			}
			if !same {
				t.Fatalf("%s: %s[%d] = %v, the whole run %v", what, k, i, g[i], w[i])
			}
		}
	}
}

// TestPartitionedEqualsWhole aligns, fits (4 background terms) and
// quantifies (terms chosen by the data) the 24x24 seed scenario (9
// chunks of 11x11 spectra, ragged at the edges) whole and as
// partitioned runs of N = 1, 2, 3 and 7 parts (7: parts of one and two
// tiles), each merged into the file as virtual datasets, and checks that
// every per-pixel dataset of the three steps equals the whole run's bit
// for bit, the quantification summary too (the choice of background
// terms of the preparing run included), the mean spectra to 1e-12. The
// quant of the partitioned file reads its alignment through the virtual
// datasets of the alignment's merge.
func TestPartitionedEqualsWhole(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("runs 4 x 3 partitioned runs (too slow under the race detector)")
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base.nxs")
	if _, errs, code := eelsh5(t, "simulate", base, "--size", "24", "-q"); code != 0 {
		t.Fatal(errs)
	}
	whole := filepath.Join(dir, "whole.nxs")
	copyFile(t, base, whole)
	fitModel := append([]string{"--background-terms", "4"}, partModel...)
	for _, args := range [][]string{{"align", whole}, append([]string{"fit", whole}, fitModel...), append([]string{"quant", whole}, partModel...)} {
		if _, errs, code := eelsh5(t, append([]string{"-q"}, args...)...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	want, wantSummary := stepData(t, whole)
	for _, n := range []int{1, 2, 3, 7} {
		file := filepath.Join(dir, fmt.Sprintf("p%d.nxs", n))
		parts := filepath.Join(dir, fmt.Sprintf("parts%d", n))
		copyFile(t, base, file)
		partitioned(t, n, file, parts, "align")
		partitioned(t, n, file, parts, "fit", fitModel...)
		partitioned(t, n, file, parts, "quant", partModel...)
		got, summary := stepData(t, file)
		compareData(t, fmt.Sprintf("N=%d", n), want, got)
		if summary != wantSummary {
			t.Errorf("N=%d: summary\n%s\nwhole run\n%s", n, summary, wantSummary)
		}
		f, _ := h5io.Open(file)
		for _, d := range []string{"/entry/alignment/coreloss/data", "/entry/quant/coefficients/coefficients", "/entry/fit/model/data"} {
			if !f.IsVirtual(d) {
				t.Errorf("N=%d: %s is not a virtual dataset", n, d)
			}
		}
		f.Close()
		// info marks them, with their mappings and part files.
		out, errs, code := eelsh5(t, "info", file)
		if code != 0 {
			t.Fatal(errs)
		}
		marked := 0
		for _, line := range strings.Split(out, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "coefficients ") {
				continue
			}
			var maps int
			_, err := fmt.Sscanf(line[strings.Index(line, "virtual (")+len("virtual ("):], "%d mappings", &maps)
			if !strings.Contains(line, "virtual (") || err != nil || maps < n || !strings.Contains(line, fmt.Sprintf(".part1-of-%d.nxs", n)) {
				t.Errorf("N=%d: info does not mark the merged coefficients as virtual with their parts: %s", n, line)
			}
			marked++
		}
		if marked != 2 { // the fit's and the quant's coefficients
			t.Errorf("N=%d: %d coefficient lines in info, want 2:\n%s", n, marked, out)
		}
	}
}

// TestResumeKilledPart kills part 2 of 2 of a quant (SIGKILL, after a
// seeded random fraction of its uninterrupted time) until a kill leaves
// an unfinished part, which the merge refuses naming it; --resume then
// finishes it, and the merge equals the whole run bit for bit.
func TestResumeKilledPart(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("too slow under the race detector")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "s.nxs")
	for _, args := range [][]string{{"simulate", file, "--size", "48", "-q"}, {"align", file, "-q"}} {
		if out, err := asProcess(args...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	whole := filepath.Join(dir, "whole.nxs")
	copyFile(t, file, whole)
	args := func(f string, more ...string) []string {
		return append(append([]string{"quant", f, "-q", "-j", "1", "--checkpoint-every", "20ms"}, partModel...), more...)
	}
	if out, err := asProcess(args(whole)...).CombinedOutput(); err != nil {
		t.Fatalf("whole run: %v\n%s", err, out)
	}
	if out, err := asProcess(args(file, "--prepare")...).CombinedOutput(); err != nil {
		t.Fatalf("prepare: %v\n%s", err, out)
	}
	if out, err := asProcess(args(file, "--part", "1/2")...).CombinedOutput(); err != nil {
		t.Fatalf("part 1: %v\n%s", err, out)
	}
	part2 := h5io.PartPath(file, "", "quant", 2, 2)
	// The uninterrupted time of part 2, measured in another directory.
	if out, err := asProcess(args(file, "--part", "2/2", "--parts-dir", filepath.Join(dir, "timing"))...).CombinedOutput(); err == nil || !strings.Contains(string(out), "preparing run") {
		t.Fatalf("a part without its preparing run: %v\n%s", err, out)
	}
	os.MkdirAll(filepath.Join(dir, "timing"), 0o755)
	copyFile(t, h5io.PreparePath(file, "", "quant"), h5io.PreparePath(file, filepath.Join(dir, "timing"), "quant"))
	start := time.Now()
	if out, err := asProcess(args(file, "--part", "2/2", "--parts-dir", filepath.Join(dir, "timing"))...).CombinedOutput(); err != nil {
		t.Fatalf("timing part: %v\n%s", err, out)
	}
	full := time.Since(start)
	killed := false
	for i := 0; i < 10 && !killed; i++ {
		os.Remove(part2)
		cmd := asProcess(args(file, "--part", "2/2")...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(float64(full) * (0.4 + 0.04*float64(i))))
		cmd.Process.Signal(syscall.SIGKILL)
		if cmd.Wait() == nil {
			continue
		}
		if _, err := os.Stat(part2); err == nil {
			_, errs, code := eelsh5(t, "merge", file)
			killed = code == 1 && strings.Contains(errs, "unfinished") && strings.Contains(errs, part2)
		}
	}
	if !killed {
		t.Fatal("no kill left an unfinished part")
	}
	out, err := asProcess(args(file, "--part", "2/2", "--resume")...).CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	if _, errs, code := eelsh5(t, "-q", "merge", file); code != 0 {
		t.Fatal(errs)
	}
	want, ws := readQuant(t, whole)
	got, gs := readQuant(t, file)
	compareData(t, "resumed part", want, got)
	if gs != ws {
		t.Errorf("summary of the resumed run differs from the whole run's")
	}
}

// readQuant reads the quant step's per-pixel datasets and summary.
func readQuant(t *testing.T, path string) (map[string][]float64, string) {
	t.Helper()
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]float64{}
	for _, s := range quant.AllStreams() {
		if s == quant.StreamModel {
			c, err := f.ReadCube("/entry/quant/model")
			if err != nil {
				t.Fatal(err)
			}
			out["model"] = c.Data
			continue
		}
		v, _, err := f.ReadFloats("/entry/quant/" + h5io.StreamDataset(s))
		if err != nil {
			t.Fatal(err)
		}
		out[s.String()] = v
	}
	m, _, err := f.ReadFloats("/entry/quant/mean_spectrum/data")
	if err != nil {
		t.Fatal(err)
	}
	out["mean data"] = m
	s, err := f.ReadStrings("/entry/quant/summary/data")
	if err != nil || len(s) != 1 {
		t.Fatal(err)
	}
	return out, s[0]
}

// TestPartitionedBadInput: a missing part, a part of another input file,
// a part with other options, two parts with the same K, N larger than the
// number of tiles, a part whose options differ from the preparing run's
// and a file changed since the preparing run each give a one-line error
// naming the part (or the option), and leave FILE byte-identical.
func TestPartitionedBadInput(t *testing.T) {
	if raceEnabled {
		t.Skip("16 partitioned runs: run without the race detector")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "s.nxs")
	other := filepath.Join(dir, "o.nxs")
	for _, args := range [][]string{{"simulate", file, "--size", "24", "-q", "--shifts", "none"}, {"simulate", other, "--size", "24", "--seed", "2", "-q", "--shifts", "none"}} {
		if _, errs, code := eelsh5(t, args...); code != 0 {
			t.Fatal(errs)
		}
	}
	q := func(f, parts string, more ...string) []string {
		return append(append([]string{"-q", "quant", f, "--align", "none", "--background-terms", "4", "--parts-dir", parts}, partModel...), more...)
	}
	run3 := func(f, parts string, more ...string) {
		t.Helper()
		for _, extra := range [][]string{{"--prepare"}, {"--part", "1/3"}, {"--part", "2/3"}, {"--part", "3/3"}} {
			if _, errs, code := eelsh5(t, q(f, parts, append(more, extra...)...)...); code != 0 {
				t.Fatalf("%v: %s", extra, errs)
			}
		}
	}
	good := filepath.Join(dir, "good")
	run3(file, good)
	run3(other, filepath.Join(dir, "other"))
	run3(file, filepath.Join(dir, "ols"), "--method", "ols")
	// The other input's parts, renamed as parts of s.nxs.
	copyFile(t, h5io.PartPath(other, filepath.Join(dir, "other"), "quant", 2, 3), filepath.Join(dir, "other", "s.quant.part2-of-3.nxs"))
	sum := fileSHA256(t, file)
	part := func(parts string, k int) string { return h5io.PartPath(file, parts, "quant", k, 3) }
	for _, c := range []struct {
		what  string
		setup func(d string) // on a copy d of the good parts
		args  []string       // default: merge
		code  int
		want  string
	}{
		{"missing part", func(d string) { os.Remove(part(d, 2)) }, nil, 1, "part 2/3 is missing: " + part("@", 2)},
		{"part of another input", func(d string) { copyFile(t, filepath.Join(dir, "other", "s.quant.part2-of-3.nxs"), part(d, 2)) }, nil, 1, part("@", 2) + " was computed with another preparing run"},
		{"part with other options", func(d string) { copyFile(t, part(filepath.Join(dir, "ols"), 3), part(d, 3)) }, nil, 1, part("@", 3) + " was computed with another preparing run"},
		{"two parts with the same K", func(d string) { copyFile(t, part(d, 1), part(d, 3)) }, nil, 1, part("@", 3) + " holds part 1/3, not 3/3: a duplicate of part 1"},
		{"unfinished part", func(d string) { os.WriteFile(part(d, 2), []byte("not hdf5"), 0o644) }, nil, 1, part("@", 2)},
		{"N above the tiles", nil, q(file, "@", "--part", "1/10"), 2, "part 1/10: the scan has only 9 tiles (chunks), fewer than 10 parts"},
		{"part options differ from the preparing run", nil, q(file, "@", "--part", "1/3", "--method", "ols"), 2, "the options differ from those of the preparing run"},
		{"parts of two runs", func(d string) { copyFile(t, part(d, 1), filepath.Join(d, "s.quant.part1-of-2.nxs")) }, nil, 2, "part files of runs of 2 and 3 parts"},
		{"no parts at all", func(d string) {
			for k := 1; k <= 3; k++ {
				os.Remove(part(d, k))
			}
		}, nil, 1, "no part files of /entry/quant"},
	} {
		d := filepath.Join(dir, strings.ReplaceAll(c.what, " ", "_"))
		os.MkdirAll(d, 0o755)
		for _, name := range []string{"s.quant.prepare.json", "s.quant.part1-of-3.nxs", "s.quant.part2-of-3.nxs", "s.quant.part3-of-3.nxs"} {
			copyFile(t, filepath.Join(good, name), filepath.Join(d, name))
		}
		if c.setup != nil {
			c.setup(d)
		}
		args := c.args
		if args == nil {
			args = []string{"merge", file, "--parts-dir", d}
		}
		for i, a := range args {
			if a == "@" {
				args[i] = d
			}
		}
		want := strings.ReplaceAll(c.want, "@", d)
		_, errs, code := eelsh5(t, args...)
		first, _, _ := strings.Cut(errs, "\n")
		if code != c.code || !strings.Contains(first, want) {
			t.Errorf("%s: exit %d, want %d and %q in the first line:\n%s", c.what, code, c.code, want, errs)
		}
		if n := strings.Count(errs, "\n"); n > 2 || c.code == 1 && n > 1 {
			t.Errorf("%s: the error has %d lines:\n%s", c.what, n, errs)
		}
		if got := fileSHA256(t, file); got != sum {
			t.Fatalf("%s: the file changed", c.what)
		}
	}
	// A file changed since the preparing run.
	changed := filepath.Join(dir, "changed.nxs")
	copyFile(t, file, changed)
	d := filepath.Join(dir, "changed")
	run3(changed, d)
	if _, errs, code := eelsh5(t, append([]string{"-q", "fit", changed, "--input", "raw"}, partModel...)...); code != 0 {
		t.Fatal(errs)
	}
	sum = fileSHA256(t, changed)
	if _, errs, code := eelsh5(t, "merge", changed, "--parts-dir", d); code != 1 || !strings.Contains(errs, "has changed since the preparing run") {
		t.Errorf("changed file: exit %d: %s", code, errs)
	}
	if fileSHA256(t, changed) != sum {
		t.Error("changed file: the merge modified it")
	}
	// And the good parts merge.
	if _, errs, code := eelsh5(t, "-q", "merge", file, "--parts-dir", good); code != 0 {
		t.Fatalf("good parts: %s", errs)
	}
	// Merging the same parts again needs --overwrite (FILE now differs
	// from the preparing run's only by that merge), e.g. to copy them.
	if _, errs, code := eelsh5(t, "merge", file, "--parts-dir", good); code != 1 || !strings.Contains(errs, "already holds /entry/quant merged from these parts") {
		t.Errorf("second merge: exit %d: %s", code, errs)
	}
	if _, errs, code := eelsh5(t, "-q", "merge", file, "--parts-dir", good, "--copy", "--overwrite"); code != 0 {
		t.Fatalf("merge --copy --overwrite: %s", errs)
	}
	if f, err := h5io.Open(file); err != nil || f.IsVirtual("/entry/quant/coefficients/coefficients") {
		t.Errorf("after merge --copy: %v, or the coefficients are still virtual", err)
	} else {
		f.Close()
	}
	var prep prepareFile
	b, _ := os.ReadFile(h5io.PreparePath(file, good, "quant"))
	if err := json.Unmarshal(b, &prep); err != nil || prep.Tiles != 9 {
		t.Errorf("prepare file: %v, %d tiles", err, prep.Tiles)
	}
}
