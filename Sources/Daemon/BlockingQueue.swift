import Foundation

/// A bounded first-in first-out queue shared by threads. When full, `push` either waits for
/// room (files: no audio may be lost) or drops the oldest element (live capture and explanation
/// backlogs: memory stays bounded whatever the input rate). `close` wakes every waiter; once
/// closed and empty, `pop` returns nil.
final class BlockingQueue<Element>: @unchecked Sendable {
    enum Overflow { case wait, dropOldest }

    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false
    let capacity: Int
    let overflow: Overflow
    /// Elements dropped because the queue was full.
    private(set) var dropped = 0

    init(capacity: Int, overflow: Overflow) {
        precondition(capacity >= 1)
        self.capacity = capacity
        self.overflow = overflow
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count - head
    }

    /// Adds `element`, handling a full queue per `policy` (default: the queue's own); returns
    /// the elements dropped to make room, or nil when the queue is closed.
    @discardableResult
    func push(_ element: Element, overflow policy: Overflow? = nil) -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        var evicted: [Element] = []
        while !closed && items.count - head >= capacity {
            if (policy ?? overflow) == .dropOldest {
                evicted.append(items[head])
                head += 1
                dropped += 1
            } else {
                condition.wait()
            }
        }
        guard !closed else { return nil }
        items.append(element)
        compact()
        condition.broadcast()
        return evicted
    }

    /// The oldest element, waiting for one; nil once closed and empty. With `timeout`, also nil
    /// when nothing arrived in time.
    func pop(timeout: TimeInterval? = nil) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while items.count == head && !closed {
            if let deadline {
                if !condition.wait(until: deadline) { return nil }
            } else {
                condition.wait()
            }
        }
        guard items.count > head else { return nil }
        let element = items[head]
        head += 1
        compact()
        condition.broadcast()
        return element
    }

    /// Removes and returns everything waiting.
    func drain() -> [Element] {
        condition.lock()
        defer { condition.unlock() }
        let rest = Array(items[head...])
        items.removeAll()
        head = 0
        condition.broadcast()
        return rest
    }

    /// Refuses further pushes and wakes every waiter; what is queued can still be popped.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func compact() {
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}
