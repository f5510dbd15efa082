/// A destination for metrics records (metrics.jsonl, TensorBoard, …).
public protocol MetricsLogger: AnyObject {
    /// Records one metrics record.
    func log(_ metrics: TrainingMetrics) throws
    /// Pushes buffered records to disk.
    func flush() throws
}
