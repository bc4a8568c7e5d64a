import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

// One config, three builds. Main-side entries share chunks (services, db, server), so the
// Electron shell and the `pictor` CLI run exactly the same service code.
export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        // Optional native TensorFlow: loaded at run time only where its install succeeded.
        external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
        input: {
          index: resolve('src-main/electron/main.ts'),
          cli: resolve('src-main/cli/index.ts')
        }
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
