import { stubCommand } from './stub';

export const importCommand = stubCommand('import', 'import a style model made by another tool (PyTorch .pth, deeplearn.js/ml5 manifest)', 3);
