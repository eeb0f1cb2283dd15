/**
 * selm-ts/node: the library's Node-only parts (file I/O), kept out of the browser-safe root: run folders as a
 * RunStorage, preference sets as JSONL files, model and training checkpoints as safetensors files.
 */
export { FolderStorage } from './lab/node/folder-storage.js';
export { readPreferencesJsonl, writePreferencesJsonl, readTextFile } from './lab/node/files.js';
export { saveModel, loadModel, saveTrainingCheckpoint, loadTrainingCheckpoint, writeFileAtomic } from './nn/node/checkpoint-file.js';
export { readHfFolder, writeHfFolder, loadStartingModel, HfFolderError } from './lab/node/hf-folder.js';
