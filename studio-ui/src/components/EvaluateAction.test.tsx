import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Evaluation } from '../api/evaluation';
import type { Task } from '../api/types';
import { apiError, json, stubFetch } from '../test/fetchStub';
import { renderWithProviders } from '../test/render';
import { EvaluateAction, toEvaluationRequest } from './EvaluateAction';
import { EvaluationCompare } from './EvaluationCompare';
import { toSeries } from './LossChart';
import { TaskDrawer } from './TaskDrawer';

// jsdom has no canvas: the chart's data attributes and legend are what these tests read
vi.mock('uplot', () => ({
  default: class {
    setData() {}
    setSize() {}
    destroy() {}
  },
}));

const ID = 'ft-20260101-120000-ab12cd';
const EID = 'ev-1';

function task(extra: Record<string, unknown> = {}): Task {
  return {
    task_id: ID,
    model_name: 'Qwen/Qwen2.5-0.5B-Instruct',
    status: 'completed',
    method: 'lora',
    merge: false,
    artifacts: { lora: '/h/lora' },
    ...extra,
  } as unknown as Task;
}

function evaluation(extra: Partial<Evaluation> = {}): Evaluation {
  return {
    evaluation_id: EID,
    task_id: ID,
    state: 'completed',
    baseline: 'base',
    candidate_model: ID,
    baseline_model: 'Qwen/Qwen2.5-0.5B-Instruct',
    eval_set: { source: 'validation_split', samples: 2 },
    progress: { done: 2, total: 2 },
    max_samples: 50,
    max_tokens: 256,
    created_at: '2026-01-01T12:10:00Z',
    metrics: {
      candidate: {
        samples: 2,
        exact_match: 0.5,
        token_f1: 0.8,
        rouge_l: 0.75,
        avg_answer_chars: 40,
        loss: 1.2,
        avg_latency_ms: 40,
      },
      baseline: {
        samples: 2,
        exact_match: 0,
        token_f1: 0.3,
        rouge_l: 0.25,
        avg_answer_chars: 28,
        loss: 2.4,
        avg_latency_ms: 30,
      },
    },
    samples: [
      {
        prompt: 'How do I switch?',
        reference: 'Open the Finetune panel and press Switch',
        candidate: 'Open the Finetune panel and press Switch',
        baseline: 'I am not sure how to do that',
      },
    ],
    verdict: 'better',
    verdict_reason: 'token F1 0.80 vs 0.30 (+0.50 ≥ 0.05) on 2 samples',
    error: null,
    ...extra,
  };
}

describe('EvaluateAction', () => {
  it('posts the form (base model, 50 samples, 256 tokens) and follows the evaluation to its compare view', async () => {
    let reads = 0;
    const stub = stubFetch({
      'GET /api/chat/serving': () => json({ engines: [], models: [], default: null }),
      [`POST /api/finetune/tasks/${ID}/evaluations`]: () =>
        json(evaluation({ state: 'queued', metrics: null, samples: null, verdict: null }), 202),
      [`GET /api/finetune/tasks/${ID}/evaluations/${EID}`]: () =>
        json(
          reads++ === 0
            ? evaluation({
                state: 'running',
                progress: { done: 1, total: 2 },
                metrics: null,
                samples: null,
                verdict: null,
              })
            : evaluation(),
        ),
    });
    renderWithProviders(<EvaluateAction task={task()} pollMs={10} />);
    fireEvent.click(screen.getByTestId('task-evaluate'));
    fireEvent.click(await screen.findByTestId('evaluate-submit'));
    await waitFor(() => expect(stub.count(`POST /api/finetune/tasks/${ID}/evaluations`)).toBe(1));
    const post = stub.calls.find((c) => c.method === 'POST')!;
    expect(JSON.parse(post.body as string)).toEqual({ baseline: 'base', max_samples: 50, max_tokens: 256 });

    const compare = await screen.findByTestId('evaluation-compare');
    await waitFor(() => expect(compare.dataset.state).toBe('completed'));
    expect(screen.getByTestId('evaluation-verdict').dataset.verdict).toBe('better');
    expect(screen.getByTestId('evaluation-verdict-reason').textContent).toContain('token F1 0.80 vs 0.30');
    expect(stub.count(`GET /api/finetune/tasks/${ID}/evaluations/${EID}`)).toBe(2);
  });

  it('builds the request with another served model and a judge, without the judge when it is not named', () => {
    expect(
      toEvaluationRequest({
        baselineKind: 'served',
        servedModel: 'ft-older',
        max_samples: 10,
        max_tokens: 64,
        judge_base_url: ' http://judge/v1 ',
        judge_model: 'j',
        judge_api_key_env: 'JUDGE_KEY',
      }),
    ).toEqual({
      baseline: 'ft-older',
      max_samples: 10,
      max_tokens: 64,
      judge: { base_url: 'http://judge/v1', model: 'j', api_key_env: 'JUDGE_KEY' },
    });
    expect(toEvaluationRequest({ baselineKind: 'base', max_samples: 5, max_tokens: 8, judge_model: 'j' })).toEqual({
      baseline: 'base',
      max_samples: 5,
      max_tokens: 8,
    });
  });

  it('is offered only for completed tasks, and a refusal is the server message', async () => {
    stubFetch({});
    const { container, unmount } = renderWithProviders(<EvaluateAction task={task({ status: 'training' })} />);
    expect(container.textContent).toBe('');
    unmount();
    stubFetch({
      'GET /api/chat/serving': () => json({ engines: [], models: [], default: null }),
      [`POST /api/finetune/tasks/${ID}/evaluations`]: () =>
        apiError(409, 'task_not_completed', `task ${ID} has not completed`),
    });
    renderWithProviders(<EvaluateAction task={task()} />);
    fireEvent.click(screen.getByTestId('task-evaluate'));
    fireEvent.click(await screen.findByTestId('evaluate-submit'));
    expect(await screen.findByText(`task ${ID} has not completed`)).toBeTruthy();
  });
});

describe('EvaluationCompare', () => {
  it('highlights the better value of each metric and leaves descriptions alone', () => {
    renderWithProviders(<EvaluationCompare evaluation={evaluation()} />);
    expect(screen.getByTestId('metric-token_f1-candidate').dataset.better).toBe('true');
    expect(screen.getByTestId('metric-token_f1-baseline').dataset.better).toBeUndefined();
    expect(screen.getByTestId('metric-loss-candidate').dataset.better).toBe('true');
    expect(screen.getByTestId('metric-avg_latency_ms-baseline').dataset.better).toBe('true');
    expect(screen.getByTestId('metric-samples-candidate').dataset.better).toBeUndefined();
    expect(screen.getByTestId('metric-token_f1-candidate').textContent).toBe('80.0 %');
    // a metric neither arm has is not a row
    expect(screen.queryByTestId('metric-judge_win_rate-candidate')).toBeNull();
  });

  it('shows the samples side by side with the words that differ from the reference, or from the other arm', () => {
    renderWithProviders(<EvaluationCompare evaluation={evaluation()} />);
    const sample = screen.getByTestId('evaluation-sample-0');
    expect(within(sample).getByTestId('sample-prompt').textContent).toBe('How do I switch?');
    expect(within(sample).getByTestId('sample-reference').textContent).toContain('Open the Finetune panel');
    // the candidate says exactly the reference: nothing highlighted; the baseline: everything
    expect(within(within(sample).getByTestId('sample-candidate')).queryAllByTestId('diff-added')).toHaveLength(0);
    const baselineDiff = within(within(sample).getByTestId('sample-baseline')).getAllByTestId('diff-added');
    expect(baselineDiff.map((e) => e.textContent).join('')).toBe('I am not sure how to do that');
    fireEvent.click(screen.getByText('vs each other'));
    expect(within(within(sample).getByTestId('sample-candidate')).getAllByTestId('diff-added').length).toBeGreaterThan(
      0,
    );
  });

  it('shows a running evaluation as progress and a failed one with its error', () => {
    const { unmount } = renderWithProviders(
      <EvaluationCompare
        evaluation={evaluation({
          state: 'running',
          progress: { done: 3, total: 50 },
          metrics: null,
          samples: [],
          verdict: null,
        })}
      />,
    );
    expect(screen.getByTestId('evaluation-progress').textContent).toContain('3/50 samples');
    unmount();
    renderWithProviders(
      <EvaluationCompare
        evaluation={evaluation({
          state: 'failed',
          metrics: null,
          samples: null,
          verdict: null,
          error: { code: 'baseline_unavailable', message: 'the base model could not be served' },
        })}
      />,
    );
    expect(screen.getByTestId('evaluation-error').textContent).toContain('the base model could not be served');
    expect(screen.getByTestId('evaluation-verdict').dataset.verdict).toBe('failed');
  });
});

describe('LossChart series', () => {
  it('puts a train and an eval record of the same step on one x, eval loss as its own series', () => {
    expect(
      toSeries([
        { step: 2, loss: 1.5, learning_rate: 1e-4 },
        { step: 1, loss: 2 },
        { step: 2, eval_loss: 1.7 },
        { step: null, loss: 9 },
      ]),
    ).toEqual([
      [1, 2],
      [2, 1.5],
      [null, 1e-4],
      [null, 1.7],
    ]);
  });
});

describe('TaskDrawer evaluation', () => {
  it('shows the latest verdict, the eval and best losses, and opens the comparison', async () => {
    stubFetch({
      [`GET /api/finetune/tasks/${ID}/metrics`]: () =>
        json({
          task_id: ID,
          total_points: 3,
          points: [
            { step: 1, loss: 2 },
            { step: 2, loss: 1.5 },
            { step: 2, eval_loss: 1.7 },
          ],
        }),
      [`GET /api/finetune/tasks/${ID}/evaluations/${EID}`]: () => json(evaluation()),
    });
    renderWithProviders(
      <TaskDrawer
        task={task({
          eval_loss: 1.7,
          best_eval_loss: 1.6,
          best_step: 2,
          evaluation: { evaluation_id: EID, state: 'completed', verdict: 'worse', baseline: 'base' },
        })}
        onClose={() => {}}
      />,
    );
    const section = await screen.findByTestId('task-evaluation');
    expect(within(section).getByTestId('evaluation-verdict').dataset.verdict).toBe('worse');
    expect(screen.getByText('Best eval loss')).toBeTruthy();
    expect(screen.getByText('at step 2')).toBeTruthy();
    const chart = await screen.findByTestId('loss-chart');
    await waitFor(() => expect(chart.dataset.evalPoints).toBe('1'));
    expect(chart.dataset.bestStep).toBe('2');
    expect(screen.getByTestId('chart-best-step').textContent).toContain('Best step 2');
    fireEvent.click(within(section).getByTestId('evaluation-open'));
    expect(await screen.findByTestId('evaluation-compare')).toBeTruthy();
  });
});
