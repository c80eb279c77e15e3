import Foundation
@testable import RefrainServer
import XCTest

/// The multipart/form-data parser and the bearer-token check, on their own.
final class MultipartFormTests: XCTestCase {
    func testPartsWithQuotedNamesPreambleAndPaddingAreRead() throws {
        let body = Data(("preamble to ignore\r\n--XyZ \r\n"
            + "Content-Disposition: form-data; name=\"file\"; filename=\"a; b \\\"c\\\".wav\"\r\nContent-Type: Audio/WAV; rate=1\r\n\r\n"
            + "RIFF\r\n--not-the-boundary\r\n\r\n--XyZ\r\n"
            + "content-disposition: form-data; name=key\r\n\r\nmy key\r\n--XyZ--\r\nepilogue").utf8)
        let form = try MultipartForm(body: body, boundary: "XyZ")
        XCTAssertEqual(form.parts.count, 2)
        let file = try XCTUnwrap(form.part("file"))
        XCTAssertEqual(file.fileName, "a; b \"c\".wav")
        XCTAssertEqual(file.mediaType, "audio/wav")
        XCTAssertEqual(String(decoding: file.data, as: UTF8.self), "RIFF\r\n--not-the-boundary\r\n")
        XCTAssertEqual(try form.text("key"), "my key")
        XCTAssertNil(try form.text("title"))
        XCTAssertEqual(try MultipartForm.boundary(contentType: "multipart/form-data; charset=utf-8; boundary=\"XyZ\""), "XyZ")
        XCTAssertNil(try MultipartForm.boundary(contentType: "audio/wav"))
        XCTAssertThrowsError(try MultipartForm.boundary(contentType: "multipart/form-data; boundary=\(String(repeating: "b", count: 71))"))
    }

    func testBrokenFormsAreRefused() {
        let bad = [
            "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nno closing boundary",
            "--XyZ\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--XyZ--",
            "--XyZ\r\nno colon here\r\n\r\nx\r\n--XyZ--",
            "--XyZ\r\nContent-Disposition: form-data; name=\"f\"",
            "--XyZgarbage",
        ]
        for text in bad {
            XCTAssertThrowsError(try MultipartForm(body: Data(text.utf8), boundary: "XyZ"), text) { error in
                XCTAssertEqual((error as? APIError)?.status, .badRequest, text)
            }
        }
        let longHeaders = "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\nX-Pad: \(String(repeating: "p", count: 9000))\r\n\r\nx\r\n--XyZ--"
        XCTAssertThrowsError(try MultipartForm(body: Data(longHeaders.utf8), boundary: "XyZ")) { error in
            XCTAssertTrue((error as? APIError)?.message.contains("longer than") ?? false, "\(error)")
        }
    }

    func testTheTokenIsComparedWholeAndOnlyAsABearerToken() {
        let token = BearerToken("s3cret")
        XCTAssertTrue(token.accepts(authorization: "Bearer s3cret"))
        XCTAssertTrue(token.accepts(authorization: "bearer s3cret"))
        for wrong in [nil, "", "Bearer ", "Bearer s3cre", "Bearer s3cret ", "Bearer s3cret2", "Bearer S3CRET", "Basic s3cret", "s3cret",
                      "Bearer s3crets3cret"] {
            XCTAssertFalse(token.accepts(authorization: wrong), wrong ?? "nil")
        }
        XCTAssertTrue(BearerToken.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        XCTAssertFalse(BearerToken.constantTimeEqual(Array("abcabc".utf8), Array("abc".utf8)), "a repeat of the token is not the token")
        XCTAssertFalse(BearerToken.constantTimeEqual([], []), "an empty token accepts nothing")
    }
}
