// Package simulate generates spectrum images with known truth, following
// the reference simulator (doc/algorithms.md section 8).
//
// A Scenario describes the acquisition: abundance (edge amplitude) maps,
// the t/lambda map, instrument, energy axis, zero loss, plasmons,
// background, noise, shifts and the GOS source; SeedScenario is the
// reference's four-element seed (8.6). New prepares a Simulator, whose
// Tile method fills tiles of multispectrum.Process with the core loss, the
// low loss and optionally the noise-free core loss: a Gaussian zero loss
// with Drude plasmons and Poisson plural scattering (8.1), edges convolved
// with each pixel's low loss (8.2), the reference's relabelled convolved
// power-law background and Poisson noise (8.3), and per-pixel shifts
// applied to both cubes (8.4).
//
// Every pixel draws from its own seeded random stream, so the output
// depends on the seed only, not on the tiling or the number of workers.
package simulate
