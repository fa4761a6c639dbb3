#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CRNNKernels

/// The level of kernels used on this machine: on x86-64 2 AVX-512, 1 AVX2+FMA; on arm64 1 NEON;
/// 0 portable C (`rk_cpu_isa`). `RNNCHECK_ISA` may lower it (for measurements and tests of the
/// other paths).
let kernelISA: Int32 = {
    let detected = rk_cpu_isa()
    if let env = getenv("RNNCHECK_ISA"), let n = Int32(String(cString: env)), n >= 0 { return min(n, detected) }
    return detected
}()

/// A buffer of `count` scalars aligned to 64 bytes, freed with its owner.
final class AlignedBuffer<S: FastScalar>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<S>
    let count: Int
    /// The raw storage (from the pool, or owned).
    let storage: RawBuffer

    init(count: Int, zeroed: Bool = true) {
        self.count = count
        storage = RawBuffer(bytes: max(count, 1) * MemoryLayout<S>.stride)
        // Zeroed as bytes (memset): S is Float or Double, whose +0 is all zero bits, and in this
        // generic class `initialize(repeating:)` went element by element through S's value
        // witnesses (seen in profiles of packing S3's weights).
        if zeroed { storage.raw.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1) * MemoryLayout<S>.stride) }
        pointer = storage.raw.bindMemory(to: S.self, capacity: max(count, 1))
    }

    func zero(_ n: Int? = nil) {
        UnsafeMutableRawPointer(pointer).initializeMemory(as: UInt8.self, repeating: 0,
                                                          count: min(n ?? count, count) * MemoryLayout<S>.stride)
    }
}

/// Raw memory aligned to 64 bytes, freed with its owner; what the pool keeps.
final class RawBuffer: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    let bytes: Int

    init(bytes: Int) {
        self.bytes = bytes
        raw = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
    }

    deinit { raw.deallocate() }

    /// The memory as `count` scalars of type `S` (contents undefined).
    func bound<S>(to: S.Type, count: Int) -> UnsafeMutablePointer<S> {
        precondition(count * MemoryLayout<S>.stride <= max(bytes, 1))
        return raw.bindMemory(to: S.self, capacity: max(count, 1))
    }
}

/// Working buffers kept between runs, so that a run does not map, fault in and clear fresh
/// memory every call (a few MiB at most are kept).
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var free: [RawBuffer] = []
    private static let keepBytes = 32 << 20

    private init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    /// A buffer of at least `bytes` bytes, contents undefined.
    func take(bytes: Int) -> RawBuffer {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        var best: Int?
        for (i, b) in free.enumerated() where b.bytes >= bytes && b.bytes <= 2 * bytes + 16384 {
            if best == nil || b.bytes < free[best!].bytes { best = i }
        }
        if let best { return free.remove(at: best) }
        return RawBuffer(bytes: bytes)
    }

    func give(_ buffers: [RawBuffer]) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        free.append(contentsOf: buffers)
        free.sort { $0.bytes > $1.bytes }
        var total = 0
        free = free.filter { b in
            total += b.bytes
            return total <= Self.keepBytes
        }
    }
}

/// One cell's weights (float32, or float64 for the error budget), packed once for the tile
/// kernels.
///
/// Units are grouped in panels (16 units for LSTM and GRU, 64 for SimpleRNN); a panel's
/// columns are its units' gates side by side (`[i f c o]` × 16 for LSTM, `[z r h]` × 16 for
/// GRU), so one panel yields whole units. Each kernel is stored panel after panel, each panel
/// `rows × panelWidth` contiguous and made of strips of `S.stripWidth` columns (16 floats or
/// 8 doubles: one 64-byte line per row), each strip `rows × stripWidth` contiguous (the tile
/// kernels' `ldb = stripWidth`, `bs = rows · stripWidth`): a tile streams one strip per row
/// group, and a strip read at the panel's 256-byte row stride was evicted from L1 between the
/// row groups that share it (measured on S3's step product: 47 → 65 GFLOP/s, AVX2).
/// Units past `units` (up to a whole panel) have zero weights and are never reported.
final class PackedCell<S: FastScalar>: @unchecked Sendable {
    enum Kind { case lstm, gru, simpleRNN }

    let kind: Kind
    let units: Int
    let inputDim: Int
    let gates: Int
    let panelUnits: Int
    let panels: Int
    var panelWidth: Int { gates * panelUnits }
    /// `panels * panelUnits`: the row stride of every state buffer.
    var paddedUnits: Int { panels * panelUnits }
    /// `panels * panelWidth`: the row stride of projected inputs.
    var paddedWidth: Int { panels * panelWidth }

    /// `panels × (panelWidth / w) × inputDim × w`, `w = S.stripWidth`.
    let kernel: AlignedBuffer<S>
    /// `panels × (panelWidth / w) × units × w`.
    let recurrentKernel: AlignedBuffer<S>
    /// Added to the projected inputs (GRU input bias, SimpleRNN bias), panel layout; or nil.
    let projectionBias: AlignedBuffer<S>?
    /// Added after `x@W + h@U` (LSTM bias) or to `h@U` (GRU recurrent bias), panel layout; or nil.
    let stepBias: AlignedBuffer<S>?
    let activation: Activation
    let recurrentActivation: Activation
    /// Whether the gates are the defaults the vector code fuses (tanh, sigmoid).
    let fusedGates: Bool

    /// The arrays this was packed from (kept so that their storage, and so their identity,
    /// cannot change while this exists).
    private let sources: [[S]]

    /// The packed column of gate `g`, unit `j`.
    @inline(__always)
    func column(gate g: Int, unit j: Int) -> Int {
        (j / panelUnits) * panelWidth + g * panelUnits + j % panelUnits
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    private init(kind: Kind, units: Int, inputDim: Int, gates: Int, panelUnits: Int, kernel: [S],
                 recurrentKernel: [S], projectionBias: [S]?, stepBias: [S]?,
                 activation: Activation, recurrentActivation: Activation, fusedGates: Bool) {
        self.kind = kind
        self.units = units
        self.inputDim = inputDim
        self.gates = gates
        self.panelUnits = panelUnits
        let panels = (units + panelUnits - 1) / panelUnits
        self.panels = panels
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.fusedGates = fusedGates
        sources = [kernel, recurrentKernel] + [projectionBias, stepBias].compactMap { $0 }
        let width = gates * panelUnits
        let pw = panels * width
        func pack(_ w: [S], rows: Int) -> AlignedBuffer<S> {
            let out = AlignedBuffer<S>(count: panels * rows * width)
            let n = gates * units
            w.withUnsafeBufferPointer { src in
                // Each run of up to `sw` units (of one gate and row) starting at a multiple of `sw`
                // is one strip row: panel j / panelUnits, column c = g·panelUnits + j % panelUnits
                // (a multiple of sw, as panelUnits is), so one contiguous copy.
                let sw = S.stripWidth
                for r in 0..<rows {
                    for g in 0..<gates {
                        for j0 in Swift.stride(from: 0, to: units, by: sw) {
                            let p = j0 / panelUnits, c = g * panelUnits + j0 % panelUnits
                            // copied as bytes (memcpy), not through S's value witnesses
                            UnsafeMutableRawPointer(out.pointer + p * rows * width + S.stripOffset(row: r, column: c, k: rows))
                                .copyMemory(from: src.baseAddress! + r * n + g * units + j0,
                                            byteCount: min(sw, units - j0) * MemoryLayout<S>.stride)
                        }
                    }
                }
            }
            return out
        }
        func packRow(_ b: [S]?) -> AlignedBuffer<S>? {
            guard let b else { return nil }
            let out = AlignedBuffer<S>(count: pw)
            for g in 0..<gates {
                for j in 0..<units { out.pointer[(j / panelUnits) * width + g * panelUnits + j % panelUnits] = b[g * units + j] }
            }
            return out
        }
        self.kernel = pack(kernel, rows: inputDim)
        self.recurrentKernel = pack(recurrentKernel, rows: units)
        self.projectionBias = packRow(projectionBias)
        self.stepBias = packRow(stepBias)
    }

    /// Packs a cell the fast path runs, or returns nil (stacked cells, GRU with
    /// `reset_after=False`, non-element-wise activations).
    static func make(_ cell: RecurrentCell<S>) -> PackedCell? {
        switch cell {
        case .lstm(let c):
            guard c.activation.isElementwise, c.recurrentActivation.isElementwise else { return nil }
            return PackedCell(kind: .lstm, units: c.units, inputDim: c.inputDim, gates: 4, panelUnits: 16,
                              kernel: c.kernel, recurrentKernel: c.recurrentKernel, projectionBias: nil, stepBias: c.bias,
                              activation: c.activation, recurrentActivation: c.recurrentActivation,
                              fusedGates: c.activation == .tanh && c.recurrentActivation == .sigmoid)
        case .gru(let c):
            guard c.resetAfter, c.activation.isElementwise, c.recurrentActivation.isElementwise else { return nil }
            return PackedCell(kind: .gru, units: c.units, inputDim: c.inputDim, gates: 3, panelUnits: 16,
                              kernel: c.kernel, recurrentKernel: c.recurrentKernel, projectionBias: c.inputBias,
                              stepBias: c.recurrentBias, activation: c.activation,
                              recurrentActivation: c.recurrentActivation,
                              fusedGates: c.activation == .tanh && c.recurrentActivation == .sigmoid)
        case .simpleRNN(let c):
            guard c.activation.isElementwise else { return nil }
            return PackedCell(kind: .simpleRNN, units: c.units, inputDim: c.inputDim, gates: 1, panelUnits: 64,
                              kernel: c.kernel, recurrentKernel: c.recurrentKernel, projectionBias: c.bias, stepBias: nil,
                              activation: c.activation, recurrentActivation: .linear, fusedGates: c.activation == .tanh)
        case .stacked:
            return nil
        }
    }

    /// Whether this was packed from exactly these weights and settings.
    func matches(_ cell: RecurrentCell<S>) -> Bool {
        func same(_ a: [S], _ b: [S]) -> Bool {
            a.count == b.count && a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in pa.baseAddress == pb.baseAddress } }
        }
        func sameOptional(_ a: [S]?, _ index: Int) -> Bool {
            guard let a else { return true }
            return index < sources.count && same(a, sources[index])
        }
        switch (cell, kind) {
        case (.lstm(let c), .lstm):
            return c.units == units && c.inputDim == inputDim && same(c.kernel, sources[0]) && same(c.recurrentKernel, sources[1])
                && (c.bias == nil) == (stepBias == nil) && sameOptional(c.bias, 2)
                && c.activation == activation && c.recurrentActivation == recurrentActivation
        case (.gru(let c), .gru):
            var index = 2
            var ok = c.resetAfter && c.units == units && c.inputDim == inputDim && same(c.kernel, sources[0])
                && same(c.recurrentKernel, sources[1]) && c.activation == activation
                && c.recurrentActivation == recurrentActivation
                && (c.inputBias == nil) == (projectionBias == nil) && (c.recurrentBias == nil) == (stepBias == nil)
            if ok, let b = c.inputBias { ok = sameOptional(b, index); index += 1 }
            if ok, let b = c.recurrentBias { ok = sameOptional(b, index) }
            return ok
        case (.simpleRNN(let c), .simpleRNN):
            return c.units == units && c.inputDim == inputDim && same(c.kernel, sources[0]) && same(c.recurrentKernel, sources[1])
                && (c.bias == nil) == (projectionBias == nil) && sameOptional(c.bias, 2) && c.activation == activation
        default:
            return false
        }
    }
}

/// A layer's packed weights, made on first use and remade if the layer's weights change.
/// Copies of a layer share it (they share their weight arrays too).
final class FastCache: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// A `PackedCell<Float>` or `PackedCell<Double>`.
    private var entry: AnyObject?

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func packed<S: FastScalar>(_ cell: RecurrentCell<S>) -> PackedCell<S>? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let entry = entry as? PackedCell<S>, entry.matches(cell) { return entry }
        let made = PackedCell<S>.make(cell)
        entry = made
        return made
    }
}
