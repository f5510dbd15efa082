import BLASKernels
import Foundation

/// Every JSON line a benchmark prints names the BLAS kernel set it ran on: OPENBLAS_CORETYPE's
/// when the caller set it, otherwise what saestore's kernel selection chose at startup
/// (`saestore_blas_selected` says whether the selection re-executed with a better set).
func withKernelSet(_ fields: [String: Any]) -> [String: Any] {
    var fields = fields
    fields["kernel_set"] = OpenBLAS.coreName
    let environment = ProcessInfo.processInfo.environment
    let selected = environment[KernelSelector.selectedVariable]
    // After a selection re-exec the variable is set by saestore, not by the caller.
    fields["openblas_coretype"] = selected == nil ? (environment["OPENBLAS_CORETYPE"] ?? "(unset)") : "(unset)"
    fields["saestore_blas_selected"] = selected ?? "(none)"
    return fields
}
