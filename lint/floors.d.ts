// Types for floors.js (plain JavaScript so that ESLint loads it without a TypeScript step).
export interface Floor {
  name: string
  folders: string[]
}
export interface Zone {
  target: string | string[]
  from: string | string[]
  except?: string[]
  message: string
}
export const FLOORS: Floor[]
export const SIBLING_BANS: [string, string][]
export function floorZones(): Zone[]
