import { TaskOrchestrator } from '../collaborators/task-orchestrator';

/**
 * TEST ONLY: the orchestrator collaborator with every CompleteTask held back for `holdMs` before it
 * is sent. It widens the window between a task's last step ending and its completion being
 * recorded, so a fault test can kill the node inside that window on purpose rather than by luck;
 * `announce` tells the test the window is open.
 */
export function holdingCompletion(
  orchestrator: TaskOrchestrator,
  holdMs: number,
  announce: (line: string) => void,
): TaskOrchestrator {
  return {
    claimTask: (request) => orchestrator.claimTask(request),
    reportProgress: (request) => orchestrator.reportProgress(request),
    completeTask: async (request) => {
      announce(`test hook: holding completion of task ${request.taskId} (${request.state}) for ${holdMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      return orchestrator.completeTask(request);
    },
    releaseTask: (request) => orchestrator.releaseTask(request),
    heartbeat: (request) => orchestrator.heartbeat(request),
    getTask: (taskId) => orchestrator.getTask(taskId),
  };
}
