import BLASKernels
import Foundation

/// Every JSON line a benchmark prints names the BLAS kernel set it ran on (saestore-bench does
/// no kernel selection of its own: the set is OpenBLAS's choice or OPENBLAS_CORETYPE's).
func withKernelSet(_ fields: [String: Any]) -> [String: Any] {
    var fields = fields
    fields["kernel_set"] = OpenBLAS.coreName
    fields["openblas_coretype"] = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "(unset)"
    return fields
}
