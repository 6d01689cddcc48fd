// Package quant is the quantification workflow of eelsh5: it reads model
// descriptions, builds components.Model values from them, and fits every
// pixel of a spectrum image with the fitters, convolving the edge
// columns with each pixel's own low loss (ALGORITHMS.md sections 5, 6
// and 9). It knows no file format: commands stream tiles through it.
package quant
