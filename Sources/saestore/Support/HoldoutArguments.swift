import ActStore
import ArgumentParser
import StreamTrain

/// `--rows` and `--holdout` of `train` and `sweep`, resolved against a store: the rows to train
/// on and the rows kept out for evaluation (docs/EVALUATION.md, "Which rows").
enum HoldoutArguments {
    static let help: ArgumentHelp = """
        Rows at the end of the store kept out of training for `evaluate` and `sweep`: a fraction (0.01, 1%), \
        a row count, or 0 for none (default: 1%, at most 2M rows, moved back to a window start; none when --rows is given).
        """

    /// Training rows (nil: all) and held-out rows (nil: none). Without --holdout, --rows alone
    /// holds nothing out (the rows outside it are already unseen); with neither, the default
    /// holdout applies. With both, the training rows stop where the holdout starts.
    static func resolve(rows: String?, holdout: String?, reader: any StoreReading) throws -> (training: Range<Int>?, heldOut: Range<Int>?) {
        let given = try rows.map { try RowRange.parse($0, rowCount: reader.rowCount) }
        let policy: Holdout
        do {
            policy = try holdout.map(Holdout.parse) ?? (given == nil ? .standard : .none)
        } catch let error as StoreError {
            throw ValidationError("\(error)")
        }
        guard let heldOut = try policy.heldOutRows(reader: reader) else { return (given, nil) }
        let training = given ?? 0..<reader.rowCount
        let end = min(training.upperBound, heldOut.lowerBound)
        guard training.lowerBound < end else {
            throw ValidationError("--rows \(rows ?? "") lies inside the held-out rows \(heldOut.lowerBound)..\(heldOut.upperBound); pass --holdout 0 to train on them")
        }
        return (training.lowerBound..<end, heldOut)
    }
}
