import ActStore
import ArgumentParser
import Foundation

/// `saestore verify STORE`: reads every chunk and index record; exit 0 only when sound.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every chunk and index record of a store; exit status 1 when anything is damaged.")

    @Argument(help: "Store directory.")
    var store: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "No progress display.")
    var quiet = false

    func run() throws {
        let progress = Progress("verify", unit: "chunks", quiet: quiet || json)
        let report = StoreVerifier.verify(path: store) { done, total in progress.update(done, of: total) }
        progress.finish()
        if json {
            try printJSON(report)
        } else if report.isSound {
            print("ok: \(report.chunksChecked) chunks, \(report.documentsChecked) documents, \(report.rowsChecked) rows checked")
            if report.uncommittedTailBytes > 0 {
                print("note: \(report.uncommittedTailBytes) uncommitted bytes after the last commit (an interrupted write; the next writer cuts them off)")
            }
        } else {
            for problem in report.problems { print("damage: \(problem)") }
            print("\(report.problems.count) problem(s) in \(store)")
        }
        if !report.isSound { throw ExitCode(1) }
    }
}
