/**
 * Data sets of uint8 features: the IDX file format ({@link org.softmax4j.data.IdxReader},
 * {@link org.softmax4j.data.IdxWriter}), Fashion-MNIST ({@link org.softmax4j.data.FashionMnist})
 * and labelled examples with seeded validation splits ({@link org.softmax4j.data.Dataset}).
 * Errors in the data are {@link org.softmax4j.data.DataException}s whose messages name the
 * file and the problem.
 */
package org.softmax4j.data;
