/// The sample rates wam reads, captures and resamples to: 1 kHz to 384 kHz. Outside it a header
/// is taken as damaged or hostile (a 32 KB file claiming 1 Hz would resample to 16,000 times its
/// size for a 16 kHz model).
public enum SampleRates {
    public static let supported = 1000...384_000
}
