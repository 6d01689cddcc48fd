// Package classic holds the conventional EELS operations that come before,
// or instead of, model-based fitting: the log-ratio thickness (Thickness),
// Fourier-log and Fourier-ratio deconvolution (FourierLog, FourierRatio),
// power-law background subtraction with edge integration and the partial
// cross section (Integrate), jump-ratio and edge maps (JumpRatio), and the
// spectrum-image operations Crop, Bin, Sum and Calibrate.
//
// Every operation reads one or more cubes of an Input (a low loss, a core
// loss, each a multispectrum.Source read tile by tile) and streams its
// outputs through multispectrum.Process into a Destination: one I/O
// goroutine, N workers each with its own workspace, nothing allocated per
// pixel. The destination is told the outputs before the first tile
// (Begin with a Plan: names, kinds, widths, axes and units of the
// streams), so that a processing file can create a step for them
// (h5io.ClassicDestination) and memory its arrays (Memory).
//
// Formulas and their sources are in doc/algorithms.md section 12:
// Egerton, Electron Energy-Loss Spectroscopy in the Electron Microscope,
// 3rd ed. (Springer 2011); Iakoubovskii et al., Microsc. Res. Tech. 71
// (2008) 626; Malis et al., J. Electron Microsc. Tech. 8 (1988) 193;
// Johnson and Spence, J. Phys. D 7 (1974) 771.
//
// Energies are in eV, angles in rad, beam energies in V (as everywhere in
// eelsh5), thicknesses in nm, areal densities in atoms/nm^2 and cross
// sections in barn.
package classic
