import RNNEngine

/// The error budget of one output: how far rnncheck's float32 result is from a float64 run,
/// beside how far Keras's own float32 result is, when that is known.
///
/// Keras's own float32 error is known only when the reference holds Keras's float64 outputs
/// (`/reference_float64`, written by `rnncheck-ref --float64`): both float32 results are then
/// measured against Keras's float64 run. Without them the budget says so and gives only
/// rnncheck's float32-vs-float64 distance; it never measures Keras's float32 result against
/// rnncheck's float64 run and calls that "Keras's error", since a bug shared by rnncheck's two
/// paths would then look like Keras's rounding.
///
/// The verdict is never `withinKerasRounding` for an output out of tolerance.
public struct ErrorBudget: Sendable, Codable, Equatable {
    /// What the budget concludes, for every report format alike.
    public enum Verdict: String, Sendable, Codable, Equatable {
        /// Within tolerance, and rnncheck's float32 error is of the size of Keras's own.
        case withinKerasRounding = "within_keras_rounding"
        /// Within tolerance, but rnncheck's float32 error is over twice Keras's own.
        case exceedsKerasRounding = "exceeds_keras_rounding"
        /// Within tolerance; Keras's own float32 error is unknown (no Keras float64 outputs).
        case kerasErrorUnknown = "keras_error_unknown"
        /// Out of tolerance (the explanation says whose error it looks like).
        case outOfTolerance = "out_of_tolerance"
        /// The reference is further from float64 than rnncheck is, by more than the tolerance:
        /// the reference (or, without Keras float64 outputs, a bug both rnncheck paths share) is suspect.
        case referenceSuspect = "reference_suspect"
    }

    /// `"keras float64"` or `"rnncheck float64"`: what `rnncheckMaxAbs` is measured against.
    public var reference: String
    /// max |Keras float32 − Keras float64|: Keras's own float32 error. Nil when the reference
    /// has no Keras float64 outputs (then it is unknown).
    public var kerasMaxAbs: Double?
    public var kerasMaxUlp: Int64?
    /// max |rnncheck float32 − `reference`|.
    public var rnncheckMaxAbs: Double
    public var rnncheckMaxUlp: Int64
    /// max |rnncheck float32 − rnncheck float64|: rnncheck's own float32 rounding.
    public var rnncheckSelfMaxAbs: Double
    /// Without Keras float64 outputs: max |Keras float32 − rnncheck float64|. Not Keras's error
    /// (it contains any difference between the two programs); used only to tell whether the
    /// reference is further from float64 than rnncheck is.
    public var referenceVsRnncheckFloat64: Double?
    /// max |rnncheck float64 − Keras float64|, when Keras's float64 run is known: how exactly
    /// the engine's arithmetic matches Keras's definition.
    public var float64Agreement: Double?
    public var verdict: Verdict
    /// The verdict in a sentence a user can act on.
    public var explanation: String

    /// Whether the verdict is the green one.
    public var withinKerasRounding: Bool { verdict == .withinKerasRounding }

    /// Whether Keras's own float32 error is known (the reference has Keras float64 outputs).
    public var kerasErrorKnown: Bool { kerasMaxAbs != nil }

    enum CodingKeys: String, CodingKey {
        case reference, kerasMaxAbs = "keras_max_abs", kerasMaxUlp = "keras_max_ulp",
             rnncheckMaxAbs = "rnncheck_max_abs", rnncheckMaxUlp = "rnncheck_max_ulp",
             rnncheckSelfMaxAbs = "rnncheck_float32_vs_float64",
             referenceVsRnncheckFloat64 = "reference_vs_rnncheck_float64",
             float64Agreement = "float64_agreement", verdict, explanation,
             withinKerasRounding = "within_keras_rounding", kerasErrorKnown = "keras_error_known"
    }

    public init(reference: String, kerasMaxAbs: Double?, kerasMaxUlp: Int64?, rnncheckMaxAbs: Double, rnncheckMaxUlp: Int64,
                rnncheckSelfMaxAbs: Double, referenceVsRnncheckFloat64: Double?, float64Agreement: Double?,
                verdict: Verdict, explanation: String) {
        self.reference = reference
        self.kerasMaxAbs = kerasMaxAbs
        self.kerasMaxUlp = kerasMaxUlp
        self.rnncheckMaxAbs = rnncheckMaxAbs
        self.rnncheckMaxUlp = rnncheckMaxUlp
        self.rnncheckSelfMaxAbs = rnncheckSelfMaxAbs
        self.referenceVsRnncheckFloat64 = referenceVsRnncheckFloat64
        self.float64Agreement = float64Agreement
        self.verdict = verdict
        self.explanation = explanation
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reference = try c.decode(String.self, forKey: .reference)
        kerasMaxAbs = try c.decodeIfPresent(Double.self, forKey: .kerasMaxAbs)
        kerasMaxUlp = try c.decodeIfPresent(Int64.self, forKey: .kerasMaxUlp)
        rnncheckMaxAbs = try c.decode(Double.self, forKey: .rnncheckMaxAbs)
        rnncheckMaxUlp = try c.decode(Int64.self, forKey: .rnncheckMaxUlp)
        rnncheckSelfMaxAbs = try c.decode(Double.self, forKey: .rnncheckSelfMaxAbs)
        referenceVsRnncheckFloat64 = try c.decodeIfPresent(Double.self, forKey: .referenceVsRnncheckFloat64)
        float64Agreement = try c.decodeIfPresent(Double.self, forKey: .float64Agreement)
        verdict = try c.decode(Verdict.self, forKey: .verdict)
        explanation = try c.decode(String.self, forKey: .explanation)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reference, forKey: .reference)
        try c.encodeIfPresent(kerasMaxAbs, forKey: .kerasMaxAbs)
        try c.encodeIfPresent(kerasMaxUlp, forKey: .kerasMaxUlp)
        try c.encode(rnncheckMaxAbs, forKey: .rnncheckMaxAbs)
        try c.encode(rnncheckMaxUlp, forKey: .rnncheckMaxUlp)
        try c.encode(rnncheckSelfMaxAbs, forKey: .rnncheckSelfMaxAbs)
        try c.encodeIfPresent(referenceVsRnncheckFloat64, forKey: .referenceVsRnncheckFloat64)
        try c.encodeIfPresent(float64Agreement, forKey: .float64Agreement)
        try c.encode(verdict, forKey: .verdict)
        try c.encode(explanation, forKey: .explanation)
        try c.encode(withinKerasRounding, forKey: .withinKerasRounding)
        try c.encode(kerasErrorKnown, forKey: .kerasErrorKnown)
    }

    /// The largest |a − b| and float32 ulp distance over two tensors of one shape.
    static func distance(_ a: [Double], _ b: [Double]) -> (abs: Double, ulp: Int64) {
        var (d, u): (Double, Int64) = (0, 0)
        for (x, y) in zip(a, b) {
            let e = x == y ? 0 : abs(x - y)
            d = e.isNaN || d.isNaN ? .nan : max(d, e)
            u = max(u, ULP.distance(Float(x), Float(y)))
        }
        return (d, u)
    }

    /// Measures one output's budget and judges it.
    ///
    /// - Parameters:
    ///   - keras: Keras's float32 output (the reference's `/output_i`).
    ///   - rnncheck: rnncheck's float32 output.
    ///   - rnncheckFloat64: rnncheck's float64 run of the same model.
    ///   - kerasFloat64: Keras's float64 output (`/reference_float64/output_i`), when the reference has it.
    ///   - passed: whether the output is within tolerance (a failing output is never green).
    ///   - atol: the absolute tolerance applied to the output.
    /// - Returns: nil when the shapes differ.
    public static func measure(
        keras: Tensor<Double>, rnncheck: Tensor<Float>, rnncheckFloat64: Tensor<Double>, kerasFloat64: Tensor<Double>?,
        passed: Bool, atol: Double
    ) -> ErrorBudget? {
        let shape = keras.shape
        guard rnncheck.shape == shape, rnncheckFloat64.shape == shape, kerasFloat64.map({ $0.shape == shape }) ?? true else {
            return nil
        }
        let mine = rnncheck.scalars.map(Double.init)
        let selfDistance = distance(mine, rnncheckFloat64.scalars)
        if let k64 = kerasFloat64 {
            let kerasError = distance(keras.scalars, k64.scalars)
            let rnncheckError = distance(mine, k64.scalars)
            let agreement = distance(rnncheckFloat64.scalars, k64.scalars).abs
            let (verdict, explanation) = judge(kerasError: kerasError, rnncheckError: rnncheckError, float64Agreement: agreement,
                                               passed: passed, atol: atol)
            return ErrorBudget(reference: "keras float64", kerasMaxAbs: kerasError.abs, kerasMaxUlp: kerasError.ulp,
                               rnncheckMaxAbs: rnncheckError.abs, rnncheckMaxUlp: rnncheckError.ulp,
                               rnncheckSelfMaxAbs: selfDistance.abs, referenceVsRnncheckFloat64: nil,
                               float64Agreement: agreement, verdict: verdict, explanation: explanation)
        }
        let referenceDistance = distance(keras.scalars, rnncheckFloat64.scalars).abs
        let (verdict, explanation) = judgeWithoutKerasFloat64(
            rnncheckError: selfDistance.abs, referenceDistance: referenceDistance, passed: passed, atol: atol)
        return ErrorBudget(reference: "rnncheck float64", kerasMaxAbs: nil, kerasMaxUlp: nil,
                           rnncheckMaxAbs: selfDistance.abs, rnncheckMaxUlp: selfDistance.ulp,
                           rnncheckSelfMaxAbs: selfDistance.abs, referenceVsRnncheckFloat64: referenceDistance,
                           float64Agreement: nil, verdict: verdict, explanation: explanation)
    }

    /// Whether rnncheck's float32 error is of the size of Keras's own: at most twice Keras's,
    /// measured either absolutely or in ulps (two float32 programs that sum in different orders
    /// each round on their own, and with few elements one of them is luckier by chance), or
    /// at most 1e-7.
    static func withinRounding(kerasError k: (abs: Double, ulp: Int64), rnncheckError r: (abs: Double, ulp: Int64)) -> Bool {
        // (ulps saturate: a NaN is Int64.max ulps away)
        let twice = k.ulp > Int64.max / 2 ? Int64.max : 2 * k.ulp
        return r.abs <= 2 * k.abs || r.ulp <= twice || r.abs <= 1e-7
    }

    /// The reference is suspect when it is further from float64 than rnncheck is: over twice
    /// as far, and further than the absolute tolerance (ordinary float32 rounding is far below
    /// any sensible tolerance, so a reference that far off is not rounding).
    static func suspect(referenceError: Double, rnncheckError: Double, atol: Double) -> Bool {
        referenceError > 2 * rnncheckError && referenceError > atol
    }

    static func judge(kerasError k: (abs: Double, ulp: Int64), rnncheckError r: (abs: Double, ulp: Int64),
                      float64Agreement: Double, passed: Bool, atol: Double) -> (Verdict, String) {
        let numbers = "Keras's float32 is \(fmt(k.abs)) from Keras's float64 run, rnncheck's float32 \(fmt(r.abs))"
        if suspect(referenceError: k.abs, rnncheckError: r.abs, atol: atol) {
            return (.referenceSuspect,
                    "the reference is suspect: \(numbers), so rnncheck agrees with Keras's own float64 computation and the "
                    + "float32 reference does not. Check that the reference was written by this model, with these weights and "
                    + "inputs, on a device without reduced-precision math, and was not edited; write it again with rnncheck-ref and compare again.")
        }
        if !passed {
            if withinRounding(kerasError: k, rnncheckError: r) {
                return (.outOfTolerance,
                        "out of tolerance, although \(numbers): rnncheck's error is of the size of Keras's own rounding, "
                        + "so the tolerance is tighter than float32 rounding allows.")
            }
            if float64Agreement > atol {
                return (.outOfTolerance,
                        "out of tolerance: \(numbers). rnncheck's float64 run differs from Keras's float64 run by up to "
                        + "\(fmt(float64Agreement)) as well, so the two compute different functions, not just different rounding: "
                        + "the model file is not the one the reference was written from, or rnncheck computes a layer differently "
                        + "(a per-layer comparison, from a reference written with rnncheck-ref --layers, names which).")
            }
            return (.outOfTolerance, "out of tolerance: \(numbers); the difference is rnncheck's float32 arithmetic.")
        }
        if withinRounding(kerasError: k, rnncheckError: r) {
            return (.withinKerasRounding, "within Keras's own rounding: \(numbers).")
        }
        return (.exceedsKerasRounding, "within tolerance, but rnncheck's float32 error exceeds twice Keras's own: \(numbers).")
    }

    static func judgeWithoutKerasFloat64(rnncheckError r: Double, referenceDistance d: Double, passed: Bool, atol: Double) -> (Verdict, String) {
        let unknown = "Keras's own float32 error is unknown (the reference has no Keras float64 outputs; "
            + "rnncheck-ref --float64 writes them)"
        if suspect(referenceError: d, rnncheckError: r, atol: atol) {
            return (.referenceSuspect,
                    "\(unknown). The reference is \(fmt(d)) from rnncheck's float64 run, rnncheck's float32 only \(fmt(r)): either "
                    + "the reference is off (written by another model, weights or inputs, or edited), or rnncheck has a bug that its "
                    + "float32 and float64 paths share. Write the reference with rnncheck-ref --float64 to tell which.")
        }
        if !passed {
            return (.outOfTolerance, "out of tolerance. \(unknown); rnncheck's float32 is \(fmt(r)) from its own float64 run.")
        }
        return (.kerasErrorUnknown, "\(unknown); rnncheck's float32 is \(fmt(r)) from its own float64 run.")
    }
}
