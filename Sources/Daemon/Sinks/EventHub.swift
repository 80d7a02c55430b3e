import Foundation
import Synchronization

/// One thing the daemon did with a window: classified it, or explained it.
public struct WindowEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case classified, explained }

    /// Increasing number of the event since the daemon started.
    public var sequence: Int
    public var kind: Kind
    public var time: Date
    public var source: String
    public var sampleIndex: Int
    public var prediction: String
    public var probability: Double
    public var dbfs: Double
    public var decision: GateDecision
    /// Top classes with their probabilities.
    public var top: [String: Double]
    /// For explanations: the JSON document's path relative to the output folder.
    public var document: String?
}

/// Fans the daemon's window events out to subscribers (server-sent events) and keeps the most
/// recent ones for queries.
public final class EventHub: Sendable {
    private struct State {
        var recent: [WindowEvent] = []
        var subscribers: [UUID: AsyncStream<WindowEvent>.Continuation] = [:]
        var sequence = 0
    }

    private let state = Mutex(State())
    /// Events kept for `recent`.
    public let capacity: Int

    public init(capacity: Int = 2000) {
        self.capacity = capacity
    }

    /// Records `event` (its sequence number is assigned here) and sends it to every subscriber.
    /// - Returns: the event with its sequence number.
    @discardableResult
    public func publish(_ event: WindowEvent) -> WindowEvent {
        let (numbered, targets) = state.withLock { state -> (WindowEvent, [AsyncStream<WindowEvent>.Continuation]) in
            var numbered = event
            state.sequence += 1
            numbered.sequence = state.sequence
            state.recent.append(numbered)
            if state.recent.count > capacity { state.recent.removeFirst(state.recent.count - capacity) }
            return (numbered, Array(state.subscribers.values))
        }
        for target in targets { target.yield(numbered) }
        return numbered
    }

    /// Every event from now on, until the stream is dropped. A slow subscriber loses its oldest
    /// unread events rather than holding the daemon back.
    public func subscribe() -> AsyncStream<WindowEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<WindowEvent>.makeStream(bufferingPolicy: .bufferingNewest(256))
        continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) } }
        state.withLock { $0.subscribers[id] = continuation }
        return stream
    }

    /// The most recent events, newest first, optionally of one kind or class and passing `isIncluded`.
    public func recent(
        limit: Int = 100, kind: WindowEvent.Kind? = nil, prediction: String? = nil,
        where isIncluded: (WindowEvent) -> Bool = { _ in true }
    ) -> [WindowEvent] {
        state.withLock { state in
            var chosen: [WindowEvent] = []
            for event in state.recent.reversed() {
                guard chosen.count < limit else { break }
                if (kind == nil || event.kind == kind) && (prediction == nil || event.prediction == prediction) && isIncluded(event) {
                    chosen.append(event)
                }
            }
            return chosen
        }
    }
}
