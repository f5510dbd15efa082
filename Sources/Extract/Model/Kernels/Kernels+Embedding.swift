extension Kernels {
    /// Token plus position embedding; positions run 0..<T in every sequence.
    // out: (B,T,C), tokens: (B,T), wte: (V,C), wpe: (P,C)
    static func embed(_ out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<UInt32>,
                      wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>, B: Int, T: Int, C: Int) {
        for b in 0..<B {
            for t in 0..<T {
                let y = out + (b * T + t) * C
                let tokenRow = wte + Int(tokens[b * T + t]) * C
                let positionRow = wpe + t * C
                for c in 0..<C { y[c] = tokenRow[c] + positionRow[c] }
            }
        }
    }
}
