import { MemoryScalingStore } from '../../../../src/pool/scaling/memory-scaling-store.js';
import { scalingStoreConformance } from './scaling-store-conformance.js';

scalingStoreConformance('MemoryScalingStore', () => new MemoryScalingStore());
