package h5io

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileSHA256: FileSHA256 (the provenance of every step's input)
// gives the SHA-256 of the file's bytes (crypto/sha256.Sum256 of the
// whole content) for sizes from empty to several MiB, and a missing file
// is an error naming it.
func TestFileSHA256(t *testing.T) {
	dir := t.TempDir()
	rnd := rand.New(rand.NewPCG(7, 8))
	const block = 1 << 20 // sizes around and across 1 MiB
	for _, n := range []int{0, 1, block - 1, block, block + 1, 4*block + 17, 11 * block / 2} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		path := filepath.Join(dir, "f")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := FileSHA256(path)
		sum := sha256.Sum256(b)
		if want := hex.EncodeToString(sum[:]); err != nil || got != want {
			t.Errorf("%d bytes: %s (%v), want %s", n, got, err, want)
		}
	}
	if _, err := FileSHA256(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing file: %v", err)
	}
}
