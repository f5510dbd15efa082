extension Kernels {
    /// Token plus position embedding; positions restart at 0 in every sequence. Sequences are
    /// packed back to back (no padding): row r of sequence s is row offset(s) + r.
    // out: (ΣT,C), tokens: (ΣT), wte: (V,C), wpe: (P,C)
    static func embed(_ out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<UInt32>,
                      wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>, sequenceLengths: [Int], C: Int) {
        var row = 0
        for T in sequenceLengths {
            for t in 0..<T {
                let y = out + row * C
                let tokenRow = wte + Int(tokens[row]) * C
                let positionRow = wpe + t * C
                for c in 0..<C { y[c] = tokenRow[c] + positionRow[c] }
                row += 1
            }
        }
    }
}
