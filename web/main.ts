/** The teaching page's entry point: typesets the maths and mounts the panels into index.html. Bundled by scripts/build.mjs. */
import { byId } from './dom.js';
import { mountEq33Panel } from './eq33-panel.js';
import { mountFigure1Panel } from './figure1-panel.js';
import { mountGpuPanel } from './gpu-panel.js';
import { mountGradcheckPanel } from './gradcheck-panel.js';
import { typesetMaths } from './maths.js';
import { mountSeedsPanel } from './seeds-panel.js';
import { mountStepperPanel } from './stepper-panel.js';

typesetMaths(document);
mountFigure1Panel(byId('figure1', HTMLElement));
const onState = mountEq33Panel(byId('eq33', HTMLElement));
const stepper = mountStepperPanel(byId('algorithm', HTMLElement), onState);
mountSeedsPanel(byId('seeds', HTMLElement), stepper);
mountGradcheckPanel(byId('gradcheck', HTMLElement));
mountGpuPanel(byId('gpu', HTMLElement));
document.body.dataset.ready = 'true';
