"""Prints the installed onnx package's protobuf descriptors for the messages Pictor writes, as JSON.

Usage: onnx_descriptors.py MESSAGE [MESSAGE ...]   (full names, e.g. onnx.TensorShapeProto.Dimension)
For each message: its fields by name -> {number, repeated, type, packed, oneof}, where type is the
scalar type's proto name or the message type's full name — what Pictor's hand-written schema
(src-main/onnx/onnx-schema.ts) must agree with, since field numbers are the wire format.
"""
import json
import sys

from google.protobuf.descriptor import FieldDescriptor
from onnx import onnx_ml_pb2

SCALARS = {
    FieldDescriptor.TYPE_DOUBLE: "double",
    FieldDescriptor.TYPE_FLOAT: "float",
    FieldDescriptor.TYPE_INT64: "int64",
    FieldDescriptor.TYPE_UINT64: "uint64",
    FieldDescriptor.TYPE_INT32: "int32",
    FieldDescriptor.TYPE_BOOL: "bool",
    FieldDescriptor.TYPE_STRING: "string",
    FieldDescriptor.TYPE_BYTES: "bytes",
    FieldDescriptor.TYPE_UINT32: "uint32",
    FieldDescriptor.TYPE_ENUM: "enum",
}


def field_type(field):
    if field.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_GROUP):
        return field.message_type.full_name
    return SCALARS.get(field.type, f"type{field.type}")


def describe(full_name):
    descriptor = onnx_ml_pb2.DESCRIPTOR.pool.FindMessageTypeByName(full_name)
    fields = {}
    for field in descriptor.fields:
        options = field.GetOptions()
        fields[field.name] = {
            "number": field.number,
            "repeated": field.label == FieldDescriptor.LABEL_REPEATED,
            "type": field_type(field),
            "packed": options.packed if options.HasField("packed") else None,
            "oneof": field.containing_oneof.name if field.containing_oneof else None,
        }
    return fields


if __name__ == "__main__":
    json.dump({name: describe(name) for name in sys.argv[1:]}, sys.stdout)
