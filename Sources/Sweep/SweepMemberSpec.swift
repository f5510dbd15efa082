import Evaluation
import SAELoading
import StreamTrain

/// One member of a sweep across architectures (`saestore sweep --member SPEC`, repeatable):
/// an architecture and its sparsity knob, so tied, TopK, BatchTopK, JumpReLU, gated and
/// Matryoshka SAEs train side by side from one pass over the store and are evaluated on the
/// same held-out rows (docs/EVALUATION.md, "Sweeps").
///
/// Written `ARCH:key=value:key=value…`, e.g. `tied:l1=1e-2`, `topk:k=16`,
/// `batchtopk:k=16:auxk=0.03125:dead-window=100000`, `jumprelu:l0=1`,
/// `matryoshka:k=16:widths=64,256`, `gated:l1=3e-2:name=gated-strong`. Keys: `l1` (λ; tied,
/// standard, gated), `k` (TopK family), `l0` (JumpReLU's sparsity weight), `widths`
/// (Matryoshka's nested prefixes), `auxk` (AuxK weight, TopK family), `dead-window` (the
/// dead-latent window in rows, which AuxK reads) and `name` (the member's directory; default
/// from the architecture and its knob, e.g. `topk-k16`). Every other setting is the sweep's.
public struct SweepMemberSpec: Codable, Sendable, Equatable {
    /// The member's architecture.
    public var architecture: SAEArchitecture
    /// λ of the L1 term (tied, standard, gated); nil: 0 for those, unused for the others.
    public var l1Coefficient: Double?
    /// Latents kept per row (topk, batchtopk, matryoshka).
    public var k: Int?
    /// JumpReLU's sparsity weight (SAELens l0_coefficient); nil: SAEConfig's default (1).
    public var l0Coefficient: Double?
    /// Matryoshka's nested prefix widths (latents), strictly increasing.
    public var matryoshkaWidths: [Int]?
    /// Weight of the AuxK dead-latent loss (TopK family); nil: off.
    public var auxKCoefficient: Double?
    /// Dead-latent window of this member's trainer, in rows; nil: the sweep's default.
    public var deadWindowTokens: Int?
    /// Directory name under the sweep's output; nil: `defaultName`.
    public var name: String?

    /// A member with the given knobs; `parse` builds one from its `--member` text.
    public init(architecture: SAEArchitecture, l1Coefficient: Double? = nil, k: Int? = nil, l0Coefficient: Double? = nil,
                matryoshkaWidths: [Int]? = nil, auxKCoefficient: Double? = nil, deadWindowTokens: Int? = nil, name: String? = nil) {
        self.architecture = architecture
        self.l1Coefficient = l1Coefficient
        self.k = k
        self.l0Coefficient = l0Coefficient
        self.matryoshkaWidths = matryoshkaWidths
        self.auxKCoefficient = auxKCoefficient
        self.deadWindowTokens = deadWindowTokens
        self.name = name
    }

    /// Parses `ARCH:key=value:…`. Throws `EvaluationError.invalidArgument` naming the spec and
    /// the part that is wrong: an unknown architecture or key, a value that is not a number, a
    /// key given twice, or a knob the architecture does not have.
    public static func parse(_ text: String) throws -> SweepMemberSpec {
        func fail(_ why: String) -> EvaluationError { .invalidArgument("--member \(text): \(why)") }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let architecture = SAEArchitecture(rawValue: parts[0]) else {
            throw fail("'\(parts[0])' is not an architecture (\(SAEArchitecture.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var spec = SweepMemberSpec(architecture: architecture)
        var seen = Set<String>()
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, !pair[1].isEmpty else { throw fail("'\(part)' is not key=value") }
            let (key, value) = (pair[0], pair[1])
            guard seen.insert(key).inserted else { throw fail("\(key) is given twice") }
            func double() throws -> Double {
                guard let x = Double(value), x.isFinite else { throw fail("\(key)=\(value) is not a finite number") }
                return x
            }
            func int() throws -> Int {
                guard let x = Int(value) else { throw fail("\(key)=\(value) is not an integer") }
                return x
            }
            switch key {
            case "l1": spec.l1Coefficient = try double()
            case "k": spec.k = try int()
            case "l0": spec.l0Coefficient = try double()
            case "auxk": spec.auxKCoefficient = try double()
            case "dead-window": spec.deadWindowTokens = try int()
            case "name": spec.name = value
            case "widths":
                let widths = value.split(separator: ",").map { Int($0) }
                guard !widths.isEmpty, widths.allSatisfy({ $0 != nil }) else { throw fail("widths=\(value) is not comma-separated latent counts") }
                spec.matryoshkaWidths = widths.map { $0! }
            default: throw fail("unknown key '\(key)' (l1, k, l0, widths, auxk, dead-window, name)")
            }
        }
        try spec.check(fail)
        return spec
    }

    /// Throws (through `fail`) when a knob does not fit the architecture or a needed one is missing.
    func check(_ fail: (String) -> EvaluationError) throws {
        let a = architecture
        if l1Coefficient != nil, a.usesK || a == .jumprelu { throw fail("l1 applies to tied, standard and gated only") }
        if let l1Coefficient, l1Coefficient < 0 { throw fail("l1 must be >= 0") }
        if a.usesK, k == nil { throw fail("\(a.rawValue) needs k (e.g. \(a.rawValue):k=16)") }
        if !a.usesK, k != nil { throw fail("k applies to topk, batchtopk and matryoshka only") }
        if a != .jumprelu, l0Coefficient != nil { throw fail("l0 applies to jumprelu only") }
        if a == .matryoshka, matryoshkaWidths == nil { throw fail("matryoshka needs widths (e.g. matryoshka:k=16:widths=64,256)") }
        if a != .matryoshka, matryoshkaWidths != nil { throw fail("widths applies to matryoshka only") }
        if !a.usesK, auxKCoefficient != nil { throw fail("auxk applies to topk, batchtopk and matryoshka only") }
        if let deadWindowTokens, deadWindowTokens < 1 { throw fail("dead-window must be at least 1 row") }
        if let name, name.isEmpty || name.contains("/") || name.hasPrefix(".") { throw fail("name '\(name)' is not a plain directory name") }
    }

    /// `topk-k16`, `tied-l1-0.01`, `jumprelu-l0-1`, `matryoshka-k16`, `batchtopk-k16-auxk`…:
    /// the architecture, then its knob, then `-auxk` when AuxK is on.
    public var defaultName: String {
        var text = architecture.rawValue
        if let k { text += "-k\(k)" }
        if let l1Coefficient { text += "-l1-" + SweepConfig.format(l1Coefficient) }
        if let l0Coefficient { text += "-l0-" + SweepConfig.format(l0Coefficient) }
        if let auxKCoefficient, auxKCoefficient > 0 { text += "-auxk" }
        return text
    }

    /// Writes the member's knobs into `config` (built from the sweep's shared settings).
    func apply(to config: inout SAEConfig) {
        config.architecture = architecture
        config.l1Coefficient = l1Coefficient ?? 0
        if let k { config.k = k }
        if let l0Coefficient { config.l0Coefficient = l0Coefficient }
        if let matryoshkaWidths { config.matryoshkaWidths = matryoshkaWidths }
        if let auxKCoefficient { config.auxKCoefficient = auxKCoefficient }
    }
}
