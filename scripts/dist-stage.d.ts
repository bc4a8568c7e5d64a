export const NOT_SHIPPED: string[]
export const ABI_NATIVES: { name: string; binary: string }[]
export function nativeBuildEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv
export function productionPackages(root: string, appPackage: { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }): string[]
export function appPackageJson(devPackage: Record<string, unknown>): {
  main: string
  dependencies: Record<string, string>
  optionalDependencies: Record<string, string>
  [key: string]: unknown
}
