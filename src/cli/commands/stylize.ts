import { stubCommand } from './stub';

export const stylizeCommand = stubCommand('stylize', 'apply a trained style model to images', 3);
