// Package simulate generates spectrum images with known truth: core-loss
// and low-loss cubes of a scan whose elemental abundance maps, thickness
// map and per-pixel energy shifts are given, following the reference
// simulator (ALGORITHMS.md section 8): a Gaussian zero loss with Drude
// plasmons and Poisson plural scattering as the low loss; a power-law
// background convolved with each pixel's low loss; edges from any GOS
// source convolved with it; Poisson noise; and shifts applied to both
// cubes.
//
// Every pixel is computed from its own seeded random stream, so the
// output depends on the seed only, not on the tiling or the number of
// workers.
package simulate
