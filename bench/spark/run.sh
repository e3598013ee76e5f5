#!/usr/bin/env bash
# Softmax4jClassifier vs MLlib's LogisticRegression on local[2] (SparkBench.java; figures in NOTES.md).
#   bench/spark/run.sh fashion              Fashion-MNIST (Debian's dataset-fashion-mnist, or $SOFTMAX4J_DATA)
#   bench/spark/run.sh synthetic 1000000    ROWS x 100 features, 10 classes
# Heap: SPARK_BENCH_HEAP (default 12g; the synthetic set needs about 3 KB per row); more JVM
# options: SPARK_BENCH_JAVA_OPTS (e.g. -Dsoftmax4j.threads=1, one kernel thread per task).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
# shellcheck source=../../java/bin/find-jdk.sh
. java/bin/find-jdk.sh
s4j_find_jdk
out=bench/spark/target
# the module's jar and the two classpaths its build writes (Spark's, and the module's runtime)
./mvnw -B -q -pl java/spark -am package -DskipTests -Ds4j.fuzz.skip=true -Ds4j.glibc.check.skip=true \
  -Dmaven.javadoc.skip=true -Dmaven.source.skip=true >&2
cluster=java/spark/target/cluster
cp="java/spark/target/softmax4j-spark-0.1.0.jar:$(cat $cluster/app-classpath.txt):$(cat $cluster/spark-classpath.txt)"
mkdir -p "$out/classes"
"$JAVA_HOME/bin/javac" -nowarn -d "$out/classes" -cp "$cp" bench/spark/SparkBench.java >&2
# what spark-submit gives a driver on JDK 17+ (Spark's JavaModuleOptions; jdk.incubator.vector lets
# MLlib use its Vector API BLAS), and what softmax4j's natives want
flags=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
  -XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true)
SPARK_LOCAL_IP=127.0.0.1 exec "$JAVA_HOME/bin/java" "${flags[@]}" "-Xmx${SPARK_BENCH_HEAP:-12g}" ${SPARK_BENCH_JAVA_OPTS:-} \
  -cp "$out/classes:$cp" org.softmax4j.spark.SparkBench "$@"
