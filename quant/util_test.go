package quant

import (
	"io"
	"os"
	"strings"
	"testing"
)

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func seedModelFile(t testing.TB) *ModelFile {
	f, err := os.Open("../testdata/seed_model.toml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mf, err := ReadModelFile(f, "seed")
	if err != nil {
		t.Fatal(err)
	}
	return mf
}
