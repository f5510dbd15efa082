/// A tensor whose size does not match the SAE's dimensions.
public struct SAEShapeError: Error, CustomStringConvertible, Equatable {
    /// Which tensor or size.
    public let tensor: String
    /// What its size should be.
    public let expected: String
    /// What it is.
    public let found: String

    /// The message with the tensor, its expected and actual size.
    public var description: String {
        "SAE tensor \(tensor): expected \(expected), found \(found). "
            + "Hint: d_in and d_sae must agree with every weight tensor."
    }
}
