import Foundation

/// The page at `/`: a feature browser over the API in one HTML document, its stylesheet and
/// script inlined (no build step, no CDN, nothing fetched but the API). The three parts are
/// plain files in Assets/ (serve-page.html, .css, .js) that the EmbedAssets plugin compiles in,
/// as the static report's are. `?feature=ID` opens a feature, `?text=…` fills the text box, and
/// `?access_token=T` is sent as the bearer token. When the first load has drawn, `<body>` gets
/// `data-rendered="ok"` (the headless browser test waits for it), or `data-rendered="error"`.
enum ServePage {
    static let html: String = EmbeddedAssets.servePageHTML
        .replacingOccurrences(of: "/* serve-page.css */", with: EmbeddedAssets.servePageCSS)
        .replacingOccurrences(of: "/* serve-page.js */", with: EmbeddedAssets.servePageJS)
}
