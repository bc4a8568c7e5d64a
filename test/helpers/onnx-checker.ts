import { execFileSync, spawnSync } from 'node:child_process'
import { expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

// A real consumer for the ONNX files Pictor writes: the ONNX project's own checker and strict shape
// inference, from Debian's python3-onnx (.ci/run installs it). Only Debian's interpreter is asked:
// the python3 first on PATH may be another one without the package (e.g. pyenv's).

const DEBIAN_PYTHON = '/usr/bin/python3'
const SCRIPTS = resolve(import.meta.dirname, 'python')

function probeOnnx(): string | null {
  const probe = spawnSync(DEBIAN_PYTHON, ['-c', 'import onnx, google.protobuf'], { stdio: 'ignore' })
  return probe.status === 0 ? null : `Debian’s python3-onnx is not installed (${DEBIAN_PYTHON} cannot import onnx)`
}

/** Why ONNX checker tests skip here, or null where python3-onnx is installed. */
export const NO_PYTHON_ONNX = probeOnnx()

export interface CheckedTensor {
  name: string
  elemType: number
  /** Numbers for fixed dimensions, names for symbolic ones (the batch). */
  shape: (number | string)[]
}

export interface OnnxCheck {
  onnxVersion: string
  irVersion: number
  opsets: Record<string, number>
  inputs: CheckedTensor[]
  outputs: CheckedTensor[]
  nodes: number
  untypedOutputs: string[]
}

/**
 * onnx.checker.check_model(full_check=True) and strict, type-checking shape inference on a file;
 * throws with the checker's message when the model is invalid.
 */
export function checkOnnxFile(path: string): OnnxCheck {
  const result = spawnSync(DEBIAN_PYTHON, [resolve(SCRIPTS, 'onnx_check.py'), path], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
  if (result.status !== 0) throw new Error(`onnx.checker rejected ${path}: ${result.stderr.trim()}`)
  return JSON.parse(result.stdout) as OnnxCheck
}

export interface DescribedField {
  number: number
  repeated: boolean
  /** A scalar's proto type name, or a message's full name (e.g. onnx.TensorProto). */
  type: string
  packed: boolean | null
  oneof: string | null
}

/** The installed onnx package's descriptors of the named messages, field by snake_case name. */
export function onnxDescriptors(messages: readonly string[]): Record<string, Record<string, DescribedField>> {
  const stdout = execFileSync(DEBIAN_PYTHON, [resolve(SCRIPTS, 'onnx_descriptors.py'), ...messages], { encoding: 'utf8' })
  return JSON.parse(stdout) as Record<string, Record<string, DescribedField>>
}

const FLOAT = 1

/**
 * What every classifier Pictor exports must be to the ONNX project's checker: valid under full_check,
 * every node's output typed by strict inference, one float NHWC input with a symbolic batch and the
 * given height/width/channels, and one float [batch, classes] output.
 */
export function expectOnnxClassifier(path: string, expected: { input: [number, number, number]; classes: number }): OnnxCheck {
  const check = checkOnnxFile(path)
  expect(check.untypedOutputs).toEqual([])
  expect(check.inputs).toHaveLength(1)
  expect(check.inputs[0]).toMatchObject({ elemType: FLOAT, shape: [expect.any(String), ...expected.input] })
  expect(check.outputs).toHaveLength(1)
  expect(check.outputs[0]).toMatchObject({ elemType: FLOAT, shape: [expect.any(String), expected.classes] })
  // The batch dimension is one symbol from input to output.
  expect(check.outputs[0]!.shape[0]).toBe(check.inputs[0]!.shape[0])
  return check
}

/** expectOnnxClassifier on an exported folder's model.onnx, with the input and classes its metadata.json states. */
export function expectExportedOnnx(onnxFolder: string): OnnxCheck {
  const metadata = JSON.parse(readFileSync(join(onnxFolder, 'metadata.json'), 'utf8')) as {
    input: { height: number; width: number; channels: number }
    labels: string[]
  }
  const { height, width, channels } = metadata.input
  return expectOnnxClassifier(join(onnxFolder, 'model.onnx'), { input: [height, width, channels], classes: metadata.labels.length })
}
