import Foundation

extension SweepResult {
    /// The sweep as a Markdown table (one row per member), then the baselines' monosemanticity.
    public func markdown() -> String {
        var lines: [String] = []
        let c = config
        lines.append("# SAE sweep: \(c.architectureTitle) on \(c.hook)")
        lines.append("")
        lines.append("Store `\(c.store)`, \(c.epochs) epochs, batch \(c.batchSize), lr \(String(format: "%g", c.learningRate)), "
                     + "expansion \(c.expansionFactor), seed \(c.seed); \(batchCount) batches read once for \(members.count) SAEs "
                     + String(format: "in %.1f s.", trainingSeconds))
        let evaluated = members.compactMap(\.evaluation).first
        if let e = evaluated {
            lines.append("Evaluated on rows \(e.firstRow)..\(e.endRow) (\(e.rowSelection)).")
        }
        lines.append("")
        let k = c.evaluation?.topK ?? 20
        lines.append("| SAE | arch | λ | k | L0 | FVE | MSE | dead | dense | ΔCE (nats) | KL (nats) | CE recovered vs zero / mean | top-\(k) same token | ≥½max token mass | ≥½max token entropy (bits) |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        func number(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "—" }
        for m in members {
            if let failure = m.failure {
                lines.append("| \(m.name) | \(m.architecture?.rawValue ?? c.architecture.rawValue) | \(String(format: "%g", m.l1Coefficient)) | \(m.k.map(String.init) ?? "—") | failed: \(failure.replacingOccurrences(of: "|", with: "/")) | | | | | | | | | | | |")
                continue
            }
            let r = m.evaluation?.reconstruction
            let features = m.evaluation?.features
            lines.append("| \(m.name) | \(m.architecture?.rawValue ?? c.architecture.rawValue) | \(String(format: "%g", m.l1Coefficient)) | \(m.k.map(String.init) ?? "—") | "
                         + "\(number(m.l0, "%.1f")) | \(number(m.explainedVariance, "%.4f")) | \(number(r?.mse, "%.4g")) | "
                         + "\(r.map { "\($0.deadFeatureCount)" } ?? "—") | \(r.map { "\($0.denseFeatureCount)" } ?? "—") | "
                         + "\(number(m.evaluation?.downstream?.lossIncrease, "%.4f")) | \(number(m.evaluation?.downstream?.klDivergence, "%.4g")) | "
                         + "\(number(m.lossRecovered.map { 100 * $0 }, "%.2f%%")) / \(number((m.evaluation?.downstream?.lossRecoveredAgainstMean).map { 100 * $0 }, "%.2f%%")) | "
                         + "\(number(features?.summary(.topKTokenShare)?.median, "%.2f")) | "
                         + "\(number(features?.summary(.tokenMassShare)?.median, "%.2f")) | "
                         + "\(number(features?.summary(.tokenEntropyBits)?.median, "%.2f")) |")
        }
        let baselines = members.compactMap(\.evaluation).first { $0.monosemanticity.count > 1 }?.monosemanticity.dropFirst() ?? []
        if !baselines.isEmpty {
            lines.append("")
            lines.append("Baselines (medians over units with ≥ \(k) firing rows):")
            lines.append("")
            lines.append("| units | activation | measured | top-\(k) same token | ≥½max token mass | ≥½max token entropy (bits) |")
            lines.append("|---|---|---|---|---|---|")
            for b in baselines {
                lines.append("| \(b.kind) (\(b.source)) | \(b.activation.replacingOccurrences(of: "|", with: "\\|")) | \(b.measuredUnitCount)/\(b.unitCount) | "
                             + "\(number(b.summary(.topKTokenShare)?.median, "%.2f")) | \(number(b.summary(.tokenMassShare)?.median, "%.2f")) | "
                             + "\(number(b.summary(.tokenEntropyBits)?.median, "%.2f")) |")
            }
        }
        lines.append("")
        lines.append("![L0 against fidelity](\(Self.plotFileName))")
        return lines.joined(separator: "\n") + "\n"
    }
}
