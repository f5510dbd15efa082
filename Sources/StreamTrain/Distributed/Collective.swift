/// The collective operations data-parallel training needs: every rank calls each of them in
/// the same order. `MPICollective` runs them over MPI; `SingleProcessCollective` is the
/// one-rank identity (a plain `saestore train`).
public protocol Collective: AnyObject {
    /// This process's rank, 0..<rankCount.
    var rank: Int { get }
    /// Processes in the job.
    var rankCount: Int { get }
    /// Replaces `values` on every rank by the element-wise sum over ranks.
    func sumInPlace(_ values: inout [Float]) throws
    /// Replaces `values` on every rank by the element-wise sum over ranks.
    func sumInPlace(_ values: inout [Double]) throws
    /// Replaces `bytes` on every rank by rank `root`'s (all ranks pass the same count).
    func broadcast(_ bytes: inout [UInt8], root: Int) throws
    /// Returns once every rank has called it.
    func barrier() throws
}

extension Collective {
    /// Rank 0 writes logs, checkpoints and exports.
    public var isRoot: Bool { rank == 0 }
}

/// One process: every collective is the identity.
public final class SingleProcessCollective: Collective {
    /// The one-rank collective.
    public init() {}
    /// Always 0.
    public var rank: Int { 0 }
    /// Always 1.
    public var rankCount: Int { 1 }
    /// The sum over one rank: `values` unchanged.
    public func sumInPlace(_ values: inout [Float]) throws {}
    /// The sum over one rank: `values` unchanged.
    public func sumInPlace(_ values: inout [Double]) throws {}
    /// Rank 0's bytes are these bytes: unchanged.
    public func broadcast(_ bytes: inout [UInt8], root: Int) throws {}
    /// Returns at once.
    public func barrier() throws {}
}
