import { getJson, sendJson } from './http';
import type { GpuInfo, MemoryEstimate, MemoryEstimateRequest } from './types';

export const systemApi = {
  gpuInfo: (signal?: AbortSignal) => getJson<GpuInfo>('/api/system/gpu-info', signal),
  memoryEstimate: (request: MemoryEstimateRequest, signal?: AbortSignal) =>
    sendJson<MemoryEstimate>('POST', '/api/system/memory-estimate', request, signal),
};
