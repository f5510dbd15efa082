/// Where b_dec starts (`SAEConfig.bDecInit`): SAELens ≤ 5's `b_dec_init_method` names.
/// SAELens 6 dropped the option (its b_dec starts at zero); the median and the mean put the
/// decoder's offset where the data is, so the latents start by coding deviations from it.
public enum DecoderBiasInit: String, Codable, Sendable, CaseIterable {
    /// b_dec = 0 (the default, and SAELens 6's only choice).
    case zeros
    /// b_dec = the mean of a sample of training rows.
    case mean
    /// b_dec = the geometric median of a sample of training rows (Weiszfeld's iteration,
    /// `GeometricMedian`), as SAELens ≤ 5's `compute_geometric_median` did: robust to the
    /// outlier rows (e.g. BOS positions) that pull the mean.
    case geometricMedian = "geometric_median"
}
