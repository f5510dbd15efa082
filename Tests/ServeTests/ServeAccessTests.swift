import Foundation
import XCTest
@testable import Serve

/// Loopback by default; a non-loopback host needs a token, checked on every request.
final class ServeAccessTests: XCTestCase {
    func testNonLoopbackNeedsAToken() throws {
        XCTAssertNoThrow(try ServeAccess(host: "127.0.0.1", token: nil))
        XCTAssertNoThrow(try ServeAccess(host: "::1", token: nil))
        XCTAssertNoThrow(try ServeAccess(host: "localhost", token: nil))
        XCTAssertThrowsError(try ServeAccess(host: "0.0.0.0", token: nil)) { error in
            XCTAssertEqual((error as? ServeError)?.parameter, "--host")
            XCTAssertTrue("\(error)".contains("--token"), "\(error)")
        }
        XCTAssertThrowsError(try ServeAccess(host: "192.168.1.4", token: nil))
        XCTAssertThrowsError(try ServeAccess(host: "0.0.0.0", token: "")) { error in
            XCTAssertEqual((error as? ServeError)?.parameter, "--token")
        }
        XCTAssertNoThrow(try ServeAccess(host: "0.0.0.0", token: "s3cret"))
        for host in ["127.0.0.1", "127.255.0.9"] { XCTAssertTrue(ServeAccess.isLoopback(host), host) }
        for host in ["128.0.0.1", "127.0.0", "127.0.0.1.5", "1270.0.0.1", "example.org", ""] { XCTAssertFalse(ServeAccess.isLoopback(host), host) }
    }

    func testEveryRequestCarriesTheToken() throws {
        let fixture = try ServeFixture.get()
        let api = ServeAPI(explorer: try fixture.explorer(), access: try ServeAccess(host: "0.0.0.0", token: "s3cret"))
        for target in ["/", "/rows/1", "/info", "/features/0", "/nothing"] {
            for authorization in [nil, "Bearer wrong", "Bearer s3cre", "Bearer s3cret!", "s3cret", "Basic s3cret"] {
                let answer = api.get(target, authorization: authorization)
                XCTAssertEqual(answer.status, 401, "\(target) with \(authorization ?? "no header")")
                XCTAssertEqual(answer.errorObject?["parameter"] as? String, "Authorization")
            }
        }
        XCTAssertEqual(api.get("/rows/1", authorization: "Bearer s3cret").status, 200)
        XCTAssertEqual(api.get("/rows/1?access_token=s3cret").status, 200)
        XCTAssertEqual(api.get("/rows/1?access_token=wrong").status, 401)
        // ?token= is /search's token to match, never the access token.
        XCTAssertEqual(api.get("/search?token=s3cret").status, 401)
        XCTAssertEqual(api.get("/search?token=13&access_token=s3cret").status, 200)
        XCTAssertEqual(api.post("/encode", "{\"text\": \"x\"}").status, 401)
    }

    func testConstantTimeCompareIsEquality() {
        let cases: [(String, String, Bool)] = [("", "", true), ("a", "a", true), ("abc", "abc", true), ("abc", "abd", false),
                                               ("ab", "abc", false), ("abc", "ab", false), ("", "a", false), ("a", "", false),
                                               ("abc\u{0}", "abc", false)]
        for (given, expected, equal) in cases {
            XCTAssertEqual(ServeAccess.constantTimeEqual(Array(given.utf8), Array(expected.utf8)), equal, "\(given) vs \(expected)")
        }
        // Lengths that differ by a multiple of 256 (the low byte of the xor is 0) still differ.
        XCTAssertFalse(ServeAccess.constantTimeEqual([UInt8](repeating: 0, count: 256), []))
    }
}
