// Package random holds the random variates eelsh5 needs: Poisson draws a
// Poisson variate by multiplication of uniforms for small means and by
// Hörmann's transformed rejection (PTRS) otherwise, as the simulator's
// noise (doc/algorithms.md 8.3).
package random
