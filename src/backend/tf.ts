/**
 * The single place that imports TensorFlow.js. Everything else imports `tf` from here, so that an optional
 * node backend (tfjs-node / tfjs-node-gpu), which registers itself into this same tfjs-core instance, and our native
 * kernels see one engine.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
export type Tensor = tf.Tensor;
export type Tensor4D = tf.Tensor4D;
