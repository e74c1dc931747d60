#!/usr/bin/env python3
"""Dynamic int8 quantization of an Atlas ONNX model (classifier or detector), with the `onnx` package only.

The bundle contract does not change: the quantized file takes and returns the same float32 tensors, so Atlas loads
it as it loads the fp32 one (put it in the bundle folder under the name info.json gives, or point a copy of the
bundle at it). What changes inside, for every Conv whose weights are constant and whose group is 1:

    x (float32) -> DynamicQuantizeLinear -> x_q (uint8), x_scale, x_zero_point     (per tensor, per run)
    W (float32) -> W_q (uint8, symmetric per output channel: round(W / s_c) + 128, s_c = max|W_c| / 127)
    ConvInteger(x_q, W_q, x_zero_point, 128) -> int32 -> Cast float32 -> * (x_scale * s_c) -> + bias

This is what onnxruntime.quantization.quantize_dynamic does for Conv (ConvInteger), written out because the machines
Atlas is built on have `onnx` but no `onnxruntime` Python package; with onnxruntime installed,
`quantize_dynamic(model, out, weight_type=QuantType.QUInt8)` is the maintained alternative (it quantizes MatMul too).
Per-channel weight scales with one shared zero point (128) keep ONNX Runtime's ConvInteger kernel usable (it takes
only per-tensor zero points) while keeping per-channel accuracy. Depthwise and grouped convolutions (group > 1) stay
float32: ConvInteger runs one tiny GEMM per group there, far slower than the float kernel. Everything else (SiLU,
pooling, the detector's in-graph decode, the classifier's final Gemm/MatMul) stays float32.

Measure before you deploy it: bench/run.sh --sections int8 compares outputs and speed against the fp32 file with
Atlas's ONNX Runtime. int8 is a CPU option; on a GPU use the fp32 model (or TensorRT's own int8/fp16 builders).

Usage: quantize_int8.py MODEL.onnx OUT.onnx [--min-weights N]   (N: leave convolutions with fewer weights float; 0)
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def quantize(model: onnx.ModelProto, min_weights: int = 0) -> tuple[onnx.ModelProto, dict]:
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    used = {}
    for node in graph.node:
        for name in node.input:
            used[name] = used.get(name, 0) + 1

    new_nodes, new_inits, drop = [], [], set()
    stats = {"conv": 0, "quantized": 0, "grouped_kept_float": 0, "small_kept_float": 0, "weights_fp32_bytes": 0, "weights_int8_bytes": 0}
    zero_point_w = "atlas_q_w_zero_point"
    new_inits.append(numpy_helper.from_array(np.array(128, dtype=np.uint8), zero_point_w))

    for index, node in enumerate(graph.node):
        if node.op_type != "Conv":
            new_nodes.append(node)
            continue
        stats["conv"] += 1
        group = next((a.i for a in node.attribute if a.name == "group"), 1)
        weight_name = node.input[1]
        if weight_name not in initializers:
            new_nodes.append(node)
            continue
        if group != 1:
            stats["grouped_kept_float"] += 1
            new_nodes.append(node)
            continue
        w = numpy_helper.to_array(initializers[weight_name]).astype(np.float32)
        if w.size < min_weights:
            stats["small_kept_float"] += 1
            new_nodes.append(node)
            continue

        channels = w.shape[0]
        absmax = np.abs(w.reshape(channels, -1)).max(axis=1)
        scale = np.where(absmax > 0, absmax / 127.0, 1.0).astype(np.float32)
        w_q = (np.clip(np.round(w / scale.reshape(-1, *([1] * (w.ndim - 1)))), -127, 127) + 128).astype(np.uint8)
        stats["quantized"] += 1
        stats["weights_fp32_bytes"] += w.nbytes
        stats["weights_int8_bytes"] += w_q.nbytes

        p = f"atlas_q{index}"
        new_inits.append(numpy_helper.from_array(w_q, f"{p}_w"))
        new_inits.append(numpy_helper.from_array(scale.reshape(1, channels, *([1] * (w.ndim - 2))), f"{p}_w_scale"))
        if used.get(weight_name, 0) == 1:
            drop.add(weight_name)

        x = node.input[0]
        new_nodes.append(helper.make_node("DynamicQuantizeLinear", [x], [f"{p}_x", f"{p}_x_scale", f"{p}_x_zp"], name=f"{p}_quantize"))
        new_nodes.append(helper.make_node("ConvInteger", [f"{p}_x", f"{p}_w", f"{p}_x_zp", zero_point_w], [f"{p}_y32"], name=f"{p}_conv",
                                          **{a.name: helper.get_attribute_value(a) for a in node.attribute}))
        new_nodes.append(helper.make_node("Cast", [f"{p}_y32"], [f"{p}_yf"], to=TensorProto.FLOAT, name=f"{p}_cast"))
        new_nodes.append(helper.make_node("Mul", [f"{p}_x_scale", f"{p}_w_scale"], [f"{p}_scale"], name=f"{p}_scale"))
        has_bias = len(node.input) > 2 and node.input[2]
        scaled = f"{p}_scaled" if has_bias else node.output[0]
        new_nodes.append(helper.make_node("Mul", [f"{p}_yf", f"{p}_scale"], [scaled], name=f"{p}_rescale"))
        if has_bias:
            bias_name = node.input[2]
            if bias_name in initializers:
                bias = numpy_helper.to_array(initializers[bias_name]).astype(np.float32)
                new_inits.append(numpy_helper.from_array(bias.reshape(1, channels, *([1] * (w.ndim - 2))), f"{p}_bias"))
                if used.get(bias_name, 0) == 1:
                    drop.add(bias_name)
                new_nodes.append(helper.make_node("Add", [scaled, f"{p}_bias"], [node.output[0]], name=f"{p}_bias_add"))
            else:
                shape = f"{p}_bias_shape"
                new_inits.append(numpy_helper.from_array(np.array([1, channels] + [1] * (w.ndim - 2), dtype=np.int64), shape))
                new_nodes.append(helper.make_node("Reshape", [bias_name, shape], [f"{p}_bias4"], name=f"{p}_bias_reshape"))
                new_nodes.append(helper.make_node("Add", [scaled, f"{p}_bias4"], [node.output[0]], name=f"{p}_bias_add"))

    kept = [init for init in graph.initializer if init.name not in drop]
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)
    del graph.node[:]
    graph.node.extend(new_nodes)
    # ConvInteger and DynamicQuantizeLinear need opset 10/11; the exports use 17.
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx") and opset.version < 11:
            opset.version = 11
    model.producer_name = (model.producer_name or "") + "+atlas-int8"
    return model, stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--min-weights", type=int, default=0, help="leave convolutions with fewer weights in float32")
    args = parser.parse_args(argv)
    model = onnx.load(str(args.model))
    model, stats = quantize(model, args.min_weights)
    onnx.checker.check_model(model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(args.out))
    print(f"{args.model.name}: {stats['conv']} Conv, {stats['quantized']} quantized to int8 (ConvInteger), "
          f"{stats['grouped_kept_float']} grouped/depthwise and {stats['small_kept_float']} small kept float32; "
          f"conv weights {stats['weights_fp32_bytes'] / 2**20:.1f} MiB -> {stats['weights_int8_bytes'] / 2**20:.1f} MiB; "
          f"file {args.model.stat().st_size / 2**20:.1f} MiB -> {args.out.stat().st_size / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
