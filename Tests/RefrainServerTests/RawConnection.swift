import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to the server under test, for what an HTTP client library will not do: send a
/// request slowly, cut it short, or stay silent. Blocking calls with a receive timeout; used off the main actor.
final class RawConnection: @unchecked Sendable {
    private let fd: Int32

    /// Connects to `localhost:port` (IPv4 or IPv6, whichever the server bound).
    init(port: Int, receiveTimeout: Double = 10) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo("localhost", String(port), &hints, &list) == 0, let first = list else { throw Failure("no address for localhost") }
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        var connected: Int32 = -1
        while let info = entry {
            let socket = Glibc.socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if socket >= 0 {
                if Glibc.connect(socket, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { connected = socket; break }
                close(socket)
            }
            entry = info.pointee.ai_next
        }
        guard connected >= 0 else { throw Failure("cannot connect to localhost:\(port)") }
        fd = connected
        var timeout = timeval(tv_sec: Int(receiveTimeout), tv_usec: Int((receiveTimeout - Double(Int(receiveTimeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Sends all of `data`; false when the server closed the connection.
    @discardableResult
    func send(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return false }
                offset += sent
            }
            return true
        }
    }

    func send(_ text: String) -> Bool { send(Data(text.utf8)) }

    /// Reads until the server closes the connection, the receive timeout passes, or `until` is satisfied by
    /// what arrived. Returns what arrived and whether the server closed the connection.
    func receive(until done: (Data) -> Bool = { _ in false }) -> (data: Data, closed: Bool) {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return (data, true) }
            if count < 0 { return (data, false) }  // timeout (or reset)
            data.append(contentsOf: buffer[0..<count])
            if done(data) { return (data, false) }
        }
    }

    /// Reads one response: headers, and a body of its Content-Length.
    func receiveResponse() -> (status: Int?, head: String, body: Data, closed: Bool) {
        let separator = Data("\r\n\r\n".utf8)
        let (data, closed) = receive { data in
            guard let end = data.range(of: separator) else { return false }
            let head = String(decoding: data[..<end.lowerBound], as: UTF8.self)
            let length = Self.contentLength(head) ?? 0
            return data.count - end.upperBound >= length
        }
        guard let end = data.range(of: separator) else { return (nil, String(decoding: data, as: UTF8.self), Data(), closed) }
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self)
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        return (status, head, Data(data[end.upperBound...]), closed)
    }

    static func contentLength(_ head: String) -> Int? {
        for line in head.components(separatedBy: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == "content-length" { return Int(pair[1].trimmingCharacters(in: .whitespaces)) }
        }
        return nil
    }
}
