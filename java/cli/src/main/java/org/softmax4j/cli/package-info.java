/**
 * The {@code softmax4j} command line ({@link org.softmax4j.cli.Main}, picocli): train,
 * eval, predict, sweep, misclassified, quantize and formats, with hand-written SVG plots
 * and PNG images (no java.desktop).
 */
package org.softmax4j.cli;
