#!/usr/bin/python3
"""Writes scofield_partial.csv: Scofield's Hartree-Slater partial
photoionisation cross sections of the subshells the Hartree-Slater GOS is
validated against (doc/algorithms.md 3.13), as served by xraylib 4
(Debian: python3-xraylib; T. Schoonjans et al., Spectrochim. Acta B 66
(2011) 776; data: J. H. Scofield, LLNL report UCRL-51326, 1973, via
CS_Photo_Partial). Run by `go generate ./gos` (gos/hs_optical_test.go);
xraylib is needed only then, never by eelsh5 or its tests.

Columns: element, Z, subshell, delta_eV (photon energy above the edge),
edge_eV (xraylib EdgeEnergy), sigma_cm2 (partial cross section per atom,
CS_Photo_Partial in cm^2/g times AtomicWeight / Avogadro).
"""
import sys
import xraylib as x

AVOGADRO = 6.02214076e23
CASES = [("C", 6, "K"), ("O", 8, "K"), ("Ti", 22, "L3"), ("Fe", 26, "L3"), ("Sr", 38, "L3"),
         ("Ba", 56, "M5"), ("U", 92, "M5"), ("U", 92, "N5")]
DELTAS = [20, 30, 50, 75, 100, 150, 200, 300, 400, 500]
SHELL = {"K": x.K_SHELL, "L3": x.L3_SHELL, "M5": x.M5_SHELL, "N5": x.N5_SHELL}

out = open(sys.argv[1] if len(sys.argv) > 1 else "scofield_partial.csv", "w")
out.write("# Scofield partial photoionisation cross sections from xraylib %s CS_Photo_Partial; "
          "written by gos/testdata/scofield_partial.py\n" % getattr(x, "__version__", "?"))
out.write("element,Z,subshell,delta_eV,edge_eV,sigma_cm2\n")
for el, z, sub in CASES:
    edge = x.EdgeEnergy(z, SHELL[sub]) * 1e3
    a = x.AtomicWeight(z)
    for d in DELTAS:
        s = x.CS_Photo_Partial(z, SHELL[sub], (edge + d) / 1e3) * a / AVOGADRO
        out.write("%s,%d,%s,%g,%.6g,%.6e\n" % (el, z, sub, d, edge, s))
out.close()
