// README.md at the top of a cluster bundle: what is in it and the exact commands, for one machine,
// one machine with several GPUs, and several machines, then the way back into Pictor.
import type { BundleConfig } from './bundle-config'

export function bundleReadme(config: BundleConfig, counts: { images: number; classes: number }, projectPath: string): string {
  const t = config.training
  return `# ${config.pictor.project}: a MobileNetV2 training bundle from Pictor

Written by Pictor ${config.pictor.version} on ${config.pictor.createdAt}: ${counts.images} labeled images in ${counts.classes} classes,
ready to fine-tune with PyTorch on a GPU server or a cluster, and to bring back into Pictor for review.

| path | what |
|---|---|
| \`data/\` | the dataset (${config.data.format === 'webdataset' ? 'WebDataset tar shards, `<split>-NNNNNN.tar`' : 'imagefolder: `<split>/<class>/<file>` with `metadata.jsonl`'}), \`classes.json\` (output order) and its dataset card, \`data/README.md\` |
| \`config.json\` | the training settings (from ${config.pictor.settingsFrom}) and the model's metadata |
| \`weights/\` | Pictor's ImageNet MobileNetV2 weights (${config.baseModelVersion}); nothing is downloaded |
| \`check/\` | two images and the features Pictor computed for them: \`train.py\` checks its network against them first |
| \`train.py\`, \`keras_mobilenet.py\`, \`bundle_data.py\`, \`bundle_export.py\` | the training program |
| \`requirements.txt\` | what it needs: PyTorch, torchvision, numpy, Pillow (onnx optional) |

## Run it

\`\`\`sh
pip install -r requirements.txt                      # where PyTorch is not installed yet
python3 train.py --max-images 48 --epochs 1          # a smoke test: a minute on a laptop CPU
python3 train.py                                     # one process: one GPU, or the CPU
torchrun --standalone --nproc_per_node=8 train.py    # one machine, 8 GPUs (or 8 CPU processes)
\`\`\`

Several machines (run the same command on each; HOST is the first machine's address):

\`\`\`sh
torchrun --nnodes=2 --nproc_per_node=8 --rdzv-id=pictor --rdzv-backend=c10d --rdzv-endpoint=HOST:29400 train.py
\`\`\`

Where \`torchrun\` is not on the PATH, \`python3 -m torch.distributed.run\` is the same program. PyTorch 1.13's
launcher on Python 3.11 (Debian 12's packages) stops at once with \`AttributeError: 'NoneType' object has no
attribute 'get'\`: its default \`--redirects 0\` is what breaks, so give it \`--redirects 1 --tee 1\` there. GPUs use NCCL
and mixed precision (\`torch.autocast\` + \`GradScaler\`; \`--no-amp\` turns it off); CPUs use gloo in float32.

Every setting in \`config.json\`'s \`training\` is a flag of the same name: ${Object.keys(t)
    .map((key) => `\`--${key.replaceAll('_', '-')}\``)
    .join(', ')}
(true/false settings also as \`--no-…\`; lists and objects as JSON). Besides: \`--out DIR\` (default \`./output\`),
\`--max-images N\` (per split), \`--workers N\`, \`--restart\`.

What it does: checks its PyTorch copy of the backbone against Pictor's features (it stops if they differ by
more than ${config.check.tolerance}), trains ${t.train_backbone ? `the head alone for ${t.head_epochs} epoch(s), then the whole backbone too at its own learning rate (${t.backbone_learning_rate}; batch norm kept in inference mode)` : 'the head only (the backbone stays as it is)'} with the
preprocessing Pictor uses (RGB, ${t.image_size}×${t.image_size}, x / 127.5 − 1) and the class order of \`data/classes.json\`, on a
DistributedSampler; after every epoch rank 0 writes \`output/checkpoint.pt\` (the same command resumes from it)
and \`output/history.json\`; the best epoch by validation loss is kept. At the end: the test accuracy,
\`output/model.onnx\` (NHWC float32 input, softmax output) and \`output/metadata.json\`.

## Bring the model back

\`\`\`sh
pictor runs import --project ${JSON.stringify(projectPath)} output/
\`\`\`

The model becomes a run of the project: Review (confusion matrix, top losses), suggestions, label issues,
\`pictor predict\` and export work on it as on a run trained in Pictor.
`
}
