import { stubCommand } from './stub';

export const optimizeCommand = stubCommand('optimize', 'Gatys-style per-image optimization (the quality reference)', 7);
