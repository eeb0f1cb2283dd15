/** The row and elementwise jobs of the kernel module (dispatched by `run` after the GEMM). */
import type { FunctionBuilder, Local } from './emitter.js';

export const ROW_JOB_KINDS = {} as const;

export function emitRowJobs(_f: FunctionBuilder, _kind: Local<'i32'>, _job: Local<'i32'>, _start: Local<'i32'>, _end: Local<'i32'>): void {}
