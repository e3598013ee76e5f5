/**
 * Softmax regression trained by minibatch SGD through {@link org.softmax4j.Kernels}:
 * the model ({@link org.softmax4j.train.SoftmaxRegression}), the settings
 * ({@link org.softmax4j.train.TrainConfig}, {@link org.softmax4j.train.LrSchedule}), the
 * loop ({@link org.softmax4j.train.Trainer}) with its callbacks
 * ({@link org.softmax4j.train.TrainingListener}) and results
 * ({@link org.softmax4j.train.EpochMetrics}, {@link org.softmax4j.train.TrainResult}),
 * evaluation ({@link org.softmax4j.train.Evaluator}), the versioned model file
 * ({@link org.softmax4j.train.Checkpoint}) and int8 quantization
 * ({@link org.softmax4j.train.QuantizedModel}).
 */
package org.softmax4j.train;
