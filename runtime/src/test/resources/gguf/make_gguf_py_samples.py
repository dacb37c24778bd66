# Writes the reference files GgufGoldenTest compares the Java writer against, with llama.cpp's own gguf-py.
# Usage: PYTHONPATH=/path/to/llama.cpp/gguf-py python3 make_gguf_py_samples.py OUTPUT_DIR
import math
import sys
from pathlib import Path

import numpy as np
import gguf


def write(path: Path, alignment: int | None) -> None:
    w = gguf.GGUFWriter(path, "llama")  # puts general.architecture first
    if alignment is not None:
        w.add_custom_alignment(alignment)
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -5)
    w.add_uint16("test.u16", 65000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4_000_000_000)
    w.add_int32("test.i32", -2_000_000_000)
    w.add_float32("test.f32", 1.5)
    w.add_uint64("test.u64", 2**63 + 5)
    w.add_int64("test.i64", -(2**40))
    w.add_float64("test.f64", math.pi)
    w.add_bool("test.bool", True)
    w.add_string("test.str", "h\u00e9llo \u2713 \U0001F600")
    w.add_string("test.empty", "")
    w.add_array("test.arr.i32", [1, -2, 3])
    w.add_array("test.arr.f32", [0.5, -1.25])
    w.add_array("test.arr.bool", [True, False, True])
    w.add_array("test.arr.str", ["a", "bc", "", "\u00fc"])
    w.add_array("test.arr.nested", [[1, 2], ["x"]])
    w.add_tensor("a", np.arange(8, dtype=np.float32).reshape(2, 4))
    w.add_tensor("b", np.arange(68, dtype=np.uint8).reshape(2, 34), raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    w.add_tensor("c", np.array([1, 2, 3], dtype=np.int16))
    w.add_tensor("d", np.arange(12, dtype=np.float16).reshape(3, 1, 4))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


out = Path(sys.argv[1])
write(out / "gguf-py-sample.gguf", None)
write(out / "gguf-py-sample-align64.gguf", 64)
