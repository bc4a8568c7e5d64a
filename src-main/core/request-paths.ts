import { z } from 'zod'
import { isPathSchema } from '../contract/paths'

/** A path a request carries, with the field it came in (`dir`, `settings.folder`, `files.2`). */
export interface RequestPath {
  field: string
  path: string
}

/**
 * Every value of a parsed request that its schema declares a path (contract/paths.ts absolutePath),
 * however deep: the dispatcher checks them all, so a new method's path field is covered by using
 * the one path schema, with nothing to register.
 */
export function pathsInRequest(schema: z.ZodType, value: unknown, field: string[] = []): RequestPath[] {
  if (value === undefined || value === null) return []
  if (isPathSchema(schema)) return typeof value === 'string' ? [{ field: field.join('.'), path: value }] : []
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) {
    return pathsInRequest(schema.unwrap() as z.ZodType, value, field)
  }
  if (schema instanceof z.ZodObject && typeof value === 'object') {
    const shape = schema.shape as Record<string, z.ZodType>
    return Object.entries(shape).flatMap(([key, inner]) => pathsInRequest(inner, (value as Record<string, unknown>)[key], [...field, key]))
  }
  if (schema instanceof z.ZodArray && Array.isArray(value)) {
    return value.flatMap((item, index) => pathsInRequest(schema.element as z.ZodType, item, [...field, String(index)]))
  }
  return []
}
