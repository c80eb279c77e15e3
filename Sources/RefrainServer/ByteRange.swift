/// One `Range: bytes=...` request (RFC 9110 §14) resolved against a file of `size` bytes.
///
/// `bytes=A-B`, `bytes=A-` and `bytes=-N` (the last N bytes) are served as 206 with that span; a header that
/// is not one byte range (several ranges, other units, bad syntax) is ignored and the whole file served,
/// as the RFC allows; a range that starts past the end is unsatisfiable (416).
enum ByteRange: Equatable {
    /// Serve the whole file (no header, or one the server ignores).
    case whole
    /// Serve these bytes (inclusive bounds, inside the file).
    case part(ClosedRange<Int>)
    /// Answer 416 with `Content-Range: bytes */size`.
    case unsatisfiable

    init(header: String?, size: Int) {
        guard let header else { self = .whole; return }
        let value = header.trimmingCharacters(in: [" ", "\t"])
        guard value.lowercased().hasPrefix("bytes="), !value.contains(",") else { self = .whole; return }
        let spec = value.dropFirst(6).trimmingCharacters(in: [" ", "\t"])
        let bounds = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard bounds.count == 2 else { self = .whole; return }
        func number(_ text: String) -> Int? {
            guard !text.isEmpty, text.count <= 18, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(text)
        }
        if bounds[0].isEmpty {
            // Suffix: the last N bytes.
            guard let count = number(bounds[1]) else { self = .whole; return }
            guard count > 0, size > 0 else { self = .unsatisfiable; return }
            self = .part(max(0, size - count)...(size - 1))
            return
        }
        guard let start = number(bounds[0]) else { self = .whole; return }
        let end: Int
        if bounds[1].isEmpty {
            end = size - 1
        } else {
            guard let last = number(bounds[1]), last >= start else { self = .whole; return }
            end = min(last, size - 1)
        }
        guard start < size else { self = .unsatisfiable; return }
        self = .part(start...end)
    }
}

private extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var slice = self[...]
        while let c = slice.first, set.contains(c) { slice.removeFirst() }
        while let c = slice.last, set.contains(c) { slice.removeLast() }
        return String(slice)
    }
}
