"""Writes the small weight files crates/weights/tests/hostile.rs loads into its two-layer test
model (`fc1`: Linear(3, 4), `fc2`: Linear(4, 2)): valid files the importers once rejected and
crafted ones they must refuse; and the fuzzers' seed files (fuzz/seeds/<target>/), which are
the same files plus small valid ones of every other format. Run from the repository root; the
output is committed (the burnpack seed is written by `cargo test -p zoo-weights --test
hostile -- --ignored write_fuzz_seed`)."""

import gzip
import pathlib
import shutil

import numpy as np
from PIL import Image
from safetensors.torch import save_file

import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

OUT = pathlib.Path("crates/weights/tests/data")
SEEDS = pathlib.Path("fuzz/seeds")


def state(dtype=torch.float32):
    torch.manual_seed(0)
    net = torch.nn.Sequential()
    net.add_module("fc1", torch.nn.Linear(3, 4))
    net.add_module("fc2", torch.nn.Linear(4, 2))
    return {k: v.to(dtype) for k, v in net.state_dict().items()}


def tensor(name, array):
    return numpy_helper.from_array(array.numpy(), name)


def gemm_model(initializers, nodes, name):
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def good_onnx_parts(s):
    inits = [tensor(k, v) for k, v in s.items()]
    nodes = [
        helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"], transB=1),
        helper.make_node("Gemm", ["h", "fc2.weight", "fc2.bias"], ["y"], transB=1),
    ]
    return inits, nodes


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    s = state()
    # zip 9.x misplaced the central directory of torch.save files with a 21-character stem.
    torch.save(s, OUT / "abcdefghijklmnopqrstu.pth")
    torch.save(s, OUT / "tiny.pth")
    for dtype, tag in [(torch.float16, "f16"), (torch.bfloat16, "bf16"), (torch.float64, "f64")]:
        torch.save(state(dtype), OUT / f"tiny_{tag}.pth")
    torch.save({k: v.to(torch.int32) for k, v in s.items()}, OUT / "tiny_i32.pth")
    nan = dict(s)
    nan["fc2.weight"] = nan["fc2.weight"].clone()
    nan["fc2.weight"][1, 2] = float("nan")
    torch.save(nan, OUT / "tiny_nan.pth")

    inits, nodes = good_onnx_parts(s)
    onnx.save(gemm_model(inits, nodes, "tiny"), OUT / "tiny.onnx")
    # Gemm with a vector weight: rank 1 where a matrix is needed.
    bad = [tensor("fc1.weight", s["fc1.weight"].flatten())] + inits[1:]
    onnx.save(gemm_model(bad, nodes, "rank1"), OUT / "gemm_rank1.onnx")
    # Identity nodes in a cycle, feeding the first Gemm's weight.
    cyc = [i for i in inits if i.name != "fc1.weight"]
    cyc_nodes = [
        helper.make_node("Identity", ["b"], ["fc1.weight"]),
        helper.make_node("Identity", ["fc1.weight"], ["b"]),
    ] + nodes
    onnx.save(gemm_model(cyc, cyc_nodes, "cycle"), OUT / "identity_cycle.onnx")
    # External data outside the model's folder: absolute and `..` locations.
    for tag, location in [("absolute", "/etc/hostname"), ("parent", "../escape.bin")]:
        ext = [i for i in inits if i.name != "fc2.bias"]
        t = TensorProto()
        t.name, t.data_type = "fc2.bias", TensorProto.FLOAT
        t.dims.extend([2])
        t.data_location = TensorProto.EXTERNAL
        for k, v in [("location", location), ("offset", "0"), ("length", "8")]:
            e = t.external_data.add()
            e.key, e.value = k, v
        onnx.save(gemm_model(ext + [t], nodes, tag), OUT / f"external_{tag}.onnx")
    # Dimensions whose product overflows 64 bits.
    huge = [i for i in inits if i.name != "fc2.bias"]
    t = helper.make_tensor("fc2.bias", TensorProto.FLOAT, [2], [0.0, 0.0])
    del t.dims[:]
    t.dims.extend([1 << 62, 1 << 62])
    onnx.save(gemm_model(huge + [t], nodes, "huge"), OUT / "huge_dims.onnx")


def seeds():
    for target in ["pth", "safetensors", "burnpack", "onnx", "idx", "image"]:
        (SEEDS / target).mkdir(parents=True, exist_ok=True)
    for f in OUT.glob("*.pth"):
        shutil.copy(f, SEEDS / "pth" / f.name)
    for f in OUT.glob("*.onnx"):
        shutil.copy(f, SEEDS / "onnx" / f.name)
    s = state()
    torch.save(s, SEEDS / "pth" / "legacy.pth", _use_new_zipfile_serialization=False)
    torch.save({"state_dict": s, "epoch": 3}, SEEDS / "pth" / "checkpoint_dict.pth")
    save_file(s, SEEDS / "safetensors" / "tiny.safetensors")
    save_file(state(torch.float16), SEEDS / "safetensors" / "tiny_f16.safetensors")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    idx3 = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in images.shape)
    idx3 += images.tobytes()
    idx1 = bytes([0, 0, 8, 1]) + (3).to_bytes(4, "big") + bytes([1, 7, 9])
    (SEEDS / "idx" / "images-idx3-ubyte").write_bytes(idx3)
    (SEEDS / "idx" / "labels-idx1-ubyte").write_bytes(idx1)
    (SEEDS / "idx" / "images-idx3-ubyte.gz").write_bytes(gzip.compress(idx3, mtime=0))
    for f in pathlib.Path("tests/data/fashion-mnist/samples").glob("*.png"):
        shutil.copy(f, SEEDS / "image" / f.name)
    rgb = Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
    rgb.save(SEEDS / "image" / "baseline.jpg", quality=90)
    rgb.save(SEEDS / "image" / "progressive.jpg", quality=75, progressive=True)
    rgb.convert("L").save(SEEDS / "image" / "grey.jpg")
    rgb.convert("CMYK").save(SEEDS / "image" / "cmyk.jpg")
    rgb.convert("RGBA").save(SEEDS / "image" / "rgba.png")
    rgb.convert("P").save(SEEDS / "image" / "palette.png")


if __name__ == "__main__":
    main()
    seeds()
