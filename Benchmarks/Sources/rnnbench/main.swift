#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RNNEngine

/// One benchmark shape: a recurrent layer (or Bidirectional) on (B, T, D) inputs.
struct Shape {
    var name: String
    var kind: String  // lstm, gru, rnn
    var b: Int, t: Int, d: Int, h: Int
    var bidirectional = false
    var sequences = false
    var note: String

    var gates: Int { kind == "lstm" ? 4 : kind == "gru" ? 3 : 1 }
    var flops: Double { 2.0 * Double(b * t * (d + h) * gates * h) * (bidirectional ? 2 : 1) }

    /// The issue-5 floor: GEMM at 102 GFLOP/s per core; a B = 1 step streams its weights from L2
    /// (2.4 us per 256 KiB), split across the cores.
    func floorMs(threads: Int) -> Double {
        let dirs = Double(bidirectional ? 2 : 1)
        if b == 1 {
            let proj = 2.0 * Double(t * d * gates * h) * dirs / (102e9 * Double(threads))
            let step = Double(t) * dirs * Double(h * gates * h * 4) / (109e9 * Double(threads))
            return (proj + step) * 1e3
        }
        return flops / (102e9 * Double(threads)) * 1e3
    }
}

let shapes: [Shape] = [
    Shape(name: "S1", kind: "lstm", b: 1, t: 100, d: 64, h: 128, note: "latency LSTM, last output"),
    Shape(name: "S2", kind: "lstm", b: 32, t: 100, d: 128, h: 256, note: "LSTM, last output"),
    Shape(name: "S3", kind: "lstm", b: 64, t: 200, d: 256, h: 512, note: "LSTM, last output"),
    Shape(name: "S4", kind: "lstm", b: 32, t: 100, d: 128, h: 256, bidirectional: true, sequences: true,
          note: "Bidirectional LSTM, concat, sequences"),
    Shape(name: "G2", kind: "gru", b: 32, t: 100, d: 128, h: 256, note: "GRU reset_after, last output"),
    Shape(name: "R2", kind: "rnn", b: 32, t: 100, d: 128, h: 256, note: "SimpleRNN tanh, last output"),
    Shape(name: "L1", kind: "lstm", b: 1, t: 200, d: 128, h: 256, sequences: true, note: "latency LSTM H=256, sequences"),
    Shape(name: "S5", kind: "lstm", b: 8, t: 50, d: 64, h: 128, note: "small batch LSTM, last output"),
]

struct Rng {
    var state: UInt64
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
    }
    mutating func array(_ n: Int, scale: Float) -> [Float] { (0..<n).map { _ in next() * scale } }
}

func layer(_ s: Shape, rng: inout Rng, backwards: Bool = false) -> RecurrentLayer<Float> {
    let (d, u) = (s.d, s.h)
    let sk = (6 / Float(d + s.gates * u)).squareRoot(), sr = (6 / Float(u + s.gates * u)).squareRoot()
    let cell: RecurrentCell<Float>
    switch s.kind {
    case "lstm":
        cell = .lstm(LSTMCell(units: u, inputDim: d, kernel: rng.array(d * 4 * u, scale: sk),
                              recurrentKernel: rng.array(u * 4 * u, scale: sr), bias: rng.array(4 * u, scale: 0.5)))
    case "gru":
        cell = .gru(GRUCell(units: u, inputDim: d, kernel: rng.array(d * 3 * u, scale: sk),
                            recurrentKernel: rng.array(u * 3 * u, scale: sr), inputBias: rng.array(3 * u, scale: 0.5),
                            recurrentBias: rng.array(3 * u, scale: 0.5), resetAfter: true))
    default:
        cell = .simpleRNN(SimpleRNNCell(units: u, inputDim: d, kernel: rng.array(d * u, scale: sk),
                                        recurrentKernel: rng.array(u * u, scale: sr), bias: rng.array(u, scale: 0.5)))
    }
    return RecurrentLayer(cell: cell, returnSequences: s.sequences, goBackwards: backwards)
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

// Arguments.
var threadCounts = [1, 2]
var names = shapes.map(\.name)
var repetitions = 20
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--threads": threadCounts = (args.popFirst() ?? "1,2").split(separator: ",").compactMap { Int($0) }
    case "--shapes": names = (args.popFirst() ?? "").split(separator: ",").map(String.init)
    case "--repeat": repetitions = Int(args.popFirst() ?? "20") ?? 20
    default:
        print("usage: rnnbench [--threads 1,2] [--shapes S1,S2,...] [--repeat N]")
        exit(2)
    }
}

print("rnncheck fast path, kernels \(FastPath.instructionSet); median of \(repetitions) calls after 3 warm-up calls")
print("| shape | B,T,D,H | GFLOP | threads | median ms | p10–p90 ms | floor ms | floor share | GFLOP/s |")
print("|---|---|---|---|---|---|---|---|---|")
for s in shapes where names.contains(s.name) {
    var rng = Rng(state: 0x5eed &+ UInt64(s.name.unicodeScalars.map(\.value).reduce(0, +)))
    let x = Tensor(shape: [s.b, s.t, s.d], scalars: rng.array(s.b * s.t * s.d, scale: 1))
    let forward = layer(s, rng: &rng)
    let call: () throws -> Void
    if s.bidirectional {
        let bi = BidirectionalLayer(forward: forward, backward: layer(s, rng: &rng, backwards: true), mergeMode: .concat)
        call = { _ = try bi(x) }
    } else {
        call = { _ = try forward(x) }
    }
    for n in threadCounts {
        ComputeThreads.count = n
        for _ in 0..<3 { try call() }
        var times: [Double] = []
        for _ in 0..<repetitions {
            let t0 = now()
            try call()
            times.append((now() - t0) * 1e3)
        }
        times.sort()
        let median = times[times.count / 2]
        let p10 = times[times.count / 10], p90 = times[(times.count * 9) / 10]
        let floor = s.floorMs(threads: n)
        print(String(format: "| %@ %@ | %d,%d,%d,%d | %.3f | %d | %.3f | %.3f–%.3f | %.3f | %.0f%% | %.1f |",
                     s.name, s.note, s.b, s.t, s.d, s.h, s.flops / 1e9, n, median, p10, p90, floor,
                     floor / median * 100, s.flops / (median * 1e6)))
    }
}
