import { stubCommand } from './stub';

export const exportCommand = stubCommand('export', 'export a checkpoint to ONNX or a TensorFlow.js web model', 6);
