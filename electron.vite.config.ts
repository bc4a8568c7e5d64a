import { posix, resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import type { Plugin } from 'vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

// Main-side entries. feature-worker and gradient-worker are started by the train worker, itself
// bundled through `?modulePath` (see nestedModulePaths).
const mainInputs: Record<string, string> = {
  index: resolve('src-main/electron/main.ts'),
  cli: resolve('src-main/cli/index.ts'),
  'feature-worker': resolve('src-main/classifier/features/feature-worker.ts'),
  'gradient-worker': resolve('src-main/workers/gradient-worker.ts')
}

/**
 * `?modulePath` inside a module that is itself bundled through `?modulePath` (a worker that starts
 * workers). electron-vite bundles such a worker in a separate build whose plugins leave out its own
 * module-path plugin, so there the import would be the plain module (no default export: the build
 * fails). In that build only (electron-vite's plugin, listed first, answers everywhere else) this
 * makes the import the path of the same file built as a main entry (`<name>.js` at the top of
 * out/main), resolved at run time relative to the chunk that imports it.
 */
function nestedModulePaths(inputs: Record<string, string>): Plugin {
  const names = Object.keys(inputs)
  const placeholder = /__PICTOR_MODULE_PATH_(\d+)__/g
  return {
    name: 'pictor:nested-module-paths',
    apply: 'build',
    enforce: 'pre',
    load(id) {
      if (!id.endsWith('?modulePath')) return null
      const file = resolve(id.slice(0, -'?modulePath'.length))
      const index = names.findIndex((name) => inputs[name] === file)
      if (index < 0) throw new Error(`${file} is imported with ?modulePath inside a worker: add it to main's rolldownOptions.input`)
      return `import { fileURLToPath } from 'node:url'\nexport default fileURLToPath(new URL(__PICTOR_MODULE_PATH_${index}__, import.meta.url))`
    },
    renderChunk(code, chunk) {
      if (!code.includes('__PICTOR_MODULE_PATH_')) return null
      return code.replace(placeholder, (_, index: string) => {
        const relative = posix.relative(posix.dirname(chunk.fileName), `${names[Number(index)]}.js`)
        return JSON.stringify(relative.startsWith('.') ? relative : `./${relative}`)
      })
    }
  }
}

export default defineConfig({
  main: {
    plugins: [nestedModulePaths(mainInputs)],
    build: {
      rolldownOptions: {
        // Optional native TensorFlow and ONNX Runtime: loaded at run time only where their install
        // succeeded; their .node bindings cannot be bundled.
        external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node'],
        input: mainInputs
      }
    }
  },
  preload: {
    build: {
      rolldownOptions: {
        input: { index: resolve('src-main/electron/preload.ts') },
        // Sandboxed preloads cannot be ES modules: force CommonJS whatever package.json says.
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve('src-renderer'),
    // The renderer imports the contract's types (and nothing else) from the main side.
    resolve: { alias: { '@contract': resolve('src-main/contract') } },
    build: {
      rolldownOptions: { input: resolve('src-renderer/index.html') }
    },
    plugins: [svelte({ configFile: resolve('svelte.config.js') })]
  }
})
