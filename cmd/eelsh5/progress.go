package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// progress reports the advance of a long command on stderr: a bar
// redrawn in place on a terminal, a line every 10% otherwise, nothing
// with --quiet. It ends with the summary line every processing command
// prints.
type progress struct {
	w       io.Writer
	command string
	// stage names the part of a command that runs ("align", "fit" in
	// quant); "" for a command of one stage.
	stage      string
	tty        bool
	quiet      bool
	start      time.Time
	stageStart time.Time
	last       time.Time
	lastPct    int
	drawn      bool
}

func newProgress(g *Globals, command string) *progress {
	now := time.Now()
	p := &progress{w: g.stderr, command: command, quiet: g.Quiet, start: now, stageStart: now, lastPct: -1}
	if f, ok := g.stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// setStage starts a stage of the command: progress and messages are
// labelled "eelsh5 quant: align" until the next one ("" for none).
func (p *progress) setStage(stage string) {
	p.clear()
	p.stage, p.stageStart, p.lastPct = stage, time.Now(), -1
}

// label is what progress lines and messages begin with: the command and
// the stage.
func (p *progress) label() string {
	if p.stage == "" {
		return p.command
	}
	return p.command + ": " + p.stage
}

// update reports done of total units (tiles).
func (p *progress) update(done, total int) {
	if p.quiet || total <= 0 {
		return
	}
	pct := 100 * done / total
	if pct < p.lastPct { // a new pass
		p.lastPct = -1
	}
	if p.tty {
		now := time.Now()
		if now.Sub(p.last) < 100*time.Millisecond && done != total {
			return
		}
		p.last = now
		const width = 30
		n := width * done / total
		fmt.Fprintf(p.w, "\r%s [%s%s] %3d%%  %s", p.label(), strings.Repeat("=", n), strings.Repeat(" ", width-n), pct, time.Since(p.stageStart).Round(time.Second))
		p.drawn = true
		return
	}
	if pct/10 > p.lastPct/10 || (done == total && p.lastPct != 100) {
		fmt.Fprintf(p.w, "%s: %d%% (%d/%d tiles, %.1f s)\n", p.label(), pct, done, total, time.Since(p.stageStart).Seconds())
		p.lastPct = pct
	}
}

// message prints a line of information unless quiet.
func (p *progress) message(format string, args ...any) {
	if p.quiet {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// say prints a line of information labelled with the command and stage
// ("eelsh5 quant: fit: ...") unless quiet.
func (p *progress) say(format string, args ...any) {
	p.message(p.label()+": "+format, args...)
}

func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// summary prints the closing line: spectra processed, time, rate and
// peak resident memory.
func (p *progress) summary(spectra int) {
	if p.quiet {
		return
	}
	p.clear()
	el := time.Since(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(spectra) / el
	}
	fmt.Fprintf(p.w, "%s: %d spectra in %.2f s (%.0f spectra/s), peak memory %d MiB\n", p.command, spectra, el, rate, peakRSSMiB())
}

// peakRSSMiB returns the peak resident set size of the process (VmHWM).
func peakRSSMiB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.Atoi(f[1])
				return kb / 1024
			}
		}
	}
	return 0
}
