import type protobuf from 'protobufjs/light.js'
import { describe, expect, it } from 'vitest'
import { ModelProto } from '../../../src-main/onnx/onnx-schema'
import { NO_PYTHON_ONNX, onnxDescriptors, type DescribedField } from '../../helpers/onnx-checker'

// Our ONNX schema is written by hand (src-main/onnx/onnx-schema.ts); its field numbers are the wire
// format, so each field is checked against the descriptors of the onnx package Debian installs
// (python3-onnx, compiled from onnx.proto): same number, same repeated-ness, same type, packed where
// onnx.proto packs, same oneof. A typo in a number would otherwise only show as a model some other
// tool silently misreads.

/** Every message of our schema, depth first, by full name without the leading dot. */
function ourMessages(): protobuf.Type[] {
  const root = ModelProto.root
  root.resolveAll()
  const messages: protobuf.Type[] = []
  const visit = (namespace: protobuf.NamespaceBase) => {
    for (const nested of namespace.nestedArray) {
      if ('fieldsArray' in nested) messages.push(nested as protobuf.Type)
      if ('nestedArray' in nested) visit(nested as protobuf.NamespaceBase)
    }
  }
  visit(root)
  return messages
}

const fullName = (reflected: protobuf.ReflectionObject) => reflected.fullName.replace(/^\./, '')
/** protobufjs camel-cases .proto names; onnx.proto's are snake_case (int32Data → int32_data). */
const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)

interface OurField {
  number: number
  repeated: boolean
  type: string
  packed: boolean | null
  oneof: string | null
}

function describeOurs(field: protobuf.Field): OurField {
  const type = field.resolvedType ? fullName(field.resolvedType) : field.type
  return {
    number: field.id,
    repeated: field.repeated,
    type,
    // Only repeated numbers can be packed; onnx's descriptor says true, or nothing (proto2: unpacked).
    packed: field.repeated && !field.resolvedType && type !== 'string' && type !== 'bytes' ? field.packed : null,
    oneof: field.partOf?.name ?? null
  }
}

function describeTheirs(field: DescribedField, ours: OurField): OurField {
  // An enum is an int32 on the wire; our schema declares enums (AttributeProto.type) as int32.
  const type = field.type === 'enum' ? 'int32' : field.type
  return { number: field.number, repeated: field.repeated, type, packed: ours.packed === null ? null : field.packed === true, oneof: field.oneof }
}

describe('the ONNX schema against the installed onnx package', () => {
  it('has onnx.proto’s number, label, type, packing and oneof for every field it declares', (ctx) => {
    if (NO_PYTHON_ONNX) return ctx.skip(NO_PYTHON_ONNX)
    const messages = ourMessages()
    expect(messages.map(fullName)).toEqual(
      expect.arrayContaining(['onnx.ModelProto', 'onnx.GraphProto', 'onnx.NodeProto', 'onnx.TensorProto', 'onnx.AttributeProto', 'onnx.TensorShapeProto.Dimension'])
    )
    const installed = onnxDescriptors(messages.map(fullName))
    let compared = 0
    for (const message of messages) {
      const theirs = installed[fullName(message)]!
      for (const field of message.fieldsArray) {
        const ours = describeOurs(field)
        const their = theirs[snakeCase(field.name)]
        expect(their, `${fullName(message)}.${snakeCase(field.name)} is not in onnx.proto`).toBeDefined()
        expect(ours, `${fullName(message)}.${field.name}`).toEqual(describeTheirs(their!, ours))
        compared++
      }
    }
    // The schema covers what the exporter and quantizer write: about sixty fields.
    expect(compared).toBeGreaterThan(50)
  })
})
