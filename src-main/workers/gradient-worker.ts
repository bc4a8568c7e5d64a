// Worker-thread entry for a data-parallel training run's gradient workers (started by the train
// worker, so built as a main entry: see electron.vite.config.ts). The replica itself is in
// src-main/training/parallel/gradient-replica.ts.
import { parentPort, workerData } from 'node:worker_threads'
import type { GradientWorkerData } from '../training/parallel/gradient-protocol'
import { serveGradientReplica } from '../training/parallel/gradient-replica'

if (!parentPort) throw new Error('gradient-worker must run inside a worker thread')
void serveGradientReplica(parentPort, workerData as GradientWorkerData)
