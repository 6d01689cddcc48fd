// Package fitters solves the per-pixel fitting problems of eelsh5
// (doc/algorithms.md section 6). Every solver belongs to one worker and
// allocates nothing per pixel; the package knows no components: it takes
// plain design matrices and the Model interface, and quant connects it to
// components.
//
//   - Linear (6.2): ordinary, Poisson-weighted (w = 1/max(y, 1)) and
//     non-negative (Lawson-Hanson) least squares. The weighted columns are
//     scaled to unit norm; well-conditioned pixels (condition number below
//     1e6) are solved by the corrected semi-normal equations (Cholesky, one
//     refinement step), the others by Householder QR and a Jacobi SVD of R
//     (minimum-norm solution, status Singular). The condition number is
//     reported for every pixel: estimated from the Cholesky factor (within
//     a factor sqrt(p) above the exact value) on the first path, exact on
//     the second.
//   - Fisher (6.4): Poisson Fisher information with the model as the
//     variance, its inverse (covariance) and the CRLB; RatioError for the
//     ratio of two parameters.
//   - NonLinear (6.6, 6.7): Levenberg-Marquardt least squares and Poisson
//     maximum likelihood (Fisher scoring) with box bounds.
//
// Status codes (StatusCodes) are stored with the status maps.
package fitters
