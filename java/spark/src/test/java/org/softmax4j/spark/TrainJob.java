package org.softmax4j.spark;

import java.util.Arrays;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The job of java/spark/README.md, line for line (ReadmeJobTest runs it). */
public class TrainJob {
    public static void main(String[] args) throws Exception {
        SparkSession spark = SparkSession.builder().appName("softmax4j").getOrCreate();
        Dataset<Row> csv =
                spark.read().option("header", true).option("inferSchema", true).csv(args[0]);
        String[] inputs =
                Arrays.stream(csv.columns()).filter(c -> !c.equals("label")).toArray(String[]::new);
        Dataset<Row> rows = new VectorAssembler()
                .setInputCols(inputs)
                .setOutputCol("features")
                .transform(csv);
        Softmax4jClassificationModel model =
                new Softmax4jClassifier().setRegParam(1e-3).fit(rows);
        model.write().overwrite().save(args[1]);
        double[] objective = model.summary().objectiveHistory();
        System.out.println(objective.length - 1 + " iterations, objective " + objective[objective.length - 1]);
    }
}
