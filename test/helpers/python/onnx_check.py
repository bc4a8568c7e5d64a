"""Checks an .onnx file the way the ONNX project itself does, for Pictor's tests.

Usage: onnx_check.py MODEL.onnx
Runs onnx.checker.check_model(full_check=True) and strict shape inference (type checks on, every
node's output must be inferable), then prints JSON: the graph's inputs and outputs with their
element type and shape (dim_value or dim_param) as inference sees them, and the opsets.
Exit status 1 with the checker's message on stderr when the model is invalid.
"""
import json
import sys

import onnx
from onnx import shape_inference


def describe(value_info):
    tensor = value_info.type.tensor_type
    dims = [dim.dim_param if dim.HasField("dim_param") else dim.dim_value for dim in tensor.shape.dim]
    return {"name": value_info.name, "elemType": tensor.elem_type, "shape": dims}


def main(path):
    model = onnx.load(path)
    try:
        onnx.checker.check_model(model, full_check=True)
        inferred = shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    except Exception as error:  # the checker's own exception types differ between onnx versions
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    graph = inferred.graph
    known = {value.name for value in list(graph.value_info) + list(graph.output) + list(graph.input)}
    json.dump(
        {
            "onnxVersion": onnx.__version__,
            "irVersion": model.ir_version,
            "opsets": {entry.domain or "ai.onnx": entry.version for entry in model.opset_import},
            "inputs": [describe(value) for value in graph.input if value.name not in {i.name for i in graph.initializer}],
            "outputs": [describe(value) for value in graph.output],
            "nodes": len(graph.node),
            # Every node output whose type inference could establish (strict mode already fails on a
            # node it cannot infer; this counts what the graph as a whole ends up typed with).
            "untypedOutputs": sorted({name for node in graph.node for name in node.output if name and name not in known}),
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
