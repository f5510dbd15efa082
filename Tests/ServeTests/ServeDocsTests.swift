import Foundation
import XCTest
@testable import Serve

/// docs/serve-openapi.yaml is what /openapi.yaml serves, and it and docs/SERVE.md describe
/// every endpoint the router has.
final class ServeDocsTests: XCTestCase {
    func testTheServedDescriptionIsTheDocsFile() throws {
        let file = try String(contentsOf: packageRoot.appendingPathComponent("docs/serve-openapi.yaml"), encoding: .utf8)
        // A multi-line literal drops the newline before its closing quotes.
        XCTAssertEqual(ServeOpenAPI.yaml + "\n", file)
    }

    func testEveryRouteIsDocumented() throws {
        let yaml = ServeOpenAPI.yaml
        let documented = Set(yaml.split(separator: "\n").filter { $0.hasPrefix("  /") && $0.hasSuffix(":") }
            .map { String($0.dropFirst(2).dropLast()) })
        let routes = Set(ServeAPI.routes.map { "/" + $0.pattern.joined(separator: "/") })
        XCTAssertEqual(documented, routes)
        let guide = try String(contentsOf: packageRoot.appendingPathComponent("docs/SERVE.md"), encoding: .utf8)
        for route in routes where route != "/" { XCTAssertTrue(guide.contains(route), "docs/SERVE.md does not mention \(route)") }
    }
}
