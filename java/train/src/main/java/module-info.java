/**
 * softmax4j's trainer: data sets ({@code org.softmax4j.data}), softmax
 * regression trained with minibatch SGD through the kernels of
 * {@code org.softmax4j}, the model file ({@code org.softmax4j.train}).
 */
module org.softmax4j.train {
    requires transitive org.softmax4j;
    requires de.siegmar.fastcsv;
    requires ch.randelshofer.fastdoubleparser;

    exports org.softmax4j.data;
    exports org.softmax4j.train;
}
