import Foundation
import RefrainIndex
import RefrainMath
import XCTest

/// `ProgressReporter`'s plain-line and terminal modes, written to a collecting sink on a fake clock.
final class ProgressTests: XCTestCase {
    /// Text written by a reporter, and a clock that advances `tick` seconds each time it is read.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var chunks: [String] = []
        private var now = 0.0
        let tick: Double

        init(tick: Double) { self.tick = tick }

        var text: String { lock.withLock { chunks.joined() } }

        func reporter(total: Int, interval: Double, terminal: Bool) -> ProgressReporter {
            ProgressReporter(total: total, label: "adding", interval: interval, terminal: terminal,
                             output: { text in self.lock.withLock { self.chunks.append(text) } },
                             clock: { self.lock.withLock { self.now += self.tick; return self.now } })
        }
    }

    /// Ten steps, 0.5 s apart, reported at most every 2 s: at 2 s (4 done), 4 s (8) and the last (10),
    /// each at 2 per second.
    func testPlainLinesComeAtMostEveryIntervalPlusTheLast() {
        let recorder = Recorder(tick: 0.5)
        let progress = recorder.reporter(total: 10, interval: 2, terminal: false)
        for _ in 0..<10 { progress.step() }
        XCTAssertEqual(recorder.text, "adding: 4/10 (2.0/s)\nadding: 8/10 (2.0/s)\nadding: 10/10 (2.0/s)\n")
    }

    func testPlainLinesEveryStepWhenTheIntervalIsShorterThanAStep() {
        let recorder = Recorder(tick: 1)
        let progress = recorder.reporter(total: 3, interval: 0.5, terminal: false)
        for _ in 0..<3 { progress.step() }
        XCTAssertEqual(recorder.text, "adding: 1/3 (1.0/s)\nadding: 2/3 (1.0/s)\nadding: 3/3 (1.0/s)\n")
    }

    /// The same steps on a terminal: the bar is redrawn in place with `\r`, 30 characters wide, and a
    /// newline ends it at completion.
    func testTerminalBarRedrawsInPlaceAndEndsWithANewline() {
        let recorder = Recorder(tick: 0.5)
        let progress = recorder.reporter(total: 10, interval: 2, terminal: true)
        for _ in 0..<10 { progress.step() }
        func bar(_ filled: Int) -> String { String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled) }
        XCTAssertEqual(recorder.text, "\radding [\(bar(12))] 4/10 2.0/s" + "\radding [\(bar(24))] 8/10 2.0/s"
                       + "\radding [\(bar(30))] 10/10 2.0/s\n")
        XCTAssertEqual(recorder.text.filter { $0 == "\n" }.count, 1, "no newline before completion")
    }

    func testNoteBreaksTheBarOnATerminalOnly() {
        let terminal = Recorder(tick: 1)
        let bar = terminal.reporter(total: 4, interval: 0, terminal: true)
        bar.step()
        bar.note("skipped broken.wav")
        bar.step()
        XCTAssertEqual(terminal.text, "\radding [#######-----------------------] 1/4 1.0/s"
                       + "\r\u{1B}[Kskipped broken.wav\n" + "\radding [###############---------------] 2/4 1.0/s")
        let plain = Recorder(tick: 1)
        let lines = plain.reporter(total: 4, interval: 10, terminal: false)
        lines.note("skipped broken.wav")
        XCTAssertEqual(plain.text, "skipped broken.wav\n")
    }
}
