import ActStore
import Foundation
import SAELoading
import TensorIO

/// A scan's results on disk: DIR/results.json (FeatureResultsManifest) and
/// DIR/results.safetensors (the tables; docs/FEATURES.md lists the tensors), so later
/// queries answer without rescanning.
public struct FeatureResults: Equatable, Sendable {
    /// results.json: what was scanned, with which SAE and settings, and the tables' shapes.
    public var manifest: FeatureResultsManifest
    /// The per-feature tables of results.safetensors.
    public var tables: FeatureTables
    /// Present when a model was given at scan time.
    public var logits: LogitEffectTable?

    /// Results as a scan produced them, ready to `write(to:)`; `logits` nil when no model was
    /// given.
    public init(manifest: FeatureResultsManifest, tables: FeatureTables, logits: LogitEffectTable?) {
        self.manifest = manifest
        self.tables = tables
        self.logits = logits
    }

    /// Writes results.safetensors, then results.json, each through a temporary file renamed into
    /// place, creating `directory` if needed. The manifest goes last so that a results.json names
    /// complete data; results.examples is written separately (ExampleWindowsFile+Write). Throws
    /// Foundation's error when the directory or a file cannot be written.
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let t = tables, F = t.featureCount
        var file: [SafetensorsWriter.Tensor] = []
        func add(_ name: String, shape: [Int], int64 values: [Int]) { file.append(.init(name: name, shape: shape, values: .int64(values))) }
        func add(_ name: String, shape: [Int], float32 values: [Float]) { file.append(.init(name: name, shape: shape, values: .floats(values, .f32))) }
        func add(_ name: String, shape: [Int], float64 values: [Double]) { file.append(.init(name: name, shape: shape, values: .float64(values))) }
        add("feature_ids", shape: [F], int64: t.featureIDs)
        add("fire_counts", shape: [F], int64: t.fireCounts)
        add("activation_sums", shape: [F], float64: t.activationSums)
        add("top_rows", shape: [F, t.topK], int64: t.topRows)
        add("top_activations", shape: [F, t.topK], float32: t.topActivations)
        if !t.topDuplicates.isEmpty { add("top_duplicates", shape: [F, t.topK], int64: t.topDuplicates) }
        add("histograms", shape: [F, ActivationHistogram.binCount], int64: t.histograms)
        if t.quantileCount > 0 {
            let Q = t.quantileCount, s = t.samplesPerQuantile
            add("quantile_counts", shape: [F, Q], int64: t.quantileCounts)
            add("quantile_rows", shape: [F, Q, s], int64: t.quantileRows)
            add("quantile_activations", shape: [F, Q, s], float32: t.quantileActivations)
            if !t.quantileDuplicates.isEmpty { add("quantile_duplicates", shape: [F, Q, s], int64: t.quantileDuplicates) }
        }
        if let logits {
            let n = logits.tokenCount
            add("logit_promoted_ids", shape: [F, n], int64: logits.promotedIDs)
            add("logit_promoted_values", shape: [F, n], float32: logits.promotedValues)
            add("logit_suppressed_ids", shape: [F, n], int64: logits.suppressedIDs)
            add("logit_suppressed_values", shape: [F, n], float32: logits.suppressedValues)
        }
        // Data first, manifest last: a directory with a results.json has complete results.
        try SafetensorsWriter.write(path: directory.appendingPathComponent(FeatureResultsManifest.dataFileName).path, tensors: file)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: directory.appendingPathComponent(FeatureResultsManifest.fileName), options: .atomic)
    }

    /// Reads results.json and results.safetensors from `directory`, checking every tensor's dtype
    /// and shape against the manifest. Throws `FeaturesError.badResults` when results.json is
    /// missing or not a manifest, its format is newer than `currentFormatVersion`, its histogram
    /// bins differ from `ActivationHistogram`'s, or the data file or one of its tensors is missing
    /// or misshapen. Results from before duplicate folding load with empty duplicate tables.
    public static func load(directory: URL) throws -> FeatureResults {
        let manifestURL = directory.appendingPathComponent(FeatureResultsManifest.fileName)
        let dataPath = directory.appendingPathComponent(FeatureResultsManifest.dataFileName).path
        guard let data = FileManager.default.contents(atPath: manifestURL.path) else {
            throw FeaturesError.badResults(path: manifestURL.path, detail: "no results.json here; run `saestore features --out \(directory.path)` first")
        }
        let manifest: FeatureResultsManifest
        do { manifest = try JSONDecoder().decode(FeatureResultsManifest.self, from: data) } catch {
            throw FeaturesError.badResults(path: manifestURL.path, detail: "not a results manifest (\(error))")
        }
        guard manifest.formatVersion <= FeatureResultsManifest.currentFormatVersion else {
            throw FeaturesError.badResults(path: manifestURL.path, detail: "results format \(manifest.formatVersion) is newer than this saestore reads (\(FeatureResultsManifest.currentFormatVersion))")
        }
        guard manifest.histogramMinimumExponent == ActivationHistogram.minimumExponent,
              manifest.histogramMaximumExponent == ActivationHistogram.maximumExponent,
              manifest.histogramBinsPerOctave == ActivationHistogram.binsPerOctave else {
            throw FeaturesError.badResults(path: manifestURL.path, detail: "histogram bins differ from this saestore's")
        }
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: dataPath) } catch {
            throw FeaturesError.badResults(path: dataPath, detail: "\(error)")
        }
        let F = manifest.featureCount, k = manifest.config.topK
        let Q = manifest.config.quantileCount, s = Q > 0 ? manifest.config.samplesPerQuantile : 0
        func tensor<T>(_ name: String, _ shape: [Int], _ dtype: TensorDType, _ as: T.Type) throws -> [T] {
            guard let info = file.tensors[name] else {
                throw FeaturesError.badResults(path: dataPath, detail: "tensor \(name) is missing")
            }
            guard info.shape == shape, info.dtype == dtype else {
                throw FeaturesError.badResults(path: dataPath, detail: "tensor \(name) is \(info.dtype.rawValue) \(info.shape), expected \(dtype.rawValue) \(shape)")
            }
            return try file.withRawBytes(name) { raw in
                Array(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: T.self), count: raw.count / MemoryLayout<T>.stride))
            }
        }
        func ints(_ name: String, _ shape: [Int]) throws -> [Int] { try tensor(name, shape, .i64, Int64.self).map { Int(Int64(littleEndian: $0)) } }
        func floats(_ name: String, _ shape: [Int]) throws -> [Float] { try tensor(name, shape, .f32, UInt32.self).map { Float(bitPattern: UInt32(littleEndian: $0)) } }
        var tables = FeatureTables(
            featureIDs: try ints("feature_ids", [F]), topK: k, quantileCount: Q, samplesPerQuantile: s,
            rowsScanned: manifest.rowsScanned, fireCounts: try ints("fire_counts", [F]),
            activationSums: try tensor("activation_sums", [F], .f64, UInt64.self).map { Double(bitPattern: UInt64(littleEndian: $0)) },
            topRows: try ints("top_rows", [F, k]), topActivations: try floats("top_activations", [F, k]),
            histograms: try ints("histograms", [F, ActivationHistogram.binCount]),
            quantileCounts: Q > 0 ? try ints("quantile_counts", [F, Q]) : [],
            quantileRows: Q > 0 ? try ints("quantile_rows", [F, Q, s]) : [],
            quantileActivations: Q > 0 ? try floats("quantile_activations", [F, Q, s]) : [])
        // Results written before duplicate folding have neither tensor.
        if file.tensors["top_duplicates"] != nil { tables.topDuplicates = try ints("top_duplicates", [F, k]) }
        if Q > 0, file.tensors["quantile_duplicates"] != nil { tables.quantileDuplicates = try ints("quantile_duplicates", [F, Q, s]) }
        var logits: LogitEffectTable?
        if manifest.logitTokenCount > 0 {
            let n = manifest.logitTokenCount
            logits = LogitEffectTable(tokenCount: n, promotedIDs: try ints("logit_promoted_ids", [F, n]),
                                      promotedValues: try floats("logit_promoted_values", [F, n]),
                                      suppressedIDs: try ints("logit_suppressed_ids", [F, n]),
                                      suppressedValues: try floats("logit_suppressed_values", [F, n]))
        }
        return FeatureResults(manifest: manifest, tables: tables, logits: logits)
    }

    /// Opens the store the results came from (or `storePath` instead, e.g. after a move)
    /// and checks it holds the same data; `FeaturesError.foreignResults` if not.
    public func openStore(_ storePath: String? = nil, resultsPath: String) throws -> any StoreReading {
        let reader = try ActStore.openStore(at: storePath ?? manifest.store.path)
        let found: StoreIdentity
        do {
            found = try StoreIdentity(reader: reader, column: manifest.config.column)
        } catch let error as StoreError {
            if case .missingColumn = error {
                throw FeaturesError.foreignResults(results: resultsPath, expectedStore: reader.path + " (it has no column \(manifest.config.column))",
                                                   foundStore: manifest.store.summary)
            }
            throw error
        }
        guard found.sameData(as: manifest.store) else {
            throw FeaturesError.foreignResults(results: resultsPath, expectedStore: found.summary, foundStore: manifest.store.summary)
        }
        return reader
    }

    /// Local index of SAE feature `id`, or an error naming what was scanned.
    public func featureIndex(_ id: Int) throws -> Int {
        guard let f = tables.index(ofFeature: id) else {
            let ids = tables.featureIDs
            let scanned = ids.count == manifest.sae.dSAE ? "0...\(ids.count - 1)" : "\(ids.count) features (\(ids.prefix(5).map(String.init).joined(separator: ", "))\(ids.count > 5 ? ", …" : ""))"
            throw FeaturesError.invalidArgument("feature \(id) was not scanned: the results hold \(scanned)")
        }
        return f
    }
}
