import { stubCommand } from './stub';

export const trainCommand = stubCommand('train', 'train a style network on a folder of photos', 5);
