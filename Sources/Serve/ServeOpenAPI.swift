/// The OpenAPI 3 description served at /openapi.yaml: Assets/openapi.yaml, compiled in by the
/// EmbedAssets plugin. docs/serve-openapi.yaml is the same text for readers of the repository
/// (ServeDocsTests holds the two equal).
enum ServeOpenAPI {
    /// The YAML text (its final newline dropped by the embedding).
    static let yaml: String = EmbeddedAssets.openapiYAML
}
