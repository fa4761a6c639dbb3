import ArgumentParser
import Conformance
import Foundation
import HDF5
import KerasImport
import RNNEngine

extension RNNCheck {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time a model's float32 forward pass on given inputs, in-process.",
            discussion: """
                Loads MODEL and the root datasets input_0, input_1, ... of INPUTS (the same files as \
                `rnncheck run`), runs --warmup calls, then times --repeat calls of the forward pass \
                (model in float32, as Keras computes; loading and conversion are not timed). Prints \
                the median and the spread in milliseconds; --format json gives median_ms and every \
                time. Results do not depend on --threads, only the speed does.
                """)

        @Argument(help: "The Keras model file.")
        var model: String

        @Argument(help: "An HDF5 file with root datasets input_0, input_1, ...")
        var inputs: String

        @Option(help: "The model config (config.json) for a .weights.h5 MODEL.")
        var config: String?

        @Option(help: "Compute threads (default: RNNCHECK_THREADS, else the online cores).")
        var threads: Int?

        @Option(help: "Untimed calls first.")
        var warmup: Int = 3

        @Option(name: .customLong("repeat"), help: "Timed calls.")
        var repetitions: Int = 20

        /// `bench` prints timings, not a conformance report: its own two formats.
        enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

        @Option(help: "Output format: text, json.")
        var format: Format = .text

        func validate() throws {
            if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1, got \(threads).") }
            if warmup < 0 { throw ValidationError("--warmup must be ≥ 0, got \(warmup).") }
            if repetitions < 1 { throw ValidationError("--repeat must be ≥ 1, got \(repetitions).") }
        }

        /// The float32 model and inputs; the float64 copies are freed on return.
        static func load(model: String, config: String?, inputs: String) throws -> (Model<Float>, [Tensor<Float>], String) {
            let loaded = try KerasModelLoader.load(path: model, configPath: config)
            let x = try readInputs(inputs)
            guard x.count == loaded.model.inputs.count else {
                throw ConformanceError.unusable(
                    file: inputs, object: "/input_\(min(x.count, loaded.model.inputs.count))",
                    reason: "the model takes \(loaded.model.inputs.count) input(s), the file has \(x.count)")
            }
            return (loaded.model.converted(to: Float.self), x, loaded.model.name)
        }

        /// The inputs as float32. float32 datasets are read as they are (no float64 copy, so the
        /// peak memory is the model's, not the reader's); anything else goes through
        /// `ReferenceData` (float64) and is rounded to float32 as `rnncheck run` does.
        static func readInputs(_ path: String) throws -> [Tensor<Float>] {
            let root = try HDF5.File.open(path).root
            let names = try root.childNames().filter { $0.hasPrefix("input_") }
            var direct: [Tensor<Float>] = []
            for n in 0..<names.count {
                guard names.contains("input_\(n)"), try root.kind(of: "input_\(n)") == .dataset else { break }
                let ds = try root.dataset("input_\(n)")
                guard ds.elementType == .float32 else { break }
                direct.append(Tensor(shape: ds.shape, scalars: try ds.read(as: Float.self)))
            }
            if !direct.isEmpty && direct.count == names.count { return direct }
            direct = []
            let reference = try ReferenceData.read(from: root, file: path, outputsRequired: false)
            return reference.inputs.map { $0.converted(to: Float.self) }
        }

        /// A `/proc/self/status` field in MiB (Linux), or nil.
        static func procStatus(_ field: String) -> Double? {
            guard let f = fopen("/proc/self/status", "r") else { return nil }
            defer { fclose(f) }
            var buffer = [CChar](repeating: 0, count: 256)
            while fgets(&buffer, Int32(buffer.count), f) != nil {
                let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                guard line.hasPrefix(field + ":") else { continue }
                let kb = line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Double($0) }
                return kb.map { $0 / 1024 }
            }
            return nil
        }

        static func now() -> UInt64 {
            var t = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t)
            return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
        }

        /// The q-quantile (0...1) of sorted values, linearly interpolated.
        static func quantile(_ sorted: [Double], _ q: Double) -> Double {
            guard sorted.count > 1 else { return sorted.first ?? .nan }
            let position = q * Double(sorted.count - 1)
            let lower = Int(position.rounded(.down))
            let upper = min(lower + 1, sorted.count - 1)
            return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
        }

        func run() throws {
            let model: Model<Float>
            let x: [Tensor<Float>]
            let name: String
            do {
                (model, x, name) = try Self.load(model: self.model, config: config, inputs: inputs)
            } catch {
                throw RNNCheck.fail(error)
            }
            if let threads { ComputeThreads.count = threads }
            // Resident memory before the first call, then the peak while calling (Linux: the
            // high-water mark is reset first, so loading does not count).
            #if os(Linux)
            // give back what loading freed (glibc's malloc_trim), so that it does not hide the calls' own memory
            if let trim = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
                _ = unsafeBitCast(trim, to: (@convention(c) (Int) -> Int32).self)(0)
            }
            #endif
            let rssBefore = Self.procStatus("VmRSS")
            if let f = fopen("/proc/self/clear_refs", "w") {
                fputs("5", f)
                fclose(f)
            }
            var outputShapes: [[Int]] = []
            var times: [Double] = []
            do {
                for _ in 0..<warmup { outputShapes = try model.predict(x).map(\.shape) }
                for _ in 0..<repetitions {
                    let start = Self.now()
                    let y = try model.predict(x)
                    let end = Self.now()
                    times.append(Double(end - start) / 1e6)
                    if outputShapes.isEmpty { outputShapes = y.map(\.shape) }
                }
            } catch {
                let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                FileHandle.standardError.write(Data("rnncheck: \(self.model): \(message)\n".utf8))
                throw ExitCode(2)
            }
            let sorted = times.sorted()
            let median = Self.quantile(sorted, 0.5)
            let (p10, p90) = (Self.quantile(sorted, 0.1), Self.quantile(sorted, 0.9))
            let mean = times.reduce(0, +) / Double(times.count)
            var usage = rusage()
            #if os(Linux)
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            let maxRSS = Double(usage.ru_maxrss) / 1024  // KiB
            #else
            getrusage(RUSAGE_SELF, &usage)
            let maxRSS = Double(usage.ru_maxrss) / (1024 * 1024)  // bytes
            #endif
            let rssPeak = Self.procStatus("VmHWM")
            let threadCount = ComputeThreads.count
            switch format {
            case .text:
                func ms(_ v: Double) -> String { String(format: "%.3f", v) }
                print("\(name): \(x.map { "\($0.shape)" }.joined(separator: ", ")) -> \(outputShapes.map { "\($0)" }.joined(separator: ", "))")
                print("threads \(threadCount), kernels \(FastPath.instructionSet), \(warmup) warm-up + \(repetitions) timed calls")
                print("median \(ms(median)) ms  (min \(ms(sorted.first!)), p10 \(ms(p10)), p90 \(ms(p90)), max \(ms(sorted.last!)), mean \(ms(mean)))")
                print("peak memory (max RSS) \(String(format: "%.1f", maxRSS)) MiB", terminator: "")
                if let rssBefore, let rssPeak {
                    print(String(format: "; before the first call %.1f MiB, peak while calling %.1f MiB (+%.1f)",
                                 rssBefore, rssPeak, rssPeak - rssBefore), terminator: "")
                }
                print()
            case .json:
                let object: [String: Any] = [
                    "model": self.model, "inputs": inputs, "name": name,
                    "input_shapes": x.map(\.shape), "output_shapes": outputShapes,
                    "threads": threadCount, "kernels": FastPath.instructionSet,
                    "warmup": warmup, "repeat": repetitions,
                    "median_ms": median, "min_ms": sorted.first!, "max_ms": sorted.last!,
                    "p10_ms": p10, "p90_ms": p90, "mean_ms": mean, "times_ms": times,
                    "max_rss_mib": maxRSS,
                ].merging([("rss_before_calls_mib", rssBefore), ("peak_rss_while_calling_mib", rssPeak)]
                    .compactMap { k, v in v.map { (k, $0 as Any) } }) { a, _ in a }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}
