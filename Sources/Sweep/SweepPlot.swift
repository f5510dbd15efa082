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
            // Across architectures a knob alone is ambiguous (and JumpReLU's is neither λ nor k):
            // the member's name says whose it is.
            if result.config.memberSpecs?.isEmpty == false { return member.name }
            return member.k.map { "k=\($0)" } ?? "λ=" + String(format: "%g", member.l1Coefficient)
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
            <text x="\(width / 2)" y="24" text-anchor="middle" font-size="16" font-weight="bold">\(Self.escape("SAE sweep (\(result.config.architectureTitle)) on \(result.config.hook): L0 against fidelity, \(held)"))</text>

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
        var yHigh = ceil((ys.max()! + 0.1 * span) / step) * step
        // FVE and CE loss recovered are at most 1: keep only room for labels above it.
        if ys.max()! <= 1 { yHigh = min(yHigh, (1 / step).rounded(.up) * step + 0.4 * step) }
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
        while y <= yHigh + step * 1e-6 {
            let py = sy(y)
            out += "<line x1=\(q(left)) y1=\(q(py)) x2=\(q(right)) y2=\(q(py)) stroke=\"#ddd\"/>\n"
            out += "<text x=\(q(left - 8)) y=\(q(py + 4)) text-anchor=\"end\" font-size=\"12\">\(String(format: "%.\(decimals)f", y))</text>\n"
            y += step
        }
        out += "<text x=\(q((left + right) / 2)) y=\(q(bottom + 42)) text-anchor=\"middle\" font-size=\"13\">L0 (active latents per token, log scale)</text>\n"
        let cy = (top + bottom) / 2, cx = originX + 20
        out += "<text x=\(q(cx)) y=\(q(cy)) text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 \(cx) \(cy))\">\(Self.escape(yLabel))</text>\n"

        // The trade-off curve, in L0 order, then the points, then labels placed where they
        // overlap neither another label nor a point (greedy, in L0 order).
        let sorted = points.sorted { $0.x < $1.x }
        let placed = sorted.map { (x: sx($0.x), y: sy($0.y)) }
        out += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"\(placed.map { "\(fmt($0.x)),\(fmt($0.y))" }.joined(separator: " "))\"/>\n"
        for p in placed {
            out += "<circle cx=\(q(p.x)) cy=\(q(p.y)) r=\"5\" fill=\"#1f77b4\" stroke=\"white\" stroke-width=\"1.5\"/>\n"
        }
        var taken = placed.map { Box(left: $0.x - 6, top: $0.y - 6, right: $0.x + 6, bottom: $0.y + 6) }
        let area = Box(left: left, top: top, right: right, bottom: bottom)
        for (point, p) in zip(sorted, placed) {
            let text = "\(point.label): \(valueFormat(point.y))"
            let width = Double(text.count) * 7.0
            // The first free place; if there is none, the one overlapping least.
            var best: (x: Double, y: Double, anchorEnd: Bool, box: Box)?
            var fewestOverlaps = Int.max
            for (dx, dy) in Self.labelOffsets {
                let anchorEnd = dx < 0
                let x = p.x + dx, y = p.y + dy
                let box = Box(left: anchorEnd ? x - width : x, top: y - 11, right: anchorEnd ? x : x + width, bottom: y + 3)
                let overlaps = taken.filter { $0.overlaps(box) }.count + (area.contains(box) ? 0 : 100)
                if overlaps < fewestOverlaps {
                    fewestOverlaps = overlaps
                    best = (x, y, anchorEnd, box)
                }
                if overlaps == 0 { break }
            }
            let label = best!
            taken.append(label.box)
            if abs(label.y - p.y) > 20 {
                out += "<line x1=\(q(p.x)) y1=\(q(p.y)) x2=\(q(label.x)) y2=\(q(label.y - 4)) stroke=\"#999\" stroke-width=\"0.8\"/>\n"
            }
            out += "<text x=\(q(label.x)) y=\(q(label.y)) text-anchor=\"\(label.anchorEnd ? "end" : "start")\" font-size=\"12\" fill=\"#123\">\(Self.escape(text))</text>\n"
        }
        out += "</g>\n"
        return out
    }

    /// Where a label may go relative to its point (pixels; negative dx anchors the text's end),
    /// nearest first.
    static let labelOffsets: [(Double, Double)] = [
        (9, -9), (9, 17), (-9, -9), (-9, 17), (9, -26), (-9, -26), (9, 34), (-9, 34),
        (12, -44), (-12, -44), (12, 52), (-12, 52), (14, -62), (-14, -62), (14, 70), (-14, 70),
    ]

    /// A label's or point's extent, for overlap tests.
    struct Box {
        var left, top, right, bottom: Double
        func overlaps(_ other: Box) -> Bool {
            left < other.right && other.left < right && top < other.bottom && other.top < bottom
        }
        func contains(_ other: Box) -> Bool {
            other.left >= left && other.right <= right && other.top >= top && other.bottom <= bottom
        }
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

    /// Values near 1 differ in the third or fourth digit, so labels keep four decimals.
    private func valueFormat(_ value: Double) -> String { String(format: "%.4f", value) }

    private func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
    private func q(_ value: Double) -> String { "\"\(fmt(value))\"" }
}
