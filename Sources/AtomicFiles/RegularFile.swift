import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why a path a user named cannot be taken as an input file.
public enum RegularFileProblem: Error, Equatable, CustomStringConvertible {
    /// The path cannot be looked at or opened; the system's reason ("No such file or directory").
    case unreadable(String)
    /// A folder, FIFO, device or socket: reading it would fail, block or never end.
    case notRegularFile
    /// Larger than the caller accepts, in bytes.
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .unreadable(let reason): "cannot be read (\(reason))"
        case .notRegularFile: "is not a regular file"
        case .tooLarge(let limit): "is larger than \(limit >= 1 << 20 ? "\(limit >> 20) MiB" : "\(limit) bytes")"
        }
    }
}

/// Files a user names as inputs (configuration secrets, certificates, documents, recordings):
/// each must be a regular file, after links, of a bounded size, checked once here.
public enum RegularFile {
    /// The size of `path` in bytes; throws unless it is a regular file of at most `limit` bytes.
    @discardableResult
    public static func check(_ path: String, atMost limit: Int) throws(RegularFileProblem) -> Int {
        var status = stat()
        guard stat(path, &status) == 0 else { throw .unreadable(String(cString: strerror(errno))) }
        return try checked(status, atMost: limit)
    }

    /// The bytes of `path`, which must be a regular file of at most `limit` bytes. The check is
    /// made on the opened file, so a path swapped for a FIFO after a look cannot block the read.
    public static func read(_ path: String, atMost limit: Int) throws(RegularFileProblem) -> Data {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadable(String(cString: strerror(errno))) }
        let size = try checked(status, atMost: limit)
        var data = Data(count: size)
        var filled = 0
        while filled < size {
            let count = data.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + filled, size - filled)
            }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
            if count == 0 { break }
            filled += count
        }
        return data.prefix(filled)
    }

    private static func checked(_ status: stat, atMost limit: Int) throws(RegularFileProblem) -> Int {
        guard status.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile }
        guard status.st_size <= limit else { throw .tooLarge(limit: limit) }
        return Int(status.st_size)
    }
}
