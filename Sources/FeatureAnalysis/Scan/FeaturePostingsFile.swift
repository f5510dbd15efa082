import Foundation
import SAELoading
import TensorIO

/// One firing of a feature: the row, the activation, and the row's token id.
public struct FeaturePosting: Sendable, Equatable {
    /// Store row.
    public var row: Int
    /// The feature's activation on the row (> 0).
    public var activation: Float
    /// The row's token id.
    public var tokenID: UInt32

    /// A posting of `activation` on `row`, whose token is `tokenID`.
    public init(row: Int, activation: Float, tokenID: UInt32) {
        self.row = row
        self.activation = activation
        self.tokenID = tokenID
    }
}

/// DIR/results.postings: every (row, feature) pair the scan saw fire (activation > 0), listed
/// feature by feature, each feature's list strongest first (ties: smaller row), so "rows where
/// feature f fires at least a" is a prefix found by binary search, with no rescan of the store.
///
/// ```
/// 0   magic "SAEPOST\0"         16  u64 features F (in results.safetensors' order)
/// 8   u32 format version (1)    24  u64 postings P (= Σ fire counts)
/// 12  u32 bytes per posting (16) 32  (F + 1) × u64 first posting of each feature, ascending
/// then P postings: u64 row, f32 activation, u32 token id (little-endian)
/// ```
/// Size: 16 bytes per firing, i.e. rows × L0 × 16 (a 1M-row scan at L0 50: 800 MB);
/// `saestore features --no-postings` leaves it out.
public final class FeaturePostingsFile: @unchecked Sendable {
    /// The file's name in a results directory.
    public static let fileName = "results.postings"
    /// The layout version this code writes and reads.
    public static let formatVersion: UInt32 = 1
    static let magic = Array("SAEPOST\0".utf8)
    static let headerByteCount = 32
    static let postingByteCount = 16

    /// The file mapped.
    public let path: String
    /// Features listed (the results' features, in their order).
    public let featureCount: Int
    /// Postings in all (the sum of the scan's fire counts).
    public let postingCount: Int
    /// Posting offsets per local feature (F + 1).
    let offsets: [Int]
    private let file: MappedFile

    /// Maps the file and checks its header and offset table (`featureIDs`: the results' features).
    public init(path: String, featureIDs: [Int]) throws {
        self.path = path
        func bad(_ detail: String) -> FeaturesError {
            .badResults(path: path, detail: "\(detail); rerun `saestore features` to rewrite the results")
        }
        do { file = try MappedFile(path: path) } catch { throw bad("cannot map the postings file (\(error))") }
        guard file.byteCount >= Self.headerByteCount else { throw bad("the file is \(file.byteCount) bytes, shorter than its header") }
        let header = file.withBytes(0..<Self.headerByteCount) { raw in
            (Array(raw[0..<8]), UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
             UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
             Int(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))),
             Int(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))))
        }
        guard header.0 == Self.magic else { throw bad("no SAEPOST magic at byte 0: not a postings file") }
        guard header.1 == Self.formatVersion else { throw bad("format version \(header.1); this saestore reads \(Self.formatVersion)") }
        guard header.2 == UInt32(Self.postingByteCount) else { throw bad("\(header.2) bytes per posting, expected \(Self.postingByteCount)") }
        guard header.3 == featureIDs.count else { throw bad("\(header.3) features, the results have \(featureIDs.count)") }
        featureCount = header.3
        postingCount = header.4
        let tableEnd = Self.headerByteCount + (featureCount + 1) * 8
        guard file.byteCount == tableEnd + postingCount * Self.postingByteCount else {
            throw bad("the file is \(file.byteCount) bytes; \(featureCount) features and \(postingCount) postings make \(tableEnd + postingCount * Self.postingByteCount)")
        }
        let features = header.3
        offsets = file.withBytes(Self.headerByteCount..<tableEnd) { raw in
            (0...features).map { Int(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
        }
        guard offsets.first == 0, offsets.last == postingCount, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw bad("the offset table is not ascending from 0 to \(postingCount)")
        }
    }

    /// Postings of local feature `f`.
    public func count(_ f: Int) -> Int { offsets[f + 1] - offsets[f] }

    /// Posting `i` of local feature `f` (strongest first).
    public func posting(_ f: Int, _ i: Int) -> FeaturePosting {
        precondition(i >= 0 && i < count(f), "posting \(i) of feature \(f), which has \(count(f))")
        let at = Self.headerByteCount + (featureCount + 1) * 8 + (offsets[f] + i) * Self.postingByteCount
        return file.withBytes(at..<at + Self.postingByteCount) { raw in
            FeaturePosting(row: Int(UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))),
                           activation: Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))),
                           tokenID: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        }
    }

    /// How many of `f`'s postings have activation ≥ `minimum`: the length of the prefix that
    /// holds them (binary search over the descending activations).
    public func countAtLeast(_ f: Int, minimum: Float) -> Int {
        var lo = 0, hi = count(f)
        while lo < hi {
            let mid = (lo + hi) / 2
            if posting(f, mid).activation >= minimum { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// All of `f`'s postings (tests; the plain reference of the prefix search).
    public func postings(_ f: Int) -> [FeaturePosting] { (0..<count(f)).map { posting(f, $0) } }
}
