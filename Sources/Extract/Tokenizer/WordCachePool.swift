import Foundation

/// Caches for concurrent encode calls: each call takes one (or makes one) and gives it back,
/// so threads never share a cache and the lock is held twice per call, never per word.
final class WordCachePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [WordCache] = []
    /// Caches kept when returned; more concurrent callers than this get a fresh cache each time.
    let maxIdleCount: Int

    init(maxIdleCount: Int = 64) {
        self.maxIdleCount = maxIdleCount
    }

    func withCache<R>(_ body: (WordCache) -> R) -> R {
        lock.lock()
        let cache = idle.popLast()
        lock.unlock()
        let inUse = cache ?? WordCache()
        let result = body(inUse)
        lock.lock()
        if idle.count < maxIdleCount { idle.append(inUse) }
        lock.unlock()
        return result
    }
}
