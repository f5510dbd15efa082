#!/usr/bin/env bash
# Can another package depend on saestore BY VERSION and use it? SwiftPM refuses a dependency
# whose targets carry unsafe flags (e.g. -O in swiftSettings) when it is required by version,
# and a path dependency would not notice, so this clones the committed HEAD into a temporary
# directory, tags it 0.0.1, and builds and runs a small package that depends on it with
# `.package(url: "file://…", from: "0.0.0")`, `import ActStore`, writes a store, opens it and
# reads a row back. Exit 0 when the row reads back equal. Uncommitted changes are not seen
# (the clone is of HEAD), as in CI's fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d -t saestore-dependency.XXXXXX)
trap 'rm -rf "$work"' EXIT
git clone -q --no-hardlinks . "$work/saestore"
git -C "$work/saestore" -c user.name=check -c user.email=check@localhost tag -a 0.0.1 -m "temporary tag for the dependency check"
mkdir -p "$work/consumer/Sources/consumer"
cat > "$work/consumer/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "consumer",
    dependencies: [.package(url: "file://$work/saestore", from: "0.0.0")],
    targets: [.executableTarget(name: "consumer", dependencies: [.product(name: "ActStore", package: "saestore")])]
)
SWIFT
cat > "$work/consumer/Sources/consumer/main.swift" <<'SWIFT'
import ActStore
import Foundation

// Write a two-column store through the public API, open it, read a row back.
let path = CommandLine.arguments[1]
let width = 4
let rows = (0..<(3 * width)).map { Float($0) / 4 }
let writer = try StoreWriter.create(at: path, manifest: StoreManifest(columns: [
    ColumnSpec(name: "blocks.0.hook_resid_pre", width: width, codec: .f32)], hasDocuments: false))
try writer.appendRows(["blocks.0.hook_resid_pre": rows], rowCount: 3)
try writer.commit()
let reader = try StoreReader(path: path)
var row: [Float] = []
try reader.readRows(column: "blocks.0.hook_resid_pre", rows: 1..<2, into: &row)
guard reader.rowCount == 3, row == Array(rows[width..<(2 * width)]) else {
    print("read back \(row) of \(reader.rowCount) rows, expected \(Array(rows[width..<(2 * width)]))")
    exit(1)
}
print("consumer: import ActStore by version, store of \(reader.rowCount) rows, row 1 = \(row)")
SWIFT
cd "$work/consumer"
if ! swift build -j "${JOBS:-2}" > "$work/build.log" 2>&1; then
    echo "dependency check: the consumer package does not build against saestore 0.0.1:" >&2
    grep -E "error|unsafe" "$work/build.log" | head -20 >&2 || tail -20 "$work/build.log" >&2
    exit 1
fi
./.build/debug/consumer "$work/check.store"
