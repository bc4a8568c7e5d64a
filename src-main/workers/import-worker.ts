// Worker-thread entry for folder imports (bundled separately through `?modulePath`). The same module,
// started again with DECODE_HELPER as its workerData, is one of the import's decode helpers.
import { fileURLToPath } from 'node:url'
import { workerData } from 'node:worker_threads'
import { threadCountFromEnv } from '../core/thread-count'
import { importFolder } from '../import/import-folder'
import { serveJobInWorker } from '../jobs/worker-side'
import { DECODE_HELPER, ImportDecoders, serveDecodes } from './import-decoders'

if (workerData === DECODE_HELPER) {
  serveDecodes()
} else {
  serveJobInWorker(async (input: Parameters<typeof importFolder>[0], context: Parameters<typeof importFolder>[1]) => {
    // One decode thread per core (PICTOR_IMPORT_THREADS overrides; 0 decodes on this thread).
    const threads = threadCountFromEnv('PICTOR_IMPORT_THREADS', { min: 0 })
    if (threads === 0) return importFolder(input, context)
    const decoders = new ImportDecoders(fileURLToPath(import.meta.url), threads)
    try {
      return await importFolder(input, context, decoders.decode)
    } finally {
      await decoders.close()
    }
  })
}
