extension SAETrainer {
    /// b_dec at the mean or geometric median (`config.bDecInit`) of the first
    /// `config.bDecInitRowCount` rows of the source (or its whole first epoch if shorter),
    /// scaled by the activation scale as training sees them; the source is put back where it
    /// started, so those rows are trained on too. Once per run: the trainer state records it,
    /// so a resumed run keeps its trained b_dec.
    func initializeDecoderBias<Source: BatchSource>(source: inout Source) throws {
        let scale = state.activationScale ?? 1
        let start = try source.position()
        let C = config.dIn
        var sample = [Float](repeating: 0, count: config.bDecInitRowCount * C)
        var rowsRead = 0
        while rowsRead < config.bDecInitRowCount {
            let want = min(config.batchSize, config.bDecInitRowCount - rowsRead)
            let rows = try source.nextBatch(into: &batch, maxRowCount: want)
            if rows == 0 { break }
            for i in 0..<(rows * C) { sample[rowsRead * C + i] = batch[i] * scale }
            rowsRead += rows
        }
        try source.restore(position: start)
        guard rowsRead > 0 else { throw TrainingError.emptySource(epoch: state.epochIndex) }
        let center: [Double]
        switch config.bDecInit {
        case .zeros: center = [Double](repeating: 0, count: C)
        case .mean: center = GeometricMedian.mean(rows: sample, rowCount: rowsRead, width: C)
        case .geometricMedian: center = GeometricMedian.weiszfeld(rows: sample, rowCount: rowsRead, width: C).median
        }
        guard center.allSatisfy(\.isFinite) else {
            throw TrainingError.badSource(reason: "the b_dec sample (\(rowsRead) rows) has a non-finite \(config.bDecInit.rawValue)")
        }
        var weights = sae.weights
        weights.bDec = center.map { Float($0) }
        sae.weights = weights
        state.decoderBiasInitialized = true
    }
}
