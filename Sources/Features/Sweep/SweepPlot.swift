import Foundation

/// The sweep's trade-off as a hand-written SVG: L0 (log scale) against the fraction of variance
/// explained and, when the model was given, against CE loss recovered; one point per member.
struct SweepPlot {
    let result: SweepResult

    struct Point {
        var x: Double
        var y: Double
        var label: String
    }

    // Layout of one panel, in SVG pixels.
    static let panelWidth = 470.0
    static let panelHeight = 400.0
    static let margin = (left: 78.0, right: 24.0, top: 56.0, bottom: 62.0)

    func svg() -> String {
        func label(_ member: SweepMemberResult) -> String {
            member.k.map { "k=\($0)" } ?? "λ=" + String(format: "%g", member.l1Coefficient)
        }
        let fidelity = result.members.compactMap { m -> Point? in
            guard let l0 = m.l0, let fve = m.explainedVariance, l0 > 0, fve.isFinite else { return nil }
            return Point(x: l0, y: fve, label: label(m))
        }
        let recovered = result.members.compactMap { m -> Point? in
            guard let l0 = m.l0, let ce = m.lossRecovered, l0 > 0, ce.isFinite else { return nil }
            return Point(x: l0, y: ce, label: label(m))
        }
        var panels = [(title: "Fidelity", yLabel: "fraction of variance explained", points: fidelity)]
        if !recovered.isEmpty { panels.append((title: "Downstream", yLabel: "CE loss recovered", points: recovered)) }
        let held = result.members.compactMap(\.evaluation).first.map { "held-out rows \($0.firstRow)..\($0.endRow)" } ?? "training metrics"
        let width = Self.panelWidth * Double(panels.count)
        let height = Self.panelHeight + 34
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="24" text-anchor="middle" font-size="16" font-weight="bold">\(Self.escape("SAE sweep (\(result.config.architecture.rawValue)) on \(result.config.hook): L0 against fidelity, \(held)"))</text>

            """
        for (index, panel) in panels.enumerated() {
            out += self.panel(originX: Double(index) * Self.panelWidth, originY: 34, title: panel.title,
                              yLabel: panel.yLabel, points: panel.points)
        }
        out += "</svg>\n"
        return out
    }

    private func panel(originX: Double, originY: Double, title: String, yLabel: String, points: [Point]) -> String {
        let m = Self.margin
        let left = originX + m.left, right = originX + Self.panelWidth - m.right
        let top = originY + m.top - 20, bottom = originY + Self.panelHeight - m.bottom
        var out = "<g>\n"
        out += "<text x=\(q((left + right) / 2)) y=\(q(top - 12)) text-anchor=\"middle\" font-size=\"14\">\(Self.escape(title))</text>\n"
        out += "<rect x=\(q(left)) y=\(q(top)) width=\(q(right - left)) height=\(q(bottom - top)) fill=\"none\" stroke=\"#444\"/>\n"
        guard !points.isEmpty else {
            out += "<text x=\(q((left + right) / 2)) y=\(q((top + bottom) / 2)) text-anchor=\"middle\" font-size=\"13\" fill=\"#888\">no data</text>\n</g>\n"
            return out
        }
        // x: whole decades around the L0 values.
        let logs = points.map { log10($0.x) }
        let lowDecade = floor(logs.min()!)
        var highDecade = ceil(logs.max()!)
        if highDecade <= lowDecade { highDecade = lowDecade + 1 }
        func sx(_ value: Double) -> Double { left + (log10(value) - lowDecade) / (highDecade - lowDecade) * (right - left) }
        // y: a nice step covering the values with some room.
        let ys = points.map(\.y)
        let span = max(ys.max()! - ys.min()!, 0.01)
        let step = Self.niceStep(span * 1.3 / 5)
        let yLow = floor((ys.min()! - 0.1 * span) / step) * step
        let yHigh = ceil((ys.max()! + 0.1 * span) / step) * step
        func sy(_ value: Double) -> Double { bottom - (value - yLow) / (yHigh - yLow) * (bottom - top) }

        // Grid and ticks.
        let decades = Int(highDecade - lowDecade)
        for decade in Int(lowDecade)..<Int(highDecade) + 1 {
            for multiple in 1...9 {
                let value = Double(multiple) * pow(10, Double(decade))
                let x = sx(value)
                guard x >= left - 0.5, x <= right + 0.5 else { continue }
                let major = multiple == 1
                out += "<line x1=\(q(x)) y1=\(q(top)) x2=\(q(x)) y2=\(q(bottom)) stroke=\"\(major ? "#ccc" : "#eee")\"/>\n"
                if major || (decades <= 2 && (multiple == 2 || multiple == 5)) {
                    out += "<text x=\(q(x)) y=\(q(bottom + 18)) text-anchor=\"middle\" font-size=\"12\">\(Self.tickLabel(value))</text>\n"
                }
            }
        }
        let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        var y = yLow
        while y <= yHigh + step / 2 {
            let py = sy(y)
            out += "<line x1=\(q(left)) y1=\(q(py)) x2=\(q(right)) y2=\(q(py)) stroke=\"#ddd\"/>\n"
            out += "<text x=\(q(left - 8)) y=\(q(py + 4)) text-anchor=\"end\" font-size=\"12\">\(String(format: "%.\(decimals)f", y))</text>\n"
            y += step
        }
        out += "<text x=\(q((left + right) / 2)) y=\(q(bottom + 42)) text-anchor=\"middle\" font-size=\"13\">L0 (active latents per token, log scale)</text>\n"
        let cy = (top + bottom) / 2, cx = originX + 20
        out += "<text x=\(q(cx)) y=\(q(cy)) text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 \(cx) \(cy))\">\(Self.escape(yLabel))</text>\n"

        // The trade-off curve, in L0 order, then the points and their labels.
        let sorted = points.sorted { $0.x < $1.x }
        out += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"\(sorted.map { "\(fmt(sx($0.x))),\(fmt(sy($0.y)))" }.joined(separator: " "))\"/>\n"
        for point in sorted {
            let px = sx(point.x), py = sy(point.y)
            out += "<circle cx=\(q(px)) cy=\(q(py)) r=\"5\" fill=\"#1f77b4\" stroke=\"white\" stroke-width=\"1.5\"/>\n"
            let nearRight = px > left + 0.7 * (right - left)
            out += "<text x=\(q(px + (nearRight ? -9 : 9))) y=\(q(py - 9)) text-anchor=\"\(nearRight ? "end" : "start")\" font-size=\"12\" fill=\"#123\">\(Self.escape(point.label)) (\(String(format: "%.\(decimals + 1)f", point.y)))</text>\n"
        }
        out += "</g>\n"
        return out
    }

    /// 1, 2 or 5 × a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let power = pow(10, floor(log10(raw)))
        for multiple in [1.0, 2, 2.5, 5, 10] where multiple * power >= raw { return multiple * power }
        return 10 * power
    }

    static func tickLabel(_ value: Double) -> String {
        value >= 1 ? String(format: "%.0f", value) : String(format: "%g", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
    private func q(_ value: Double) -> String { "\"\(fmt(value))\"" }
}
