import type { TaskRow, TaskStatus } from '../api/types';
import type { Translate } from '../i18n/I18nProvider';

export const STATUS_ICON: Record<TaskStatus, string> = {
  completed: '✅',
  training: '🔄',
  preparing: '🔄',
  queued: '⏳',
  pending: '⏳',
  failed: '❌',
  cancelled: '⊘',
  paused: '⏸',
};

const ACTIVE: ReadonlySet<TaskStatus> = new Set(['pending', 'queued', 'preparing', 'training']);

/** Still waiting or running: it can be cancelled, not deleted. */
export function isActive(status: TaskStatus): boolean {
  return ACTIVE.has(status);
}

/** Paused, or still waiting or running: it can be cancelled, not deleted. */
export function isCancellable(status: TaskStatus): boolean {
  return ACTIVE.has(status) || status === 'paused';
}

export function isRunning(status: TaskStatus): boolean {
  return status === 'preparing' || status === 'training';
}

/** Something the chat backend can serve: a finished task with an adapter or a merged model. */
export function hasModel(task: TaskRow): boolean {
  return task.status === 'completed' && Boolean(task.artifacts?.lora || task.artifacts?.merged_model);
}

/** The epoch being worked on, 1-based: a trainer reports 0.25 a quarter into the first epoch (`epoch`). */
export function displayEpoch(task: TaskRow): number | null {
  const total = task.total_epochs ?? null;
  const current = task.epoch ?? task.current_epoch;
  if (current == null) {
    return null;
  }
  let epoch = Number.isInteger(current) ? current : Math.ceil(current);
  if (task.status === 'training' || task.status === 'preparing') {
    epoch = Math.max(1, epoch);
  }
  return total != null ? Math.min(epoch, total) : epoch;
}

export function formatLoss(loss: number | null | undefined): string {
  if (loss == null || !Number.isFinite(loss)) {
    return '—';
  }
  return Math.abs(loss) >= 100 ? loss.toFixed(1) : loss.toFixed(4);
}

/** "Epoch 2/3 · Step 40/120 · Loss 1.2345"; the parts the task does not report yet show as "—". */
export function progressText(task: TaskRow, t: Translate): string {
  const epoch = displayEpoch(task);
  const parts = [
    t('progress.epoch', { current: epoch ?? '—', total: task.total_epochs ?? '—' }),
    t('progress.step', { current: task.step ?? '—', total: task.total_steps ?? '—' }),
    t('progress.loss', { loss: formatLoss(task.latest_loss) }),
  ];
  return parts.join(' · ');
}

export function progressPercent(task: TaskRow): number {
  if (task.status === 'completed') {
    return 100;
  }
  const value = task.progress ?? (task.step && task.total_steps ? (100 * task.step) / task.total_steps : 0);
  return Math.max(0, Math.min(100, Math.round(value * 10) / 10));
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) {
    return '—';
  }
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) {
    return `${h}h ${String(m).padStart(2, '0')}m`;
  }
  if (m > 0) {
    return `${m}m ${String(rest).padStart(2, '0')}s`;
  }
  return `${rest}s`;
}

export function formatTime(iso: string | null | undefined, lang: string): string {
  if (!iso) {
    return '—';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  return date.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) {
    return '—';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatGb(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) {
    return '—';
  }
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}
