import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openProjectDatabase } from '../../../src-main/db/connection'
import { getFeatures } from '../../../src-main/db/queries/image-features'
import { getLabelIssueScan } from '../../../src-main/db/queries/label-issue-scans'
import { listLabelIssues } from '../../../src-main/db/queries/label-issues'
import { writeLabels } from '../../../src-main/db/queries/labels'
import { loadTrainingExamples } from '../../../src-main/db/queries/training-data'
import { createRandom } from '../../../src-main/training/data/random'
import { shuffleInPlace } from '../../../src-main/training/data/sampler'
import { packFeatures } from '../../../src-main/transfer/feature-set'
import { byNormalizedMargin, bySelfConfidence, findSuspects, type Suspect } from '../../../src-main/review/confident-learning'
import { runLabelIssues } from '../../../src-main/review/label-issues-job'
import { outOfFoldProbabilities } from '../../../src-main/review/out-of-fold'
import { runImport, setUpImport, type ImportSetup } from '../../helpers/import-project'
import { SHARED_MODELS_DIR } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { recordingContext } from '../../helpers/training-project'
import { BASE_MODEL, CIFAR10, CIFAR10_ARCHIVE, missingShared } from '../../helpers/shared-assets'

// The issue's measurement: a real labeled set — four CIFAR-10 classes unpacked from ../shared at test
// time (nothing from there is committed) — with a known, seeded 5% of its labels flipped to another
// class. The real label-issues job must find the flipped images: precision and recall are printed and
// held to floors a little under what this set measured (flagged: precision 0.29, recall 0.70; top 15
// of the ranking: precision 0.73; top 30: 0.60 / 0.60). Precision of the whole flagged set is bounded
// by the out-of-fold heads: frozen ImageNet features of 32-px images put only ~79% of these images in
// their true class, and a clean image the heads confidently misclassify is flagged like a flipped one.

const CLASSES = ['airplane', 'cat', 'frog', 'truck']
const PER_CLASS = 150
const FLIP_FRACTION = 0.05
const SEED = 20
const MISSING = missingShared(CIFAR10, BASE_MODEL)

let dir: string
let setup: ImportSetup

beforeAll(() => {
  if (MISSING) return
  dir = makeTempDir('pictor-label-issues-')
  const unpacked = join(dir, 'unpacked')
  mkdirSync(unpacked)
  const members = CLASSES.flatMap((name) =>
    Array.from({ length: PER_CLASS }, (_, index) => `cifar10_jpg/train/${name}/${String(index).padStart(4, '0')}.jpg`)
  )
  execFileSync('tar', ['-xzf', CIFAR10_ARCHIVE, '-C', unpacked, ...members])
  mkdirSync(join(dir, 'project'))
  setup = setUpImport(join(dir, 'project'))
  for (const name of CLASSES) {
    mkdirSync(join(setup.folder, 'train', name), { recursive: true })
    for (const file of readdirSync(join(unpacked, 'cifar10_jpg', 'train', name))) {
      renameSync(join(unpacked, 'cifar10_jpg', 'train', name, file), join(setup.folder, 'train', name, file))
    }
  }
}, 60_000)

afterAll(() => removeTempDir(dir))

/** Flips a seeded FLIP_FRACTION of the labels, each to another class; returns image id → original class id. */
function flipLabels(projectPath: string): Map<number, number> {
  const db = openProjectDatabase(projectPath)
  try {
    const { classes, examples } = loadTrainingExamples(db)
    const random = createRandom(SEED)
    const chosen = shuffleInPlace(examples.slice(), random).slice(0, Math.round(examples.length * FLIP_FRACTION))
    const original = new Map<number, number>()
    const changes = chosen.map((example) => {
      const others = classes.filter((_, index) => index !== example.classIndex)
      original.set(example.imageId, classes[example.classIndex]!.id)
      return { imageId: example.imageId, classId: others[Math.floor(random() * others.length)]!.id }
    })
    writeLabels(db, changes, 'user')
    return original
  } finally {
    db.close()
  }
}

/** Average precision of a ranking against the flipped set (area under its precision–recall steps). */
function averagePrecision(ranked: readonly number[], flipped: ReadonlySet<number>): number {
  let hits = 0
  let sum = 0
  ranked.forEach((imageId, index) => {
    if (!flipped.has(imageId)) return
    hits++
    sum += hits / (index + 1)
  })
  return sum / flipped.size
}

const scores = (flagged: readonly number[], flipped: ReadonlySet<number>) => {
  const caught = flagged.filter((imageId) => flipped.has(imageId)).length
  return { flagged: flagged.length, caught, precision: flagged.length ? caught / flagged.length : 0, recall: caught / flipped.size }
}

it('finds most of a seeded 5% of flipped labels among four CIFAR-10 classes', async (context) => {
  if (MISSING) context.skip(MISSING)
  const report = await runImport(setup)
  expect(report.imported).toBe(CLASSES.length * PER_CLASS)
  const original = flipLabels(setup.projectPath)
  const flipped = new Set(original.keys())
  expect(flipped.size).toBe(30)

  const started = performance.now()
  const result = await runLabelIssues(
    { projectPath: setup.projectPath, modelsDir: SHARED_MODELS_DIR, folds: 5, backend: 'wasm' },
    recordingContext()
  )
  const seconds = (performance.now() - started) / 1000
  expect(result.examined).toBe(CLASSES.length * PER_CLASS)

  const db = openProjectDatabase(setup.projectPath)
  try {
    const issues = listLabelIssues(db)
    expect(getLabelIssueScan(db)).toMatchObject({ folds: 5, examined: 600 })
    expect(issues).toHaveLength(result.flagged)
    const job = scores(issues.map((issue) => issue.imageId), flipped)
    const caught = issues.filter((issue) => flipped.has(issue.imageId))
    const restored = caught.filter((issue) => issue.suggestedClassId === original.get(issue.imageId)).length
    const ranked = averagePrecision(issues.map((issue) => issue.imageId), flipped)
    // The list is ranked: what a user reviewing only the top of it finds.
    const top = (k: number) => scores(issues.slice(0, k).map((issue) => issue.imageId), flipped)
    console.log(
      `label issues on ${result.examined} CIFAR-10 images (${CLASSES.join(', ')}), ${flipped.size} flipped: ` +
        `${job.flagged} flagged, precision ${job.precision.toFixed(3)}, recall ${job.recall.toFixed(3)}, ` +
        `suggestion = original class for ${restored}/${caught.length} caught, ranking AP ${ranked.toFixed(3)}, ` +
        `${result.extracted} features extracted, ${seconds.toFixed(1)} s; ` +
        `top 15: precision ${top(15).precision.toFixed(3)}, top 30: precision ${top(30).precision.toFixed(3)} recall ${top(30).recall.toFixed(3)}`
    )

    // The alternatives the code chose between, on the same out-of-fold probabilities (same seed, so
    // the same heads): the counting rule, and the ranking by self-confidence vs normalized margin.
    const { examples } = loadTrainingExamples(db)
    const set = packFeatures(examples, getFeatures(db, result.modelVersion, examples.flatMap((e) => e.contentHash ?? [])))
    const probabilities = await outOfFoldProbabilities(set, CLASSES.length, { folds: 5, seed: 1, signal: new AbortController().signal })
    const ids = (suspects: Suspect[]) => suspects.map((suspect) => set.imageIds[suspect.row]!)
    const joint = findSuspects(probabilities, set.classIndices, { rule: 'confident-joint' })
    const anyOther = findSuspects(probabilities, set.classIndices, { rule: 'any-other' })
    expect(ids(joint)).toEqual(issues.map((issue) => issue.imageId))
    const other = scores(ids(anyOther), flipped)
    const apSelf = averagePrecision(ids([...joint].sort(bySelfConfidence)), flipped)
    const apMargin = averagePrecision(ids([...joint].sort(byNormalizedMargin)), flipped)
    console.log(
      `  rule 'any-other': ${other.flagged} flagged, precision ${other.precision.toFixed(3)}, recall ${other.recall.toFixed(3)}; ` +
        `ranking AP by self-confidence ${apSelf.toFixed(3)}, by normalized margin ${apMargin.toFixed(3)}`
    )

    // Floors below what this set measured (see the log line), so noise in the wasm kernels cannot flip them.
    expect(job.recall).toBeGreaterThanOrEqual(0.6)
    expect(job.precision).toBeGreaterThanOrEqual(0.2)
    expect(restored / caught.length).toBeGreaterThanOrEqual(0.8)
    expect(ranked).toBeGreaterThanOrEqual(0.4)
    expect(top(15).precision).toBeGreaterThanOrEqual(0.6)
    expect(top(30).precision).toBeGreaterThanOrEqual(0.5)
  } finally {
    db.close()
  }
}, 240_000)
