import Dispatch

/// Adds the wall-clock time between consecutive `lap` calls to the phase each lap names.
/// Steps hold an optional clock, so without one timing costs a nil check per phase.
final class PhaseClock {
    /// Seconds per phase (`SAEStepPhase.rawValue`), summed since the last `reset`.
    private(set) var seconds = [Double](repeating: 0, count: SAEStepPhase.allCases.count)
    private var last: UInt64 = DispatchTime.now().uptimeNanoseconds

    /// Starts a step: the time until the next lap belongs to that lap's phase.
    func start() { last = DispatchTime.now().uptimeNanoseconds }

    /// Charges the time since the previous lap (or `start`) to `phase`.
    func lap(_ phase: SAEStepPhase) {
        let now = DispatchTime.now().uptimeNanoseconds
        seconds[phase.rawValue] += Double(now - last) / 1e9
        last = now
    }

    func reset() { seconds = [Double](repeating: 0, count: SAEStepPhase.allCases.count) }
}
