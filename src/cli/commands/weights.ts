import { stubCommand } from './stub';

export const weightsCommand = stubCommand('weights', 'download and manage loss-network (VGG) weights', 4);
