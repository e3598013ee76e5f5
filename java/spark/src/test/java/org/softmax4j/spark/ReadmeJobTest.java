package org.softmax4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's job on a CSV file: it trains, saves a model that loads and predicts. */
class ReadmeJobTest {

    /** The README shows TrainJob's class as it is (up to line breaks and indentation). */
    @Test
    void theReadmeShowsThisJob() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        Matcher block = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(block.find(), "a java block in java/spark/README.md");
        String job = Files.readString(Path.of("src/test/java/org/softmax4j/spark/TrainJob.java"));
        job = job.substring(job.indexOf("public class TrainJob"));
        assertEquals(job.replaceAll("\\s+", ""), block.group(1).replaceAll("\\s+", ""));
    }

    @Test
    void trainsOnACsvFileAndSavesTheModel(@TempDir Path dir) throws Exception {
        TestData d = new TestData(1200, 4, 3, 0, System.nanoTime());
        StringBuilder csv = new StringBuilder("a,b,c,d,label\n");
        for (int i = 0; i < d.rows; i++) {
            for (int j = 0; j < 4; j++) csv.append(String.format(Locale.ROOT, "%.6f,", d.x[i][j]));
            csv.append(d.y[i]).append('\n');
        }
        Path file = dir.resolve("train.csv"), model = dir.resolve("model");
        Files.writeString(file, csv);
        LocalSpark.session(); // the job's getOrCreate() finds this session
        TrainJob.main(new String[] {file.toString(), model.toString()});

        Softmax4jClassificationModel m = Softmax4jClassificationModel.load(model.toString());
        assertEquals(4, m.numFeatures());
        assertEquals(3, m.numClasses());
        Row first = m.transform(d.frame(LocalSpark.session(), false, 1))
                .select("prediction")
                .head();
        double p = first.getDouble(0);
        assertTrue(p == 0 || p == 1 || p == 2, "a class: " + p);
    }
}
