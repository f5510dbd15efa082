import Foundation

extension EvaluationResult {
    /// A plain-text report: reconstruction, downstream loss, and the monosemanticity
    /// distributions of the unit kinds side by side.
    public func table() -> String {
        var lines: [String] = []
        let shape = "\(architecture), d_in \(dIn), d_sae \(dSAE)" + (k.map { ", k \($0)" } ?? "")
        lines.append("SAE     \(saeDirectory)  (\(shape))")
        lines.append("store   \(store)  column \(hook)")
        lines.append("rows    \(firstRow)..\(endRow) (\(rowSelection), \(endRow - firstRow) rows, \(excludedRowCount) left out)")
        let r = reconstruction
        lines.append("")
        lines.append("Reconstruction (\(r.rowCount) rows)")
        func row(_ label: String, _ value: String) { lines.append("  " + label.padding(toLength: 32, withPad: " ", startingAt: 0) + value) }
        row("MSE (per element)", String(format: "%.6g", r.mse))
        row("fraction of variance explained", String(format: "%.4f", r.explainedVariance))
        row("L0", String(format: "%.1f of %d", r.l0, r.latentCount))
        row("dead features", String(format: "%d (%.1f%%), no firing on these rows", r.deadFeatureCount,
                                    100 * Double(r.deadFeatureCount) / Double(max(r.latentCount, 1))))
        row("dense features", String(format: "%d (%.1f%%), firing on > %g%% of rows", r.denseFeatureCount,
                                     100 * Double(r.denseFeatureCount) / Double(max(r.latentCount, 1)), 100 * r.denseThreshold))
        if r.activationScale != 1 { row("normalisation scale", String(format: "%.6g", r.activationScale)) }
        if let d = downstream {
            lines.append("")
            lines.append("Downstream (\(d.model), \(d.windowCount) windows, \(d.predictedTokenCount) predicted tokens)")
            row("rows replaced (each run)", "\(d.splicedRowCount) (the same rows spliced, zeroed and mean-ablated)")
            row("CE loss clean", String(format: "%.4f nats/token", d.cleanLoss))
            row("CE loss with SAE", String(format: "%.4f   ΔCE %+.4f nats/token", d.saeLoss, d.lossIncrease))
            row("CE loss zero-ablated", String(format: "%.4f", d.zeroAblationLoss))
            row("CE loss mean-ablated", String(format: "%.4f", d.meanAblationLoss))
            row("CE loss recovered", String(format: "%.2f%% vs zero, %.2f%% vs mean", 100 * d.lossRecovered, 100 * d.lossRecoveredAgainstMean))
            row("KL(clean ‖ SAE)", String(format: "%.4g nats/token (zero %.4g, mean %.4g)", d.klDivergence,
                                               d.zeroAblationKLDivergence, d.meanAblationKLDivergence))
        }
        if !monosemanticity.isEmpty {
            let k = config.topK
            lines.append("")
            lines.append("Monosemanticity (units with ≥ \(k) firing rows; median [q1, q3] mean)")
            let width = 28
            var header = "  " + "".padding(toLength: width, withPad: " ", startingAt: 0)
            var sub = header
            for kind in monosemanticity {
                header += kind.kind.padding(toLength: 27, withPad: " ", startingAt: 0)
                sub += "\(kind.activation), \(kind.measuredUnitCount)/\(kind.unitCount)".padding(toLength: 27, withPad: " ", startingAt: 0)
            }
            lines.append(header)
            lines.append(sub)
            for measure in MonosemanticityMeasure.allCases {
                var line = "  " + measure.title(topK: k).padding(toLength: width, withPad: " ", startingAt: 0)
                for kind in monosemanticity {
                    let cell = kind.summary(measure).map {
                        String(format: "%.2f [%.2f, %.2f] %.2f", $0.median, $0.q1, $0.q3, $0.mean)
                    } ?? "—"
                    line += cell.padding(toLength: 27, withPad: " ", startingAt: 0)
                }
                lines.append(line)
            }
        }
        for note in notes { lines.append("note: \(note)") }
        return lines.joined(separator: "\n")
    }
}
