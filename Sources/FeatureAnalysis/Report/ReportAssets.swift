/// The report's stylesheet and script, written once into DIR/assets/ and shared by every
/// page (pages embed only their data). No network: everything opens from file://.
///
/// They are plain files, Sources/FeatureAnalysis/Assets/report.css and report.js, so they can be
/// read, linted (`node --check`) and tested as what they are; the EmbedAssets build plugin
/// compiles them into `EmbeddedAssets` so the saestore binary stays one self-contained file.
enum ReportAssets {
    static let css = EmbeddedAssets.reportCSS
    static let js = EmbeddedAssets.reportJS
}
