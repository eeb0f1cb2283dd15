/**
 * Loads TensorFlow.js (core, cpu and wasm backends) for the peer benches. Only bench/ imports TensorFlow.js, and
 * only when --peers asks for it (main.ts imports this file dynamically).
 *
 * The wasm backend fetches its .wasm binaries at run time; in Node they are read from the installed package's
 * dist/ folder (setWasmPaths), never downloaded.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// tfjs-core registers no gradients by itself (the @tensorflow/tfjs union package does this import). The file is
// ES module source with extensionless imports that Node cannot load, so it is bundled into dist/bench.js, hence
// the relative path (the package specifier is external); it registers into tfjs-core's global gradient registry
// and runs through its global engine, shared with the external copy (tfjs keeps both on globalThis for this).
import '../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type TfBackend = 'wasm' | 'cpu';

export interface TfInfo {
  version: string;
  /** Whether the wasm backend runs its SIMD build (XNNPACK), and with threads. */
  wasmSimd: boolean | null;
  wasmThreads: boolean | null;
}

// PROD only silences TensorFlow.js's console warnings (the "install tfjs-node" banner among them); it changes
// no kernel or check on the cpu and wasm backends (tfjs-core 4.22 reads it in its log functions only).
tf.enableProdMode();

let wasmPathsSet = false;

/** Selects a TensorFlow.js backend, initialising it on first use; throws if it cannot start. */
export async function useTfBackend(name: TfBackend): Promise<void> {
  if (name === 'wasm' && !wasmPathsSet) {
    const require = createRequire(import.meta.url);
    // The package's main file lies in dist/, next to the .wasm binaries.
    setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
    wasmPathsSet = true;
  }
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tfjs: backend '${name}' did not initialise (active: ${tf.getBackend()})`);
}

/** The version and the wasm backend's build features (flags evaluated asynchronously; null if unavailable). */
export async function tfInfo(): Promise<TfInfo> {
  const flag = async (name: string): Promise<boolean | null> => {
    try {
      return Boolean(await tf.env().getAsync(name));
    } catch {
      return null;
    }
  };
  return {
    version: tf.version_core,
    wasmSimd: await flag('WASM_HAS_SIMD_SUPPORT'),
    wasmThreads: await flag('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
}

export { tf };
