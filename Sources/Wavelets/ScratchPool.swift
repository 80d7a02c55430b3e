import Synchronization

/// Scratch memory reused across transform calls, so that repeated transforms of large arrays do
/// not pay for fresh pages (page faults and kernel zeroing) every time.
///
/// Blocks are raw, 64-byte aligned allocations handed out for the duration of a closure; the
/// pool keeps at most `capacityBytes` of idle blocks and frees the rest.
final class ScratchPool: Sendable {
    static let shared = ScratchPool(capacityBytes: 256 << 20)

    private struct Block: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
        let bytes: Int
    }

    private let idle = Mutex<[Block]>([])
    private let capacityBytes: Int

    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    deinit {
        idle.withLock { blocks in blocks.forEach { $0.pointer.deallocate() } }
    }

    /// Calls `body` with one uninitialized buffer of each count in `counts`.
    func withBuffers<T: WaveletScalar, R>(
        _ counts: [Int], of type: T.Type,
        _ body: ([UnsafeMutablePointer<T>]) throws -> R
    ) rethrows -> R {
        let blocks = counts.map { acquire(bytes: max($0, 1) * MemoryLayout<T>.stride) }
        defer { release(blocks) }
        return try body(blocks.map { $0.pointer.bindMemory(to: T.self, capacity: $0.bytes / MemoryLayout<T>.stride) })
    }

    private func acquire(bytes: Int) -> Block {
        let reused = idle.withLock { blocks -> Block? in
            guard let index = blocks.indices.filter({ blocks[$0].bytes >= bytes }).min(by: { blocks[$0].bytes < blocks[$1].bytes })
            else { return nil }
            return blocks.remove(at: index)
        }
        return reused ?? Block(pointer: .allocate(byteCount: bytes, alignment: 64), bytes: bytes)
    }

    private func release(_ returned: [Block]) {
        let surplus = idle.withLock { blocks -> [Block] in
            blocks.append(contentsOf: returned)
            blocks.sort { $0.bytes > $1.bytes }
            var kept = 0, surplus: [Block] = []
            blocks.removeAll { block in
                if kept + block.bytes <= capacityBytes {
                    kept += block.bytes
                    return false
                }
                surplus.append(block)
                return true
            }
            return surplus
        }
        surplus.forEach { $0.pointer.deallocate() }
    }
}
