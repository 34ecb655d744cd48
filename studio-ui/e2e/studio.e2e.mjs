// Browser end-to-end test of the Studio web UI against a running studio (./sage studio start), in
// Debian's Chromium driven by playwright-core. Run it with e2e/run-e2e.sh [URL].
//
// Flow: an invalid dataset shows its line errors → upload a dataset → create a task → progress and the
// loss curve move → completed → evaluate it against its base model before any switch and read the compare view
// (metrics, samples side by side, verdict; the task drawer shows the verdict) → switch the chat backend to it (the
// dialog shows the verdict) → a chat answer from the new model → the current-model badge shows it → the Serving page
// lists it as the default with the chat request counted. A screenshot of each step goes to e2e/screenshots/.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.STUDIO_URL ?? 'http://localhost:8080').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
const TRAINING_TIMEOUT_MS = Number(process.env.E2E_TRAINING_TIMEOUT_MS ?? 180_000);
const SWITCH_TIMEOUT_MS = Number(process.env.E2E_SWITCH_TIMEOUT_MS ?? 120_000);
const EVALUATION_TIMEOUT_MS = Number(process.env.E2E_EVALUATION_TIMEOUT_MS ?? 240_000);

let browser;
let page;
let step = 0;
const data = mkdtempSync(join(tmpdir(), 'studio-e2e-'));

async function shot(name) {
  step += 1;
  const file = join(SHOTS, `${String(step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

function writeDatasets() {
  const good = Array.from({ length: 48 }, (_, i) =>
    JSON.stringify({
      instruction: `How do I switch the chat backend to fine-tuned model number ${i}?`,
      input: '',
      output: `Open the Finetune panel, pick model ${i} in the Current model card and press "Switch to chat backend".`,
    }),
  ).join('\n');
  const bad = ['{"instruction": "fine", "output": "ok"', '{"question": "no known format"}', 'not json at all', ''].join(
    '\n',
  );
  writeFileSync(join(data, 'support-e2e.jsonl'), `${good}\n`);
  writeFileSync(join(data, 'broken-e2e.jsonl'), bad);
}

async function upload(name) {
  await page.locator('[data-testid="create-task"] input[type=file]').setInputFiles(join(data, name));
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  writeDatasets();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
  await context.addInitScript(() => {
    if (!localStorage.getItem('sage.studio.lang')) {
      localStorage.setItem('sage.studio.lang', 'en');
    }
  });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
});

after(async () => {
  await browser?.close();
});

test('the Finetune page loads with GPU summary, current model, form and task table', async () => {
  await page.goto(`${BASE_URL}/`);
  await page.getByTestId('gpu-summary').waitFor();
  await page.getByTestId('current-model-badge').waitFor();
  await page.getByTestId('task-table').waitFor();
  await page.getByTestId('base-model-select').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="feed-mode"]')?.textContent === 'Live');
  await shot('finetune-page');
});

test('an invalid dataset shows its line errors', async () => {
  await upload('broken-e2e.jsonl');
  const rejected = page.getByTestId('dataset-rejected');
  await rejected.waitFor();
  const lines = await rejected.getByTestId('dataset-error').allTextContents();
  assert.ok(lines.length >= 2, `expected per-line errors, got ${JSON.stringify(lines)}`);
  assert.ok(
    lines.some((l) => l.startsWith('line 1')),
    `line 1 should be reported: ${JSON.stringify(lines)}`,
  );
  assert.equal(await page.getByTestId('create-submit').isDisabled(), true);
  await shot('invalid-dataset');
});

let taskId;

test('a valid dataset shows its format and sample count, and a task is created', async () => {
  await upload('support-e2e.jsonl');
  const summary = page.getByTestId('dataset-summary');
  await summary.waitFor();
  assert.equal(await summary.getByTestId('dataset-format').textContent(), 'alpaca');
  assert.equal(await summary.getByTestId('dataset-count').textContent(), '48');
  assert.equal(await page.getByTestId('dataset-rejected').count(), 0);
  await page.getByTestId('memory-estimate-value').waitFor();
  await shot('dataset-uploaded');

  const before = await page.locator('[data-testid^="task-row-"]').count();
  await page.getByTestId('create-submit').click();
  // no GPU here: the backend may warn, and the user goes on
  const keep = page.getByRole('button', { name: 'Keep the task' });
  const row = page.locator('[data-testid^="task-row-"]').first();
  await Promise.race([
    keep.waitFor().then(async () => {
      await shot('create-warnings');
      await keep.click();
    }),
    page.waitForFunction((n) => document.querySelectorAll('[data-testid^="task-row-"]').length > n, before),
  ]);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid^="task-row-"]').length > n, before);
  taskId = (await row.getAttribute('data-testid')).replace('task-row-', '');
  assert.ok(taskId);
});

test('progress and the loss curve move while training, until completed', async () => {
  const row = page.getByTestId(`task-row-${taskId}`);
  await page.waitForFunction(
    (id) =>
      ['training', 'completed'].includes(document.querySelector(`[data-testid="task-row-${id}"]`)?.dataset.status),
    taskId,
    { timeout: TRAINING_TIMEOUT_MS },
  );
  await row.getByTestId('task-open').click();
  const drawer = page.getByTestId('task-drawer');
  await drawer.waitFor();

  const points = () => page.getByTestId('loss-chart').getAttribute('data-points').then(Number);
  const status = () => row.getAttribute('data-status');
  await page.getByTestId('loss-chart').waitFor({ timeout: TRAINING_TIMEOUT_MS });
  const first = await points();
  const firstText = await row.getByTestId('task-progress-text').textContent();
  assert.notEqual(
    await status(),
    'completed',
    'training finished before the UI saw it run: start the studio with a slower stand-in trainer (FAKE_TRAINER_STEP_DELAY=1.0)',
  );
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid="loss-chart"]')?.dataset.points) > n,
    first,
    {
      timeout: TRAINING_TIMEOUT_MS,
    },
  );
  const moved = await points();
  assert.ok(moved > first, `the curve should grow: ${first} → ${moved}`);
  // The row's text follows the task list, which may render a moment after the drawer's curve: wait for it.
  await page.waitForFunction(
    ([id, before]) =>
      document.querySelector(`[data-testid="task-row-${id}"] [data-testid="task-progress-text"]`)?.textContent !==
      before,
    [taskId, firstText],
    { timeout: TRAINING_TIMEOUT_MS },
  );
  const movedText = await row.getByTestId('task-progress-text').textContent();
  assert.match(movedText, /^Epoch \d+\/\d+ · Step \d+\/\d+ · Loss \d+\.\d{4}/);
  await shot('training-progress');

  await page.waitForFunction(
    (id) => document.querySelector(`[data-testid="task-row-${id}"]`)?.dataset.status === 'completed',
    taskId,
    {
      timeout: TRAINING_TIMEOUT_MS,
    },
  );
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="drawer-progress-text"]')?.textContent?.includes('Loss'),
  );
  assert.match(await row.getByTestId('task-status').textContent(), /✅/);
  const final = await points();
  assert.ok(final >= moved, 'the curve keeps its points when the task completes');
  await drawer.getByTestId('task-artifacts').getByText('lora').first().waitFor();
  await shot('task-completed');

  await page.getByRole('tab', { name: 'Logs' }).click();
  await page.getByTestId('task-logs').waitFor();
  assert.ok(((await page.getByTestId('task-logs').textContent()) ?? '').length > 0, 'the log is shown');
  await shot('task-logs');
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'hidden' });
});

let servedModel;

test('the model picker lists the new fine-tuned model under its base model', async () => {
  await page.getByTestId('model-select').click();
  await page.keyboard.type(taskId);
  const option = page
    .getByTestId(`model-option-${taskId}`)
    .or(page.locator('.ant-select-item-option').filter({ hasText: taskId }))
    .first();
  await option.waitFor();
  assert.match(await option.textContent(), /Fine-tuned/);
  const group = page.locator('.ant-select-item-group').filter({ hasText: 'Qwen/' }).first();
  await group.waitFor();
  await shot('model-picker');
  await page.keyboard.press('Escape');
});

let verdict;

// Before any switch, on a studio without a default chat model: the fine-tune and its base model are served by name,
// side by side, for the evaluation; nothing is switched for users.
test('evaluating the fine-tune against its base model shows the compare view: metrics, samples and verdict', async () => {
  await page.getByTestId('nav-finetune').click();
  const row = page.getByTestId(`task-row-${taskId}`);
  await row.waitFor();
  await row.getByTestId('task-evaluate').click();
  await page.getByTestId('evaluate-modal').waitFor();
  await shot('evaluate-form');
  await page.getByTestId('evaluate-submit').click();
  const drawer = page.getByTestId('evaluation-drawer');
  await drawer.waitFor();
  const compare = page.getByTestId('evaluation-compare');
  await compare.waitFor();
  await page.waitForFunction(
    () => ['completed', 'failed'].includes(document.querySelector('[data-testid="evaluation-compare"]')?.dataset.state),
    null,
    { timeout: EVALUATION_TIMEOUT_MS },
  );
  assert.equal(await compare.getAttribute('data-state'), 'completed', await compare.textContent());

  // the metrics table: both arms, the better value of a score marked
  const metrics = page.getByTestId('evaluation-metrics');
  await metrics.waitFor();
  for (const arm of ['candidate', 'baseline']) {
    assert.match(await metrics.getByTestId(`metric-token_f1-${arm}`).textContent(), /^\d+\.\d %$/);
    assert.match(await metrics.getByTestId(`metric-rouge_l-${arm}`).textContent(), /^\d+\.\d %$/);
  }
  // the samples side by side: prompt, reference and both answers
  const samples = page.locator('[data-testid^="evaluation-sample-"]');
  assert.ok((await samples.count()) >= 1, 'the compare view lists samples');
  const first = samples.first();
  for (const part of ['sample-prompt', 'sample-reference', 'sample-candidate', 'sample-baseline']) {
    assert.ok(((await first.getByTestId(part).textContent()) ?? '').trim().length > 0, `${part} has text`);
  }
  // the verdict and its rule
  verdict = await compare.getByTestId('evaluation-verdict').getAttribute('data-verdict');
  assert.ok(['better', 'worse', 'inconclusive'].includes(verdict), `verdict ${verdict}`);
  assert.ok(((await page.getByTestId('evaluation-verdict-reason').textContent()) ?? '').length > 0, 'a reason');
  await shot('evaluation-compare');
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'hidden' });

  // the task drawer shows the latest verdict once the task carries it (on its Overview tab: the drawer reopens on the
  // Logs tab it was left on)
  await row.getByTestId('task-open').click();
  await page.getByTestId('task-drawer').waitFor();
  await page.getByRole('tab', { name: 'Overview' }).click();
  await page.waitForFunction(
    (v) =>
      document.querySelector('[data-testid="task-evaluation"] [data-testid="evaluation-verdict"]')?.dataset.verdict ===
      v,
    verdict,
    { timeout: 30_000 },
  );
  await shot('task-verdict');
  await page.keyboard.press('Escape');
  await page.getByTestId('task-drawer').waitFor({ state: 'hidden' });
});

test('switching to the task makes it the live chat model', async () => {
  const row = page.getByTestId(`task-row-${taskId}`);
  await row.getByTestId('task-switch').click();
  // the dialog says what the switch goes on: the verdict of the evaluation above (the gate is off by default)
  const dialog = page.getByTestId('switch-dialog');
  await dialog.waitFor();
  assert.equal(
    await dialog.getByTestId('gate-evaluation').getByTestId('evaluation-verdict').getAttribute('data-verdict'),
    verdict,
  );
  await shot('switch-dialog');
  await page.getByTestId('switch-confirm').click();
  const progress = page.getByTestId('switch-progress');
  await progress.waitFor();
  await shot('switch-progress');
  await page.waitForFunction(
    () => ['completed', 'failed'].includes(document.querySelector('[data-testid="switch-progress"]')?.dataset.state),
    null,
    { timeout: SWITCH_TIMEOUT_MS },
  );
  assert.equal(await progress.getAttribute('data-state'), 'completed', await progress.textContent());
  const toast = page.locator('.ant-notification-notice').filter({ hasText: 'is live' });
  await toast.waitFor();
  assert.equal(await toast.getByTestId('switch-toast-icon').textContent(), '✅');
  const badge = page.getByTestId('current-model-badge');
  await page.waitForFunction(() => {
    const b = document.querySelector('[data-testid="current-model-badge"]');
    return b?.dataset.kind === 'finetuned' && b.dataset.health === 'serving';
  });
  servedModel = await badge.getAttribute('data-model');
  assert.ok(servedModel, 'the badge names the served model');
  await shot('switched');
});

test('the chat answers from the new model and the badge shows it', async () => {
  await page.getByTestId('nav-chat').click();
  await page.getByTestId('chat-input').waitFor();
  assert.equal(await page.getByTestId('current-model-badge').getAttribute('data-model'), servedModel);
  await page.getByTestId('chat-input').fill('How do I switch the chat backend?');
  await page.keyboard.press('Enter');
  const answer = page.getByTestId('chat-message-assistant').last();
  await page.waitForFunction(
    () => {
      const messages = document.querySelectorAll('[data-testid="chat-message-assistant"]');
      return messages[messages.length - 1]?.dataset.status !== 'streaming';
    },
    null,
    { timeout: 60_000 },
  );
  assert.equal(await answer.getAttribute('data-status'), 'done', await answer.textContent());
  const answeredBy = await answer.getByTestId('chat-answered-by').textContent();
  assert.ok(answeredBy.includes(servedModel), `"${answeredBy}" should name ${servedModel}`);
  assert.ok(((await answer.textContent()) ?? '').length > answeredBy.length, 'the answer has text');
  await shot('chat-answer');
});

test('the Serving page lists the chat model as the default, with the chat request counted', async () => {
  await page.getByTestId('nav-serving').click();
  await page.getByTestId('serving-page').waitFor();
  const row = page
    .locator('[data-testid^="served-row-"]')
    .filter({ has: page.getByTestId('served-default') })
    .first();
  await row.waitFor();
  assert.ok((await row.textContent()).includes(servedModel), `the default row should name ${servedModel}`);
  assert.equal(await row.getAttribute('data-state'), 'ready');
  // the gateways report traffic every few seconds: the chat question above shows up as a request
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid^="served-requests-"]')].some((e) => Number(e.textContent) >= 1),
    null,
    { timeout: 60_000 },
  );
  await page.getByTestId('serving-engines').waitFor();
  assert.ok((await page.locator('[data-testid^="engine-row-"]').count()) >= 1, 'the engine serving it is listed');
  await shot('serving');
});

test('the UI speaks Simplified Chinese after the switch and keeps it', async () => {
  await page.getByText('中文').click();
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="nav-finetune"]')?.textContent?.includes('微调'),
  );
  await page.reload();
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="nav-finetune"]')?.textContent?.includes('微调'),
  );
  await page.getByTestId('nav-finetune').click();
  await page.getByTestId('task-table').waitFor();
  await page.waitForFunction((id) => document.querySelector(`[data-testid="task-row-${id}"]`) !== null, taskId);
  await shot('finetune-zh');
});
