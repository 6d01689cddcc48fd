// Package fitters solves the per-pixel fitting problems of eelsh5
// (ALGORITHMS.md section 6) with workspaces owned by one worker, so that
// nothing is allocated per pixel:
//
//   - Linear: ordinary, Poisson-weighted (w = 1/max(y, 1)) and
//     non-negative least squares of a design matrix. The columns (power
//     laws among them, nearly collinear) are weighted and scaled to unit
//     norm, then factorised by Householder QR; the small triangular factor
//     R gets a one-sided Jacobi SVD, which gives the exact 2-norm condition
//     number of every pixel's scaled system and the reference's
//     minimum-norm solution with singular values below eps * s_max
//     treated as zero. QR never forms the normal equations, whose
//     condition number would be the square of the design's.
//   - Fisher / CRLB: the Cramér-Rao lower bounds with the model as the
//     Poisson variance (6.4) and the full covariance.
//   - NonLinear: Levenberg-Marquardt least squares and Poisson maximum
//     likelihood with bounds, for models with non-linear parameters.
//
// fitters knows no components: it consumes plain matrices and the Model
// interface, and quant composes it with components.
package fitters
