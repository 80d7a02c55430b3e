import CALSA
import Foundation

/// Capture from an ALSA PCM device (`default`, `plughw:1,0`, `dsnoop:...`) as 16-bit frames
/// converted to float. Overruns are recovered with `snd_pcm_recover` and counted; a device that
/// disappears makes `read` throw, and the caller reopens it.
public final class ALSACapture: AudioStream {
    public let name: String
    public let sampleRate: Double
    public let channels: Int
    /// Frames per read (one period).
    public let periodFrames: Int
    /// Overruns recovered so far.
    public private(set) var overruns = 0
    private var pcm: OpaquePointer?

    /// Opens `device` for capture at `rate` Hz with `channels` channels. `configuration`, when
    /// given, is ALSA configuration text in which `device` is defined (`snd_pcm_open_lconf`); the
    /// tests use it to capture from a file through the `file` plugin.
    public init(device: String, rate: Int, channels: Int, periodFrames: Int = 1024, configuration: String? = nil) throws(AudioError) {
        name = "alsa:" + device
        sampleRate = Double(rate)
        self.channels = channels
        self.periodFrames = periodFrames
        var handle: OpaquePointer?
        var status: Int32
        if let configuration {
            var config: OpaquePointer?
            var input: OpaquePointer?
            snd_config_top(&config)
            let bytes = Array(configuration.utf8CString)
            status = bytes.withUnsafeBufferPointer { snd_input_buffer_open(&input, $0.baseAddress, bytes.count - 1) }
            if status >= 0 {
                status = snd_config_load(config, input)
                snd_input_close(input)
            }
            if status >= 0 { status = snd_pcm_open_lconf(&handle, device, SND_PCM_STREAM_CAPTURE, 0, config) }
            snd_config_delete(config)
        } else {
            status = snd_pcm_open(&handle, device, SND_PCM_STREAM_CAPTURE, 0)
        }
        guard status >= 0, let handle else {
            throw AudioError(source: name, reason: "cannot open the capture device: \(String(cString: snd_strerror(status)))")
        }
        status = snd_pcm_set_params(
            handle, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, UInt32(channels), UInt32(rate),
            1, 500_000)
        guard status >= 0 else {
            snd_pcm_close(handle)
            throw AudioError(
                source: name,
                reason: "the device refuses 16-bit, \(channels)-channel capture at \(rate) Hz: "
                    + String(cString: snd_strerror(status)))
        }
        pcm = handle
    }

    deinit { close() }

    /// Releases the device.
    public func close() {
        if let pcm { snd_pcm_close(pcm) }
        pcm = nil
    }

    public func read(frames: Int) throws(AudioError) -> [Float]? {
        guard let pcm else { return nil }
        let count = min(frames, periodFrames)
        var buffer = [Int16](repeating: 0, count: count * channels)
        while true {
            let got = buffer.withUnsafeMutableBufferPointer { snd_pcm_readi(pcm, $0.baseAddress, snd_pcm_uframes_t(count)) }
            if got >= 0 {
                return buffer.prefix(Int(got) * channels).map { Float($0) / 32768 }
            }
            let error = Int32(got)
            if error == -EPIPE || error == -ESTRPIPE || error == -EINTR {
                if error == -EPIPE { overruns += 1 }
                if snd_pcm_recover(pcm, error, 1) >= 0 { continue }
            }
            if error == -EAGAIN { continue }
            throw AudioError(source: name, reason: "capture failed: \(String(cString: snd_strerror(error)))")
        }
    }
}
