import XCTest
@testable import Extract

final class HookPointTests: XCTestCase {
    let config = GPT2Config.gpt2Small

    func testEveryNameRoundTrips() throws {
        for layer in [0, 6, 11] {
            for site in HookPoint.Site.allCases {
                let hook = HookPoint(layer: layer, site: site)
                XCTAssertEqual(try HookPoint(parsing: hook.description, config: config), hook)
            }
        }
        XCTAssertEqual(HookPoint(layer: 6, site: .residPre).description, "blocks.6.hook_resid_pre")
        XCTAssertEqual(HookPoint(layer: 3, site: .mlpPost).description, "blocks.3.mlp.hook_post")
    }

    func testWidths() {
        XCTAssertEqual(HookPoint(layer: 0, site: .mlpPost).width(config), 3072)
        for site in HookPoint.Site.allCases where site != .mlpPost {
            XCTAssertEqual(HookPoint(layer: 0, site: site).width(config), 768)
        }
    }

    func testUnknownNamesAreRefused() {
        for name in ["blocks.6.hook_resid", "blocks.x.hook_resid_pre", "blocks.-1.hook_resid_pre", "blocks.06.hook_resid_pre",
                     "block.6.hook_resid_pre", "blocks.6", "hook_resid_pre", "blocks.6.mlp.hook_pre", "", "blocks..hook_mlp_out"] {
            XCTAssertThrowsError(try HookPoint(parsing: name), name) {
                XCTAssertEqual($0 as? HookPointError, .unknownName(name))
                XCTAssertTrue("\($0)".contains("blocks.L.hook_resid_pre"))
            }
        }
    }

    func testLayerOutOfRange() {
        XCTAssertThrowsError(try HookPoint(parsing: "blocks.12.hook_resid_post", config: config)) {
            XCTAssertEqual($0 as? HookPointError, .layerOutOfRange(name: "blocks.12.hook_resid_post", layer: 12, layerCount: 12))
        }
    }

    func testCodableAsName() throws {
        let hooks = [HookPoint(layer: 2, site: .attnOut)]
        let data = try JSONEncoder().encode(hooks)
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"["blocks.2.hook_attn_out"]"#)
        XCTAssertEqual(try JSONDecoder().decode([HookPoint].self, from: data), hooks)
        XCTAssertThrowsError(try JSONDecoder().decode([HookPoint].self, from: Data(#"["blocks.2.attn"]"#.utf8)))
    }

    func testForwardOrder() {
        let sorted = [HookPoint(layer: 1, site: .residPre), HookPoint(layer: 0, site: .residPost),
                      HookPoint(layer: 0, site: .mlpPost), HookPoint(layer: 0, site: .attnOut)].sorted()
        XCTAssertEqual(sorted.map(\.description),
                       ["blocks.0.hook_attn_out", "blocks.0.mlp.hook_post", "blocks.0.hook_resid_post", "blocks.1.hook_resid_pre"])
    }
}
