/// Which OpenBLAS kernel family the process uses, and why (see `GPT2Model.blasKernelSelection`).
public struct BLASKernelSelection: Sendable, Equatable, CustomStringConvertible {
    /// Kernel family in use, as OpenBLAS names it ("SkylakeX", "Haswell", …).
    public var coreName: String
    /// What OpenBLAS picked on its own at load time.
    public var originalCoreName: String
    /// Why the choice was kept or changed.
    public var reason: String

    public var description: String {
        coreName == originalCoreName ? "OpenBLAS \(coreName) kernels (\(reason))"
            : "OpenBLAS \(coreName) kernels instead of \(originalCoreName) (\(reason))"
    }
}
