import { App, Col, Row } from 'antd';
import { useMemo, useState } from 'react';
import { CreateTaskForm } from '../components/CreateTaskForm';
import { CurrentModelCard } from '../components/CurrentModelCard';
import { GpuSummary } from '../components/GpuSummary';
import { TaskDrawer } from '../components/TaskDrawer';
import { TaskTable } from '../components/TaskTable';
import { finetuneApi } from '../api/finetune';
import { errorMessage } from '../api/http';
import { isWholeTask, type Task, type TaskRow } from '../api/types';
import { useTaskFeed } from '../hooks/useTaskFeed';
import { useWholeTask } from '../hooks/useWholeTask';

export function FinetunePage() {
  const feed = useTaskFeed();
  const [openId, setOpenId] = useState<string>();
  // "Clone & edit": the task whose settings fill the create form (its submit then clones it)
  const [cloneSource, setCloneSource] = useState<Task | null>(null);
  const { message } = App.useApp();
  // a row of the table has no settings: the form gets the whole task
  const clone = async (task: TaskRow) => {
    try {
      setCloneSource(isWholeTask(task) ? task : await finetuneApi.getTask(task.task_id));
    } catch (cause) {
      message.error(errorMessage(cause));
      return;
    }
    setOpenId(undefined);
    document.querySelector('[data-testid="create-task"]')?.scrollIntoView?.({ behavior: 'smooth' });
  };
  const openTask = useWholeTask(feed.tasks.find((task) => task.task_id === openId));
  // a newly completed task (or a newly merged one) is a new fine-tuned model: the model picker refetches when this changes
  const completed = useMemo(
    () =>
      feed.tasks.filter((task) => task.status === 'completed').length +
      feed.tasks.filter((task) => task.merge_run?.state === 'succeeded').length,
    [feed.tasks],
  );

  return (
    <Row gutter={[16, 16]} className="finetune-page">
      <Col xs={24} xl={8}>
        <div className="stack">
          <GpuSummary />
          <CurrentModelCard refreshKey={completed} />
          <CreateTaskForm onCreated={feed.upsert} cloneFrom={cloneSource} onCloneDone={() => setCloneSource(null)} />
        </div>
      </Col>
      <Col xs={24} xl={16}>
        <TaskTable
          tasks={feed.tasks}
          mode={feed.mode}
          loaded={feed.loaded}
          error={feed.error}
          onOpen={setOpenId}
          onChanged={feed.upsert}
          onClone={(task) => void clone(task)}
          onDeleted={(id) => {
            feed.remove(id);
            if (id === openId) {
              setOpenId(undefined);
            }
          }}
        />
      </Col>
      <TaskDrawer
        task={openTask}
        onClose={() => setOpenId(undefined)}
        onChanged={feed.upsert}
        onClone={(task) => void clone(task)}
      />
    </Row>
  );
}
