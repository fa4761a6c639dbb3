"""The command line: rnncheck-ref MODEL -o REF.h5 [options]."""

import argparse
import os
import shlex
import sys
from typing import List, Optional, Sequence

from . import __version__
from .errors import UserError

DESCRIPTION = """\
Write an rnncheck reference file (fixture format v1) for a Keras model: inputs, Keras's
outputs for them, the model file itself and where it all came from, so that

    rnncheck compare MODEL REF.h5      and      rnncheck verify REF.h5

check rnncheck against Keras on your model. MODEL is a Keras 3 .keras archive, a Keras 2 /
tf.keras .h5 file, or a weights file with --config config.json (model.to_json()).

Inputs are generated from the model's input shapes (standard normal floats; token ids within
the range of the Embedding each integer input feeds) unless you give your own with --inputs.
Inputs and outputs are in model input / output order; a dict's in sorted key order."""

EPILOG = """\
examples:
  rnncheck-ref model.keras -o ref.h5
  rnncheck-ref model.keras -o ref.h5 --batch 4 --time 20 --pad 0.5 --float64 --layers
  rnncheck-ref model.h5 -o ref.h5 --inputs x1.npy --inputs x2.npy
  rnncheck-ref model.keras -o ref.h5 --inputs data.npz     # arrays named by input name
  rnncheck-ref model.weights.h5 --config config.json -o ref.h5

exit codes: 0 written; 2 a mistake in what was given (the message says what to do);
1 Keras failed."""

GENERATION_FLAGS = ("batch", "time", "shape", "pad", "vocab")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="rnncheck-ref", description=DESCRIPTION, epilog=EPILOG,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", metavar="MODEL", help="the Keras model file")
    ap.add_argument("-o", "--output", required=True, metavar="REF.h5",
                    help="the reference file to write (replaced if it exists)")
    ap.add_argument("--config", metavar="JSON", help="the model's model.to_json(), for a weights-only MODEL")
    ap.add_argument("--keras", choices=("keras", "tf_keras"),
                    help="load MODEL with this Keras (default: from the file: tf_keras for "
                         "keras_version 2.x, else Keras 3)")
    ap.add_argument("--backend", choices=("tensorflow", "jax", "torch"),
                    help="Keras 3's backend (default: KERAS_BACKEND or Keras's own default)")
    g = ap.add_argument_group("inputs (generated unless --inputs is given)")
    g.add_argument("--inputs", action="append", metavar="FILE",
                   help="your own inputs: one .npy file per model input (repeat the flag, in "
                        "model input order), or one .npz file whose arrays are named after the "
                        "inputs (or arr_0, arr_1, ... in order); batch axis first")
    g.add_argument("--batch", type=int, help="batch size (default 2)")
    g.add_argument("--time", type=int, help="size of an unknown axis 1, the time axis (default 8)")
    g.add_argument("--shape", action="append", metavar="NAME=D1,D2,...", default=[],
                   help="every size but the batch of input NAME, for inputs with other unknown sizes")
    g.add_argument("--pad", type=float, metavar="FRACTION",
                   help="pad the end of the rows of inputs that feed Masking (with its "
                        "mask_value) or Embedding(mask_zero=True) (with 0): the first row none, "
                        "the last row FRACTION of its steps (default 0: no padding)")
    g.add_argument("--vocab", type=int, metavar="N",
                   help="ids in [0, N) for integer inputs that feed no Embedding")
    g.add_argument("--seed", type=int, default=0, help="seed of the generated inputs (default 0)")
    g = ap.add_argument_group("what else to write")
    g.add_argument("--float64", action="store_true",
                   help="also Keras's outputs of the model rebuilt in float64 with the same "
                        "weights (/reference_float64): the error budget's reference")
    g.add_argument("--layers", action="store_true",
                   help="also every layer's outputs (/layers, and /layers_float64 with --float64)")
    g.add_argument("--name", help="the fixture's @name (default: REF's file name stem)")
    g.add_argument("--description", help="the fixture's @description (default: what was done)")
    g = ap.add_argument_group("environment")
    g.add_argument("--onednn", choices=("on", "off"),
                   help="TensorFlow's oneDNN optimizations (TF_ENABLE_ONEDNN_OPTS; default: "
                        "TensorFlow's default); recorded in /provenance either way")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    ap.add_argument("--version", action="version", version=f"rnncheck-ref {__version__}")
    return ap


def _check_paths(args):
    if not os.path.exists(args.model):
        raise UserError(f"{args.model}: no such file")
    out = os.path.realpath(args.output)
    for given in [args.model, args.config] + list(args.inputs or []):
        if given and os.path.realpath(given) == out:
            raise UserError(f"-o {args.output} is also an input of this run; refusing to overwrite it")
    folder = os.path.dirname(out)
    if not os.path.isdir(folder):
        raise UserError(f"-o {args.output}: the folder {folder} does not exist")
    if args.inputs:
        given = [f"--{k}" for k in GENERATION_FLAGS if getattr(args, k) not in (None, [])]
        if given:
            raise UserError(f"{', '.join(given)} shape generated inputs; with --inputs your "
                            f"arrays are used as they are: leave {'it' if len(given) == 1 else 'them'} out")


def _description(args, K, mf, backend, float64_written) -> str:
    if args.description is not None:
        return args.description
    if args.inputs:
        how = "inputs from " + ", ".join(os.path.basename(p) for p in args.inputs)
    else:
        how = f"generated inputs (batch {args.batch}, time {args.time}, seed {args.seed}"
        how += f", pad {args.pad:g})" if args.pad else ")"
    extra = (", float64 reference" if float64_written else "") + (", layer outputs" if args.layers else "")
    return (f"{mf.filename} ({mf.fmt}) run by {K.__name__} {K.__version__} on {backend}: "
            f"{how}{extra}; written by rnncheck-ref {__version__}")


def _node_outputs(node_runs):
    from .fixture_file import NodeOutputs
    from .graph import output_what
    return [NodeOutputs(n.name, n.layer.name, n.class_name,
                        [f"{n.layer.name}/{output_what(n.layer, k)}" for k in range(len(arrays))],
                        arrays)
            for n, arrays in node_runs]


def run(args, argv: Sequence[str]) -> List[str]:
    """Does the work; returns the lines to print."""
    from . import runtime
    _check_paths(args)
    runtime.prepare(args.backend, args.onednn, args.float64)

    from . import fixture_file, graph, inputs, keras_run, model_file
    import numpy as np

    mf = model_file.identify(args.model, args.config, args.keras)
    K, model = model_file.load(mf)
    runtime.full_float32(K)
    backend = runtime.backend(K)
    specs = inputs.input_specs(model)
    lines = []
    if args.inputs:
        arrays = inputs.load_user(args.inputs, specs)
    else:
        arrays, notes = inputs.generate(
            specs, batch=args.batch, time=args.time, pad=args.pad, seed=args.seed,
            vocab=args.vocab, shapes=inputs.parse_shapes(args.shape, specs))
        lines += notes
    K.utils.set_random_seed(args.seed)

    outputs = keras_run.run_model(K, model, arrays)
    names = graph.output_names(model)
    if len(outputs) != len(names):
        raise RuntimeError(f"the model returned {len(outputs)} outputs, its graph has {len(names)}")
    layers = None
    if args.layers:
        layers = _node_outputs(keras_run.run_layers(K, model, arrays))
        lines += _layers_agree(graph, model, layers, outputs)
    f64 = None
    if args.float64:
        f64 = keras_run.run_float64(K, model, arrays, layers=args.layers)
        if f64.outputs is None:
            raise RuntimeError(f"--float64: {f64.why}")

    provenance = runtime.provenance(K)
    provenance.update(command=shlex.join(["rnncheck-ref"] + list(argv)), seed=args.seed,
                      inputs="given: " + " ".join(args.inputs) if args.inputs else "generated",
                      generator=f"rnncheck-ref {__version__}")
    fixture_file.write(
        args.output,
        name=args.name or os.path.splitext(os.path.basename(args.output))[0],
        description=_description(args, K, mf, backend, f64 is not None),
        inputs=arrays, input_names=[s.name for s in specs],
        input_keys=graph.input_keys(model),
        outputs=outputs, output_names=names,
        model_bytes=mf.data, model_format=mf.fmt, model_filename=mf.filename,
        model_config=mf.config_text,
        float64=f64.outputs if f64 else None,
        layers=layers, layers_float64=_node_outputs(f64.layers) if f64 and f64.layers else None,
        provenance=provenance)

    lines.append(f"wrote {args.output} ({mf.fmt}, {K.__name__} {K.__version__}, {backend}, "
                 f"{provenance['device']})")
    for i, (s, x) in enumerate(zip(specs, arrays)):
        lines.append(f"  input_{i}  {s.key or s.name:24s} {str(x.shape):16s} {x.dtype}")
    for i, (nm, o) in enumerate(zip(names, outputs)):
        line = f"  output_{i} {nm:24s} {str(o.shape):16s}"
        if f64 is not None:
            line += f" max|float32 - float64| = {np.max(np.abs(o - f64.outputs[i]), initial=0):.3g}"
        lines.append(line.rstrip())
    if layers is not None:
        lines.append(f"  /layers: {len(layers)} nodes" + (" (and /layers_float64)" if f64 else ""))
    lines.append(f"check it: rnncheck compare {shlex.quote(args.model)} {shlex.quote(args.output)}"
                 + (f" --config {shlex.quote(args.config)}" if args.config else ""))
    return lines


def _layers_agree(graph, model, layers, outputs) -> List[str]:
    """The per-layer run must give the model's outputs bit for bit; say so when it does not."""
    node_of = {id(n.knode): n.name for n in graph.nodes(model)}
    by_node = {n.node: n for n in layers}
    problems = []
    for i, t in enumerate(graph.model_outputs(model)):
        layer, call, k = t._keras_history
        node = by_node.get(node_of.get(id(layer._inbound_nodes[call])))
        got = node.arrays[k] if node is not None else None
        if got is None or got.shape != outputs[i].shape or not (got == outputs[i]).all():
            problems.append(f"note: the /layers value of output_{i} differs from the model's own run")
    return problems


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    if not args.inputs:
        args.batch = 2 if args.batch is None else args.batch
        args.time = 8 if args.time is None else args.time
        args.pad = 0.0 if args.pad is None else args.pad
    try:
        lines = run(args, argv)
    except UserError as e:
        print(f"rnncheck-ref: error: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:       # Keras could not do what was asked (a float64 clone, ...)
        print(f"rnncheck-ref: error: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        print("\n".join(lines))
    return 0
