/** The teaching page's entry point: mounts the three panels into index.html. Bundled by scripts/build.mjs. */
import { mountBanditPanel } from './bandit-panel.js';
import { byId } from './dom.js';
import { mountGpuPanel } from './gpu-panel.js';
import { mountGradcheckPanel } from './gradcheck-panel.js';

mountBanditPanel(byId('bandit', HTMLElement));
mountGradcheckPanel(byId('gradcheck', HTMLElement));
mountGpuPanel(byId('gpu', HTMLElement));
document.body.dataset.ready = 'true';
