import Foundation
import Testing

@testable import LiveView

@Suite struct MultipartTests {
    @Test("the file field is found among other fields, byte for byte")
    func field() throws {
        let audio = Data([0, 13, 10, 45, 45, 255, 13, 10, 13, 10])  // CR LF and dashes inside the file
        let body = FormBody.make([("note", nil, Data("x".utf8)), ("file", "a.wav", audio), ("other", "b.wav", Data("b".utf8))])
        let file = try MultipartFile(body: body, contentType: "multipart/form-data; boundary=\"wam-test-boundary\"")
        #expect(file.filename == "a.wav")
        #expect(file.data == audio)
    }

    @Test("without a file field, the first part with a file name is taken")
    func fallback() throws {
        let body = FormBody.make([("note", nil, Data("x".utf8)), ("audio", "b.wav", Data("b".utf8))])
        let file = try MultipartFile(body: body, contentType: FormBody.contentType)
        #expect(file.filename == "b.wav" && file.data == Data("b".utf8))
    }

    @Test(
        "malformed forms are refused",
        arguments: [
            ("multipart/form-data", "--x\r\n"),
            ("multipart/form-data; boundary=y", "--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--x--\r\n"),
            ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"),
            ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"\r\nabc\r\n--x--\r\n"),
            ("multipart/form-data; boundary=x", "--x--\r\n"),
        ])
    func malformed(_ type: String, _ body: String) {
        #expect(throws: MultipartFile.Malformed.self) { try MultipartFile(body: Data(body.utf8), contentType: type) }
    }

    @Test(
        "uploaded file names are reduced to safe characters",
        arguments: [
            ("yes.wav", "yes.wav"), ("../../etc/passwd", "passwd"), ("C:\\\\x\\\\rec 1.wav", "rec1.wav"), ("..", "upload"),
            (nil, "upload"), ("ünï.wav", "n.wav"), (String(repeating: "a", count: 300), String(repeating: "a", count: 100)),
        ] as [(String?, String)])
    func names(_ name: String?, _ expected: String) {
        #expect(UploadRoutes.displayName(name) == expected)
    }
}
