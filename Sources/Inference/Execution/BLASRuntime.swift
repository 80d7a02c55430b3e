import CBLAS

#if canImport(Glibc)
    import Glibc
#endif

/// The OpenBLAS the engine runs on: its kernel family, and the one-time setup the engine needs.
public enum BLASRuntime {
    /// OpenBLAS's name for the kernels it uses (`SkylakeX`, `Haswell`, `Prescott`, ...).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// Prepares OpenBLAS once per process: single-threaded (the engine parallelises over chunks
    /// and tiles itself; nested pools would oversubscribe the cores), and on the fastest kernels
    /// the CPU supports.
    ///
    /// OpenBLAS releases older than the CPU (Debian 12 ships 0.3.21) do not recognise recent
    /// Xeons and fall back to their generic SSE3 `Prescott` kernels, three to four times slower.
    /// When that happened and `OPENBLAS_CORETYPE` is unset, the kernels are re-selected for the
    /// instruction sets the CPU reports (AVX-512 → SkylakeX, AVX2 + FMA → Haswell).
    static func prepare() {
        _ = once
    }

    private static let once: Void = {
        #if os(Linux) && arch(x86_64)
            upgradeGenericKernels()
        #endif
        openblas_set_num_threads(1)
    }()

    #if os(Linux) && arch(x86_64)
        private static func upgradeGenericKernels() {
            guard coreName == "Prescott", getenv("OPENBLAS_CORETYPE") == nil, let flags = cpuFlags() else { return }
            let core: String
            if ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(flags.contains) {
                core = "SkylakeX"
            } else if ["avx2", "fma"].allSatisfy(flags.contains) {
                core = "Haswell"
            } else {
                return
            }
            // DYNAMIC_ARCH builds export these; other builds are left alone.
            guard let library = dlopen(nil, RTLD_NOW), let quit = dlsym(library, "gotoblas_dynamic_quit"),
                let initialize = dlsym(library, "gotoblas_dynamic_init")
            else { return }
            typealias Entry = @convention(c) () -> Void
            setenv("OPENBLAS_CORETYPE", core, 0)
            unsafeBitCast(quit, to: Entry.self)()
            unsafeBitCast(initialize, to: Entry.self)()
            unsetenv("OPENBLAS_CORETYPE")
        }

        /// The instruction-set flags of the first CPU in /proc/cpuinfo.
        private static func cpuFlags() -> Set<String>? {
            guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
            defer { fclose(file) }
            var line: UnsafeMutablePointer<CChar>?
            var capacity = 0
            defer { free(line) }
            while getline(&line, &capacity, file) > 0, let line {
                let text = String(cString: line)
                if text.hasPrefix("flags") {
                    return Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == ":" }).map(String.init))
                }
            }
            return nil
        }
    #endif
}
