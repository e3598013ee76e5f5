/** The example consumer as a named module: softmax4j is then on the module path. */
module org.example.consumer {
    requires org.softmax4j;
}
