package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const (
	module = "github.com/eelsh5/eelsh5"
	hdf5   = "gonum.org/v1/hdf5"
)

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

func TestOnlyH5ioImportsHDF5(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not available")
	}
	for _, pkg := range goList(t, module+"/...") {
		if pkg == module+"/h5io" || strings.HasPrefix(pkg, module+"/cmd/") {
			continue
		}
		for _, dep := range goList(t, "-deps", pkg) {
			if dep == hdf5 || strings.HasPrefix(dep, hdf5+"/") || dep == module+"/h5io" {
				t.Errorf("%s depends on %s; only h5io may use libhdf5", pkg, dep)
			}
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(run(t, "list", "-f", "{{.ImportPath}}:{{join .Imports \" \"}}", module+"/...")), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		if pkg == module+"/h5io" {
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if imp == hdf5 || imp == "C" {
				t.Errorf("%s imports %s directly", pkg, imp)
			}
		}
	}
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go %v: %v", args, err)
	}
	return string(out)
}
