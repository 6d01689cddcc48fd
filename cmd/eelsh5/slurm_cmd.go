package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/eelsh5/eelsh5/h5io"
)

// slurmCmd submits partitioned runs to Slurm.
type slurmCmd struct {
	Fit   slurmFitCmd   `cmd:"" help:"Fit as a Slurm job array: prepare, N parts, merge."`
	Quant slurmQuantCmd `cmd:"" help:"Quantify as a Slurm job array (aligning the same way first when FILE has no alignment)."`
	Align slurmAlignCmd `cmd:"" help:"Align as a Slurm job array: prepare (shifts of every pixel), N parts, merge."`
}

// slurmFlags are the flags of every slurm subcommand.
type slurmFlags struct {
	Parts  int      `required:"" group:"slurm" help:"Number of parts N: the job array's tasks (at most the scan's tiles, i.e. chunks)."`
	Sbatch []string `sep:"none" group:"slurm" placeholder:"OPTION" help:"An sbatch option for every job, e.g. --sbatch=--time=1:00:00 --sbatch=--partition=short; repeatable."`
	Print  bool     `group:"slurm" help:"Print the submission script instead of writing and running it."`
	Eelsh5 string   `name:"eelsh5" type:"path" group:"slurm" placeholder:"PATH" help:"eelsh5 program the jobs run (default: this one)."`
	Copy   bool     `group:"slurm" help:"Merge by copying the parts' data into FILE (default: virtual datasets)."`
}

const slurmHelp = `Writes a shell script beside FILE (FILE.STEP.slurm.sh, or in --parts-dir) that submits with
sbatch a preparing job ('--prepare'), a job array of --parts N tasks each running
'--part $SLURM_ARRAY_TASK_ID/N' after it (--dependency=afterok), and a merge job
('eelsh5 merge FILE') after the whole array; then runs it and prints the job ids and how to
watch them. --print prints the script instead. Every other flag is the command's own, passed
to each job. Nothing is assumed about the cluster beyond sbatch and a file system that every
node sees FILE's directory (or --parts-dir) on; --sbatch adds options (partition, time, memory,
CPUs) to every job. A quant of a file without an alignment step first submits the same
three jobs for 'eelsh5 align' (its --align method), which the quant jobs wait for.`

type slurmFitCmd struct {
	fitCmd `embed:""`
	slurmFlags
}

func (c *slurmFitCmd) Help() string { return slurmHelp }

type slurmQuantCmd struct {
	quantCmd `embed:""`
	slurmFlags
}

func (c *slurmQuantCmd) Help() string { return slurmHelp }

type slurmAlignCmd struct {
	alignCmd `embed:""`
	slurmFlags
}

func (c *slurmAlignCmd) Help() string { return slurmHelp }

func (c *slurmFitCmd) Run(g *Globals) error {
	return c.slurmFlags.submit(g, "fit", c.File, c.Step, &c.partFlags, nil)
}

func (c *slurmAlignCmd) Run(g *Globals) error {
	return c.slurmFlags.submit(g, "align", c.File, c.Step, &c.partFlags, nil)
}

func (c *slurmQuantCmd) Run(g *Globals) error {
	var pre []slurmStage
	if c.Align != "none" {
		f, _, err := openProcessing(c.File, false)
		if err != nil {
			return err
		}
		opts := c.opts
		_, perr := c.partInput(f, &opts)
		f.Close()
		if perr != nil { // no alignment yet: align as a partitioned run first
			args := []string{"align", c.File, "--method", c.Align}
			if c.PartsDir != "" {
				args = append(args, "--parts-dir", c.PartsDir)
			}
			pre = append(pre, slurmStage{command: "align", step: h5io.StepAlignment, args: args})
		}
	}
	return c.slurmFlags.submit(g, "quant", c.File, c.Step, &c.partFlags, pre)
}

// slurmStage is one partitioned run of a submission: its command line
// (without the program, the partition flags and the globals) and step.
type slurmStage struct {
	command, step string
	args          []string
}

// submit writes the script of the stages pre and then command (with the
// command-line arguments the user gave) and runs or prints it.
func (s *slurmFlags) submit(g *Globals, command, file, step string, pf *partFlags, pre []slurmStage) error {
	if pf.partitioned() {
		return usageError{errors.New("--part and --prepare are what the jobs run: give --parts N")}
	}
	if s.Parts < 1 {
		return usageError{fmt.Errorf("--parts %d: want at least 1", s.Parts)}
	}
	for _, o := range s.Sbatch {
		if !strings.HasPrefix(o, "-") || strings.ContainsAny(o, "\n'") {
			return usageError{fmt.Errorf("--sbatch %q: want an sbatch option such as --time=1:00:00 (no quotes or newlines)", o)}
		}
	}
	globals, args, err := commandArgs(g.args)
	if err != nil {
		return err
	}
	prog := s.Eelsh5
	if prog == "" {
		if prog, err = os.Executable(); err != nil {
			return fmt.Errorf("could not find this program's path (give --eelsh5 PATH): %w", err)
		}
	}
	if prog, err = filepath.Abs(prog); err != nil {
		return err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	stages := append(pre, slurmStage{command: command, step: step, args: append([]string{command}, args...)})
	script := s.script(prog, cwd, file, pf.PartsDir, globals, stages)
	if s.Print {
		_, err := fmt.Fprint(g.stdout, script)
		return err
	}
	if _, err := exec.LookPath("sbatch"); err != nil {
		return fmt.Errorf("sbatch is not on the PATH: run this on a Slurm submission host (--print prints the script)")
	}
	path := strings.TrimSuffix(h5io.PreparePath(file, pf.PartsDir, step), ".prepare.json") + ".slurm.sh"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("could not create %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return fmt.Errorf("could not write %s: %w", path, err)
	}
	cmd := exec.CommandContext(g.ctx, "/bin/sh", path)
	cmd.Stdout, cmd.Stderr = g.stdout, g.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the submission script %s failed: %w", path, err)
	}
	return nil
}

// commandArgs splits the command line of 'eelsh5 [globals] slurm CMD
// ARGS' into the global flags and the command's ARGS without the slurm
// flags.
func commandArgs(argv []string) (globals, args []string, err error) {
	i := 1
	for i < len(argv) && argv[i] != "slurm" {
		i++
	}
	if i+1 >= len(argv) {
		return nil, nil, errors.New("internal error: no slurm command on the command line")
	}
	globals = append(globals, argv[1:i]...)
	valued := map[string]bool{"--parts": true, "--sbatch": true, "--eelsh5": true}
	single := map[string]bool{"--print": true, "--copy": true}
	rest := argv[i+2:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		name, _, hasValue := strings.Cut(a, "=")
		switch {
		case a == "--":
			args = append(args, rest[j:]...)
			return globals, args, nil
		case valued[name]:
			if !hasValue {
				j++
			}
		case single[a]:
		default:
			args = append(args, a)
		}
	}
	return globals, args, nil
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// script returns the submission script of the stages: for each, a
// preparing job, a job array of s.Parts parts after it and a merge job
// after the array; each stage's preparing job waits for the previous
// stage's merge.
func (s *slurmFlags) script(prog, cwd, file, partsDir string, globals []string, stages []slurmStage) string {
	var b strings.Builder
	logDir := partsDir
	if logDir == "" {
		logDir = filepath.Dir(file)
	}
	if !filepath.IsAbs(logDir) {
		logDir = filepath.Join(cwd, logDir)
	}
	fmt.Fprintf(&b, "#!/bin/sh\n# Written by eelsh5 %s: submits a partitioned run of %s in %d parts to Slurm.\n", version, file, s.Parts)
	fmt.Fprintf(&b, "# Each stage: a preparing job, a job array of %d parts after it, a merge after the array.\nset -e\ncd %s\n", s.Parts, shellQuote(cwd))
	// A job whose dependency failed is cancelled, not left pending.
	fmt.Fprintf(&b, "submit() { id=$(sbatch --parsable --kill-on-invalid-dep=yes --chdir=%s \"$@\"); echo \"${id%%%%;*}\"; }\n", shellQuote(cwd))
	var extra []string
	for _, o := range s.Sbatch {
		extra = append(extra, shellQuote(o))
	}
	opts := strings.Join(extra, " ")
	if opts != "" {
		opts = " " + opts
	}
	run := shellJoin(append([]string{prog}, globals...))
	after := ""
	var ids []string
	for i, st := range stages {
		name := "eelsh5-" + st.command
		out := shellQuote(filepath.Join(logDir, "%x-%j.out"))
		arr := shellQuote(filepath.Join(logDir, "%x-%A_%a.out"))
		v := fmt.Sprintf("s%d", i)
		fmt.Fprintf(&b, "\n# %s\n", shellJoin(append([]string{"eelsh5"}, st.args...)))
		fmt.Fprintf(&b, "%s_prepare=$(submit --job-name=%s-prepare --output=%s%s%s <<'EOF'\n#!/bin/sh\nexec %s %s --prepare\nEOF\n)\n",
			v, name, out, after, opts, run, shellJoin(st.args))
		fmt.Fprintf(&b, "%s_parts=$(submit --job-name=%s-parts --array=1-%d --output=%s --dependency=afterok:$%s_prepare%s <<'EOF'\n#!/bin/sh\nexec %s %s --part \"$SLURM_ARRAY_TASK_ID/%d\"\nEOF\n)\n",
			v, name, s.Parts, arr, v, opts, run, shellJoin(st.args), s.Parts)
		merge := []string{"merge", file, "--step", st.step, "--parts", fmt.Sprint(s.Parts)}
		if partsDir != "" {
			merge = append(merge, "--parts-dir", partsDir)
		}
		if s.Copy {
			merge = append(merge, "--copy")
		}
		fmt.Fprintf(&b, "%s_merge=$(submit --job-name=%s-merge --output=%s --dependency=afterok:$%s_parts%s <<'EOF'\n#!/bin/sh\nexec %s %s\nEOF\n)\n",
			v, name, out, v, opts, run, shellJoin(merge))
		fmt.Fprintf(&b, "echo \"eelsh5 slurm: %s: prepare job $%s_prepare, parts job array $%s_parts (tasks 1-%d), merge job $%s_merge\"\n", st.command, v, v, s.Parts, v)
		after = fmt.Sprintf(" --dependency=afterok:$%s_merge", v)
		ids = append(ids, "$"+v+"_prepare", "$"+v+"_parts", "$"+v+"_merge")
	}
	last := fmt.Sprintf("s%d_merge", len(stages)-1)
	fmt.Fprintf(&b, "echo \"eelsh5 slurm: watch them with 'squeue -j %s' or 'sacct -j %s'; the result is in %s once job $%s has finished (logs in %s)\"\n",
		strings.Join(ids, ","), strings.Join(ids, ","), file, last, logDir)
	return b.String()
}
