package tiff_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/eelsh5/eelsh5/formats/tiff"
)

// A stack of two 3x2 maps with 0.5 nm pixels, written for ImageJ and read
// back.
func ExampleNewWriter() {
	var buf bytes.Buffer
	w, err := tiff.NewWriter(&buf, 3, 2, 2, tiff.Options{ImageJ: true, Calibration: tiff.Calibration{PixelSize: 0.5, Unit: "nm"}})
	if err != nil {
		log.Fatal(err)
	}
	w.WritePage([]float32{1, 2, 3, 4, 5, 6}, "C K", "C K (at.%)")
	w.WritePage([]float32{7, 8, 9, 10, 11, 12}, "N K", "N K (at.%)")
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	f, err := tiff.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		log.Fatal(err)
	}
	size, unit := f.PixelSize()
	fmt.Printf("%d pages of %dx%d, %g %s pixels, ImageJ slices=%s\n", len(f.Pages), f.Pages[0].Width, f.Pages[0].Height, size, unit, f.ImageJ["slices"])
	for k, p := range f.Pages {
		fmt.Printf("%s: %v (label %q)\n", p.Name, p.Pix, f.Labels[k])
	}
	// Output:
	// 2 pages of 3x2, 0.5 nm pixels, ImageJ slices=2
	// C K: [1 2 3 4 5 6] (label "C K (at.%)")
	// N K: [7 8 9 10 11 12] (label "N K (at.%)")
}
