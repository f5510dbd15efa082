import Dispatch
import Foundation

/// A fixed set of threads for the SAE's own kernels (OpenBLAS keeps its own for sgemm).
/// `run` hands part `t` of a job to thread `t`, the caller doing part 0, and returns when every
/// part is done. Idle threads block on a semaphore, so they never compete with OpenBLAS, whose
/// threads only work inside the sgemm calls made between jobs. A job allocates nothing.
///
/// Every kernel that uses the pool gives each output element to exactly one part and sums it
/// in a fixed order, so results do not depend on the thread count.
final class WorkerPool: @unchecked Sendable {
    /// Parts per job (threads, including the caller's).
    let threadCount: Int

    /// What the worker threads share; they keep it alive until they have seen `stopping`.
    private final class Shared: @unchecked Sendable {
        var job: ((Int) -> Void)?
        var stopping = false
        let starts: [DispatchSemaphore]
        let finished = DispatchSemaphore(value: 0)
        init(workerCount: Int) { starts = (0..<workerCount).map { _ in DispatchSemaphore(value: 0) } }
    }

    private let shared: Shared
    /// Serialises jobs from copies of a workspace used on different threads.
    private let lock = NSLock()

    /// A pool of `threadCount` parts (≥ 1); `threadCount − 1` threads are started.
    init(threadCount: Int) {
        precondition(threadCount >= 1, "a worker pool needs at least one thread, got \(threadCount)")
        self.threadCount = threadCount
        shared = Shared(workerCount: threadCount - 1)
        for worker in 0..<(threadCount - 1) {
            let shared = self.shared
            let thread = Thread {
                while true {
                    shared.starts[worker].wait()
                    if shared.stopping { return }
                    shared.job!(worker + 1)
                    shared.finished.signal()
                }
            }
            thread.name = "saestore-kernel-\(worker + 1)"
            thread.start()
        }
    }

    deinit {
        shared.stopping = true
        for start in shared.starts { start.signal() }
    }

    /// Calls `body(part)` once for each part in 0..<threadCount, concurrently.
    func run(_ body: (Int) -> Void) {
        if threadCount == 1 { return body(0) }
        lock.lock()
        defer { lock.unlock() }
        withoutActuallyEscaping(body) { body in
            shared.job = body
            for start in shared.starts { start.signal() }
            body(0)
            for _ in shared.starts { shared.finished.wait() }
            shared.job = nil
        }
    }

    /// Part `part` of 0..<count cut into `parts` contiguous ranges of near-equal length.
    static func range(_ count: Int, part: Int, of parts: Int) -> Range<Int> {
        (count * part / parts)..<(count * (part + 1) / parts)
    }

    /// The default thread count: one per core.
    static var defaultThreadCount: Int { max(1, KernelThreading.defaultThreadCount ?? ProcessInfo.processInfo.activeProcessorCount) }
}
