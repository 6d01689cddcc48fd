package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSlurmScriptText checks the submission script of 'eelsh5 slurm
// quant --print' on a file without an alignment: six jobs (prepare,
// array, merge for align, then for quant), each stage's preparing job
// after the previous merge, the array after its preparing job, the merge
// after the array, the sbatch options on every job, and the command's
// own flags (not the slurm ones) passed to every job.
func TestSlurmScriptText(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.nxs")
	if _, errs, code := eelsh5(t, "simulate", file, "--size", "6", "-q"); code != 0 {
		t.Fatal(errs)
	}
	out, errs, code := eelsh5(t, "-q", "slurm", "quant", file, "--parts", "3", "--print", "--sbatch=--time=10", "--eelsh5", "/opt/eelsh5",
		"--elements", "C,N", "--edges", "K,K", "--method", "poisson")
	if code != 0 {
		t.Fatal(errs)
	}
	for _, want := range []string{
		"s0_prepare=$(submit --job-name=eelsh5-align-prepare",
		"exec /opt/eelsh5 -q align " + file + " --method fast --prepare",
		"s0_parts=$(submit --job-name=eelsh5-align-parts --array=1-3",
		"--dependency=afterok:$s0_prepare --time=10",
		`--part "$SLURM_ARRAY_TASK_ID/3"`,
		"s0_merge=$(submit --job-name=eelsh5-align-merge",
		"--dependency=afterok:$s0_parts --time=10",
		"exec /opt/eelsh5 -q merge " + file + " --step alignment --parts 3",
		"s1_prepare=$(submit --job-name=eelsh5-quant-prepare --output=" + filepath.Join(dir, "%x-%j.out") + " --dependency=afterok:$s0_merge --time=10",
		"exec /opt/eelsh5 -q quant " + file + " --elements C,N --edges K,K --method poisson --prepare",
		"--dependency=afterok:$s1_prepare",
		"exec /opt/eelsh5 -q merge " + file + " --step quant --parts 3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the script lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "--print") || strings.Contains(out, "--parts 3 --") && strings.Contains(out, "quant "+file+" --parts") {
		t.Errorf("slurm flags passed to the jobs:\n%s", out)
	}
	if _, errs, code := eelsh5(t, "slurm", "quant", file, "--parts", "3", "--part", "1/3", "--print", "--elements", "C", "--edges", "K"); code != 2 || !strings.Contains(errs, "--part and --prepare are what the jobs run") {
		t.Errorf("slurm with --part: exit %d: %s", code, errs)
	}
}

// slurmCluster is a throwaway one-node Slurm on localhost: munged,
// slurmctld and slurmd started by the test with a configuration in a
// temporary directory, stopped by their PIDs.
type slurmCluster struct {
	dir   string
	conf  string
	procs []*exec.Cmd
}

// startSlurm starts the cluster, or skips the test when Slurm or MUNGE is
// not installed or the test does not run as root (EELSH5_REQUIRE_SLURM=1,
// as .ci/run sets it, makes that a failure).
func startSlurm(t *testing.T) *slurmCluster {
	t.Helper()
	skip := func(why string) {
		if os.Getenv("EELSH5_REQUIRE_SLURM") == "1" {
			t.Fatalf("EELSH5_REQUIRE_SLURM=1 but %s", why)
		}
		t.Skip(why + " (apt-get install -y slurm-wlm munge, as root, to run it)")
	}
	if os.Geteuid() != 0 {
		skip("the Slurm test starts munged, slurmctld and slurmd and needs root")
	}
	for _, p := range []string{"munged", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo"} {
		if _, err := exec.LookPath(p); err != nil {
			if _, err := os.Stat("/usr/sbin/" + p); err != nil {
				skip(p + " is not installed")
			}
		}
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	host, _, _ = strings.Cut(host, ".")
	// A short path: the MUNGE socket's path must fit a sockaddr_un.
	dir, err := os.MkdirTemp("", "eelsh5-slurm")
	if err != nil {
		t.Fatal(err)
	}
	c := &slurmCluster{dir: dir, conf: filepath.Join(dir, "slurm.conf")}
	t.Cleanup(func() {
		c.stop(t)
		if t.Failed() {
			for _, l := range []string{"munged.log", "slurmctld.log", "slurmd.log"} {
				b, _ := os.ReadFile(filepath.Join(dir, l))
				t.Logf("%s:\n%s", l, tail(string(b), 3000))
			}
		}
		os.RemoveAll(dir)
	})
	key := make([]byte, 1024)
	rand.Read(key)
	for _, d := range []string{"state", "spool"} {
		os.MkdirAll(filepath.Join(dir, d), 0o700)
	}
	if err := os.WriteFile(filepath.Join(dir, "munge.key"), key, 0o400); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "munge.socket")
	c.start(t, "munged", "-F", "-f", "--key-file="+filepath.Join(dir, "munge.key"), "--socket="+sock, "--pid-file="+filepath.Join(dir, "munged.pid"),
		"--log-file="+filepath.Join(dir, "munged.log"), "--seed-file="+filepath.Join(dir, "munged.seed"))
	waitFor(t, 10*time.Second, "the MUNGE socket", func() bool { _, err := os.Stat(sock); return err == nil })
	conf := fmt.Sprintf(`ClusterName=eelsh5test
SlurmctldHost=%[1]s(127.0.0.1)
SlurmctldPort=%[2]d
SlurmdPort=%[3]d
AuthType=auth/munge
AuthInfo=socket=%[4]s
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=%[5]s/state
SlurmdSpoolDir=%[5]s/spool
SlurmctldPidFile=%[5]s/slurmctld.pid
SlurmdPidFile=%[5]s/slurmd.pid
SlurmctldLogFile=%[5]s/slurmctld.log
SlurmdLogFile=%[5]s/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
SchedulerParameters=defer_batch
NodeName=%[1]s NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=%[1]s Default=YES MaxTime=INFINITE State=UP
`, host, freePort(t), freePort(t), sock, dir)
	if err := os.WriteFile(c.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLURM_CONF", c.conf)
	c.start(t, "slurmctld", "-D", "-c", "-f", c.conf)
	c.start(t, "slurmd", "-D", "-f", c.conf, "-N", host)
	waitFor(t, 60*time.Second, "the node to be idle", func() bool {
		out, _ := exec.Command("sinfo", "-h", "-o", "%t").Output()
		return strings.TrimSpace(string(out)) == "idle"
	})
	return c
}

func (c *slurmCluster) start(t *testing.T, name string, args ...string) {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		path = "/usr/sbin/" + name
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = nil, nil
	cmd.Env = append(os.Environ(), "SLURM_CONF="+c.conf)
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c.procs = append(c.procs, cmd)
}

// stop ends the daemons the test started, by their PIDs, newest first.
func (c *slurmCluster) stop(t *testing.T) {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			p.Process.Kill()
			<-done
		}
	}
	c.procs = nil
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// jobState returns the state of a Slurm job (COMPLETED, FAILED, ...).
func jobState(id string) string {
	out, _ := exec.Command("scontrol", "show", "job", id).Output()
	m := regexp.MustCompile(`JobState=(\S+)`).FindAllSubmatch(out, -1)
	var states []string
	for _, s := range m {
		states = append(states, string(s[1]))
	}
	return strings.Join(states, ",")
}

// TestSlurmQuant runs 'eelsh5 slurm quant' on the 64x64 seed scenario in
// 4 parts on a throwaway one-node Slurm (startSlurm): the file has no
// alignment, so the script submits the partitioned alignment first, then
// the partitioned quant; the test waits for the last merge job and
// compares the alignment and quant steps with a whole run, bit for bit
// (mean spectra to 1e-12).
func TestSlurmQuant(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("starts a Slurm cluster (run without -short and without the race detector)")
	}
	startSlurm(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "s.nxs")
	if _, errs, code := eelsh5(t, "simulate", file, "--size", "64", "-q"); code != 0 {
		t.Fatal(errs)
	}
	whole := filepath.Join(dir, "whole.nxs")
	copyFile(t, file, whole)
	if _, errs, code := eelsh5(t, append([]string{"-q", "quant", whole}, partModel...)...); code != 0 {
		t.Fatal(errs)
	}
	// The jobs run this test binary as eelsh5 (TestMain).
	t.Setenv("EELSH5_TEST_CLI", "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	stdout, errs, code := eelsh5(t, append([]string{"slurm", "quant", file, "--parts", "4", "--eelsh5", exe, "--sbatch=--cpus-per-task=1"}, partModel...)...)
	if code != 0 {
		t.Fatalf("eelsh5 slurm quant: exit %d\n%s\n%s", code, stdout, errs)
	}
	m := regexp.MustCompile(`quant: prepare job (\d+), parts job array (\d+) \(tasks 1-4\), merge job (\d+)`).FindStringSubmatch(stdout)
	if m == nil || !strings.Contains(stdout, "align: prepare job") || !strings.Contains(stdout, "squeue -j") {
		t.Fatalf("the job ids are not printed:\n%s", stdout)
	}
	merge := m[3]
	logs := func() string {
		var b strings.Builder
		files, _ := filepath.Glob(filepath.Join(dir, "*.out"))
		for _, f := range files {
			s, _ := os.ReadFile(f)
			fmt.Fprintf(&b, "%s:\n%s\n", filepath.Base(f), tail(string(s), 1000))
		}
		return b.String()
	}
	end := time.Now().Add(5 * time.Minute)
	for {
		st := jobState(merge)
		if st == "COMPLETED" {
			break
		}
		if st == "" || strings.Contains(st, "FAIL") || strings.Contains(st, "CANCEL") || strings.Contains(st, "TIMEOUT") || time.Now().After(end) {
			q, _ := exec.Command("squeue").CombinedOutput()
			t.Fatalf("merge job %s: %q\n%s\n%s", merge, st, q, logs())
		}
		time.Sleep(500 * time.Millisecond)
	}
	want, ws := stepDataQuant(t, whole)
	got, gs := stepDataQuant(t, file)
	compareData(t, "slurm", want, got)
	if gs != ws {
		t.Errorf("summary of the Slurm run\n%s\nwhole run\n%s", gs, ws)
	}
}

// stepDataQuant reads the alignment and quant steps' per-pixel datasets
// and the quant summary.
func stepDataQuant(t *testing.T, path string) (map[string][]float64, string) {
	t.Helper()
	q, s := readQuant(t, path)
	f := digestAlignment(t, path)
	for k, v := range f {
		q[k] = v
	}
	return q, s
}

// digestAlignment reads the aligned cubes and the shift map.
func digestAlignment(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	out := map[string][]float64{}
	f, err := openHDF5(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, c := range []string{"/entry/alignment/lowloss", "/entry/alignment/coreloss"} {
		cube, err := f.ReadCube(c)
		if err != nil {
			t.Fatal(err)
		}
		out[c] = cube.Data
	}
	v, _, err := f.ReadFloats("/entry/alignment/shifts/shift")
	if err != nil {
		t.Fatal(err)
	}
	out["shifts"] = v
	return out
}
