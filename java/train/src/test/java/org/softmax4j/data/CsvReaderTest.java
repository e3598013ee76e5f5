package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link CsvReader} through {@link Table#csv}: what a CSV/TSV file becomes, and every error's message. */
class CsvReaderTest {
    @TempDir
    Path dir;

    private Path file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private Table csv(Path p) {
        return Table.csv(p).cacheDir(dir.resolve("cache"));
    }

    /** Every example's features, row by row. */
    static float[][] rows(Dataset d) {
        float[][] r = new float[d.size()][d.features()];
        for (int i = 0; i < d.size(); i++) for (int j = 0; j < d.features(); j++) r[i][j] = d.value(i, j);
        return r;
    }

    /** Every example's class name. */
    static List<String> labels(Dataset d) {
        return java.util.stream.IntStream.range(0, d.size())
                .mapToObj(i -> d.classNames().get(d.label(i)))
                .toList();
    }

    static void assertRows(float[][] expected, Dataset d) {
        assertEquals(expected.length, d.size(), "rows of " + d);
        float[][] got = rows(d);
        for (int i = 0; i < expected.length; i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected[i], got[i], "row " + i);
        }
    }

    private String error(Table t) {
        return assertThrows(DataException.class, t::read).getMessage();
    }

    // ---- what a file becomes --------------------------------------------------------------

    @Test
    void headerNamesTheFeaturesAndTheDefaultLabelIsTheColumnNamedLabel() throws IOException {
        Path p = file("h.csv", "a,label,b\n1,x,2.5\n-3,y,4e-1\n");
        Dataset d = csv(p).read();
        assertEquals(List.of("a", "b"), d.featureNames());
        assertEquals(List.of("x", "y"), d.classNames());
        assertRows(new float[][] {{1, 2.5f}, {-3, 0.4f}}, d);
        assertEquals(List.of("x", "y"), labels(d));
        assertTrue(d.isLabelled());
    }

    @Test
    void withoutAHeaderTheLabelIsTheLastColumnAndFeaturesAreUnnamed() throws IOException {
        Path p = file("n.csv", "1,2,0\n3,4,1\n5,6,0\n");
        Dataset d = csv(p).read();
        assertEquals(List.of(), d.featureNames());
        assertEquals(List.of("0", "1"), d.classNames());
        assertRows(new float[][] {{1, 2}, {3, 4}, {5, 6}}, d);
        assertEquals(List.of("0", "1", "0"), labels(d));
        // the same file with header(true): its first row names the columns
        Dataset h = csv(p).header(true).read();
        assertEquals(List.of("1", "2"), h.featureNames());
        assertEquals(2, h.size());
    }

    @ParameterizedTest(name = "delimiter {index}")
    @ValueSource(strings = {",", ";", "\t", "|"})
    void theDelimiterIsDetected(String delimiter) throws IOException {
        String text = String.join("\n", "a,b,y", "1,2,p", "3,4,q", "").replace(",", delimiter);
        Path p = file("d.csv", text);
        assertEquals(delimiter.charAt(0), CsvReader.detectDelimiter(p));
        Dataset d = csv(p).read();
        assertEquals(List.of("a", "b"), d.featureNames());
        assertRows(new float[][] {{1, 2}, {3, 4}}, d);
    }

    @Test
    void aTsvFileIsTabSeparatedWhateverItsFirstLineHolds() throws IOException {
        Path p = file("t.tsv", "a,b\tc,d\ty\n1\t2\tu\n3\t4\tv\n");
        assertEquals('\t', CsvReader.detectDelimiter(p));
        assertEquals(List.of("a,b", "c,d"), csv(p).read().featureNames());
    }

    @Test
    void delimitersInsideQuotesDoNotCountForDetection() throws IOException {
        Path p = file("q.csv", "\"a;b;c;d\",e,y\n1,2,z\n3,4,w\n");
        assertEquals(',', CsvReader.detectDelimiter(p));
    }

    @Test
    void anExplicitDelimiterOverridesDetection() throws IOException {
        // two commas and two semicolons on the first line: a tie goes to the comma
        Path p = file("e.csv", "1;2;a,b,c\n3;4;d,e,f\n");
        assertEquals(',', CsvReader.detectDelimiter(p));
        Dataset d = csv(p).delimiter(';').read();
        assertRows(new float[][] {{1, 2}, {3, 4}}, d);
        assertEquals(List.of("a,b,c", "d,e,f"), labels(d));
        // detected, the comma makes '1;2;a' a feature that is no number
        String m = error(csv(p));
        assertTrue(m.startsWith(p + ":1: column 1: '1;2;a' is not a number"), m);
    }

    @Test
    void quotingFollowsRfc4180() throws IOException {
        Path p = file(
                "rfc.csv",
                "\"a\",\"b, with a comma\",label\n"
                        + "1,\"2\",\"say \"\"hi\"\"\"\n"
                        + "3,4,\"two\nlines\"\n"
                        + "5,6,plain\n");
        Dataset d = csv(p).read();
        assertEquals(List.of("a", "b, with a comma"), d.featureNames());
        assertRows(new float[][] {{1, 2}, {3, 4}, {5, 6}}, d);
        assertEquals(List.of("say \"hi\"", "two\nlines", "plain"), labels(d));
    }

    @Test
    void errorLinesCountPhysicalLinesAfterAQuotedNewline() throws IOException {
        // the ragged record starts on line 5 of the file: line 3 holds a quoted newline
        Path p = file("ml.csv", "a,b,y\n1,2,p\n3,4,\"q\nr\"\n5,6\n");
        String m = error(csv(p));
        assertTrue(m.startsWith(p + ":5: 2 fields, expected 3"), m);
    }

    @Test
    void theLabelByNameOrByIndex() throws IOException {
        Path p = file("l.csv", "a,b,c\n1,10,100\n2,20,200\n1,30,300\n");
        Dataset byName = csv(p).label("a").read();
        assertEquals(List.of("b", "c"), byName.featureNames());
        assertEquals(List.of("1", "2", "1"), labels(byName));
        assertRows(new float[][] {{10, 100}, {20, 200}, {30, 300}}, byName);
        Dataset byIndex = csv(p).label("0").read();
        assertEquals(byName.featureNames(), byIndex.featureNames());
        assertEquals(labels(byName), labels(byIndex));
        // without a header only an index names a column
        Path n = file("ln.csv", "7,1,0.5\n8,0,0.25\n");
        Dataset d = csv(n).label("1").read();
        assertEquals(List.of("0", "1"), d.classNames());
        assertRows(new float[][] {{7, 0.5f}, {8, 0.25f}}, d);
        assertEquals(List.of("1", "0"), labels(d));
    }

    @Test
    void aColumnNamedClassTargetOrYIsTheDefaultLabel() throws IOException {
        for (String name : List.of("Class", "TARGET", "y")) {
            Path p = file("dl.csv", "f," + name + ",g\n1,a,2\n3,b,4\n");
            Dataset d = csv(p).read();
            assertEquals(List.of("f", "g"), d.featureNames(), name);
        }
    }

    @Test
    void stringClassesAreSortedAsStrings() throws IOException {
        Path p = file("s.csv", "x,label\n1,cat\n2,ant\n3,bee\n4,cat\n5,Zebra\n");
        Dataset d = csv(p).read();
        // String.compareTo: upper case before lower case
        assertEquals(List.of("Zebra", "ant", "bee", "cat"), d.classNames());
        assertEquals(List.of("cat", "ant", "bee", "cat", "Zebra"), labels(d));
        assertEquals(3, d.label(0));
        assertEquals(1, d.label(1));
    }

    @Test
    void numericClassesAreSortedNumerically() throws IOException {
        Path p = file("i.csv", "x,y\n1,10\n2,9\n3,-1\n4,10\n5,2\n");
        Dataset d = csv(p).read();
        assertEquals(List.of("-1", "2", "9", "10"), d.classNames()); // as strings: -1, 10, 2, 9
        assertEquals(List.of("10", "9", "-1", "10", "2"), labels(d));
    }

    @Test
    void theClassesDoNotDependOnTheOrderOfTheRows() throws IOException {
        long seed = System.nanoTime();
        System.out.println("CsvReaderTest.theClassesDoNotDependOnTheOrderOfTheRows seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        String[] names = {"red", "green", "blue", "cyan"};
        StringBuilder a = new StringBuilder("v,label\n"), b = new StringBuilder("v,label\n");
        List<String> lines = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) lines.add(i + "," + names[rnd.nextInt(names.length)]);
        for (String s : names) lines.add("99," + s); // every class at least once
        for (String l : lines) a.append(l).append('\n');
        java.util.Collections.shuffle(lines, new java.util.Random(rnd.nextLong()));
        for (String l : lines) b.append(l).append('\n');
        Dataset da = csv(file("a.csv", a.toString())).read(),
                db = csv(file("b.csv", b.toString())).read();
        assertEquals(List.of("blue", "cyan", "green", "red"), da.classNames());
        assertEquals(da.classNames(), db.classNames());
        for (int i = 0; i < da.size(); i++) {
            assertEquals(lines.get(i).split(",")[1], db.classNames().get(db.label(i)), "row " + i);
        }
    }

    @Test
    void dropColumnsByNameOrIndex() throws IOException {
        Path p = file("drop.csv", "id,a,b,c,label\n101,1,2,3,x\n102,4,5,6,y\n");
        Dataset d = csv(p).drop("id", "3").read();
        assertEquals(List.of("a", "b"), d.featureNames());
        assertRows(new float[][] {{1, 2}, {4, 5}}, d);
        Path n = file("dropn.csv", "101,1,2,0\n102,4,5,1\n");
        Dataset dn = csv(n).drop("0").read();
        assertRows(new float[][] {{1, 2}, {4, 5}}, dn);
        String m = error(csv(p).drop("nope"));
        assertEquals(p + ": --drop 'nope': no such column (columns: id, a, b, c, label)", m);
        m = error(csv(p).drop("9"));
        assertEquals(p + ": --drop 9: there are 5 columns (0 to 4)", m);
        m = error(csv(p).drop("a", "b", "c", "id"));
        assertEquals(p + ": no feature columns left", m);
    }

    // ---- missing values ----------------------------------------------------------------------

    private static final String MISSING = "a,b,y\n1,,p\n3,NA,q\nNaN,?,p\n5,8,q\n";

    @Test
    void aMissingValueIsAnErrorByDefault() throws IOException {
        Path p = file("m.csv", MISSING);
        String m = error(csv(p));
        assertTrue(m.startsWith(p + ":2: column 'b' (2): missing value"), m);
        assertTrue(m.contains("--missing zero|mean"), m);
        Path n = file("mn.csv", "1,2,0\n3,NA,1\n");
        m = error(csv(n));
        assertTrue(m.startsWith(n + ":2: column 2: missing value ('NA'"), m);
    }

    @Test
    void missingZero() throws IOException {
        Dataset d = csv(file("m.csv", MISSING)).missing(Missing.ZERO).read();
        assertRows(new float[][] {{1, 0}, {3, 0}, {0, 0}, {5, 8}}, d);
    }

    @Test
    void missingMeanIsTheColumnMeanOfTheValuesPresent() throws IOException {
        Dataset d = csv(file("m.csv", MISSING)).missing(Missing.MEAN).read();
        float meanA = (1 + 3 + 5) / 3f, meanB = 8f; // b has one value
        assertRows(new float[][] {{1, meanB}, {3, meanB}, {meanA, meanB}, {5, 8}}, d);
        // a column without any value is filled with 0
        Dataset e = csv(file("e.csv", "a,b,y\n1,,p\n2,NA,q\n"))
                .missing(Missing.MEAN)
                .read();
        assertRows(new float[][] {{1, 0}, {2, 0}}, e);
    }

    // ---- what is refused, and how it is said ---------------------------------------------------

    @Test
    void aRaggedRow() throws IOException {
        Path p = file("r.csv", "a,b,y\n1,2,p\n3,4\n");
        assertEquals(p + ":3: 2 fields, expected 3 (as the header)", error(csv(p)));
        Path q = file("r2.csv", "1,2,0\n3,4,1,9\n");
        assertEquals(q + ":2: 4 fields, expected 3 (as the first record)", error(csv(q)));
    }

    @Test
    void aFeatureThatIsNoNumber() throws IOException {
        Path p = file("nn.csv", "a,b,y\n1,2,p\n3,four,q\n");
        assertEquals(p + ":3: column 'b' (2): 'four' is not a number", error(csv(p)));
    }

    @Test
    void aValueBeyondFloat32() throws IOException {
        Path p = file("inf.csv", "a,b,y\n1,2,p\n3,1e39,q\n");
        assertEquals(p + ":3: column 'b' (2): '1e39' is infinite (or beyond float32)", error(csv(p)));
        Path q = file("inf2.csv", "a,b,y\n1,2,p\n-Infinity,1,q\n");
        assertTrue(error(csv(q)).startsWith(q + ":3: column 'a' (1): '-Infinity' is infinite"));
    }

    @Test
    void anUnknownLabelColumn() throws IOException {
        Path p = file("u.csv", "a,b,y\n1,2,p\n3,4,q\n");
        assertEquals(p + ": --label 'kind': no such column (columns: a, b, y)", error(csv(p).label("kind")));
        assertEquals(p + ": --label 3: there are 3 columns (0 to 2)", error(csv(p).label("3")));
        Path n = file("un.csv", "1,2,0\n3,4,1\n");
        String m = error(csv(n).label("y"));
        assertEquals(n + ": --label 'y': no such column (the file has no header: use a 0-based index)", m);
    }

    @Test
    void anEmptyLabel() throws IOException {
        Path p = file("el.csv", "a,b,y\n1,2,p\n3,4,\n");
        assertEquals(p + ":3: the label ('y') is empty", error(csv(p)));
    }

    @Test
    void aSingleClass() throws IOException {
        Path p = file("one.csv", "a,y\n1,p\n2,p\n");
        assertEquals(p + ": a single class ('p'): a classifier needs at least two", error(csv(p)));
    }

    @Test
    void anEmptyFile() throws IOException {
        Path p = file("empty.csv", "");
        assertEquals(p + ": empty file (no records)", error(csv(p)));
        Path blank = file("blank.csv", "\n\n\r\n");
        assertEquals(blank + ": empty file (no records)", error(csv(blank)));
    }

    @Test
    void aHeaderOnly() throws IOException {
        Path p = file("ho.csv", "a,b,label\n");
        assertEquals(p + ": a header and no data", error(csv(p).header(true)));
        // detected: one record cannot be told a header, so it is data, and no number
        String m = error(csv(p));
        assertTrue(m.startsWith(p + ":1: column 1: 'a' is not a number"), m);
    }

    @Test
    void anUnterminatedQuote() throws IOException {
        // in a feature column it swallows the rest of the file into one cell: too few fields
        Path p = file("uq.csv", "a,b,y\n1,2,p\n3,\"4,q\n5,6,r\n");
        assertEquals(p + ":3: 2 fields, expected 3 (as the header)", error(csv(p)));
        // in the label column the record looks whole: the rows after it must not vanish into a class name
        for (String tail : List.of("", "\n", "\r\n\r\n", "\"\"", "\"\"\n")) {
            Path q = file("uql.csv", "a,b,y\n1,2,p\n3,4,\"q\n5,6,r\n7,8,p" + tail);
            assertEquals(
                    q + ":3: the quoted field that starts here is not closed (an unterminated \")",
                    error(csv(q)),
                    "tail " + tail.replace("\n", "\\n").replace("\r", "\\r"));
        }
        // a last field that is closed, whatever it holds
        for (String last : List.of("\"r\"", "\"r\"\n", "\"r\"\"\"\n\n", "\"\"\"\"", "\"x\"\"\"", "\"a,\nb\"\r\n")) {
            Path q = file("closed.csv", "a,b,y\n1,2,p\n3,4," + last);
            Dataset d = csv(q).read();
            assertEquals(2, d.size(), last);
        }
    }

    @Test
    void aMissingFile() {
        Path p = dir.resolve("absent.csv");
        assertEquals(p + ": file not found", error(csv(p)));
    }

    @Test
    void aLabelNotAmongTheModelsClasses() throws IOException {
        Path p = file("t.csv", "a,b,y\n1,2,p\n3,4,zz\n");
        String m = assertThrows(
                        DataException.class, () -> csv(p).readFor(List.of("p", "q"), List.of("a", "b"), 2, true))
                .getMessage();
        assertEquals(p + ":3: label 'zz' is not one of the model's 2 classes", m);
    }

    // ---- files for a trained model ------------------------------------------------------------

    @Test
    void featuresAreMatchedByNameForAModel() throws IOException {
        Path p = file("m.csv", "b,extra,y,a\n2,9,q,1\n4,9,p,3\n");
        Dataset d = csv(p).readFor(List.of("p", "q"), List.of("a", "b"), 2, true);
        assertEquals(List.of("a", "b"), d.featureNames());
        assertRows(new float[][] {{1, 2}, {3, 4}}, d);
        assertEquals(List.of("q", "p"), labels(d));
        assertEquals(List.of("p", "q"), d.classNames());
    }

    @Test
    void aFileWithoutLabelsForAModel() throws IOException {
        Path p = file("x.csv", "a,b\n1,2\n3,4\n");
        Dataset d = csv(p).readFor(List.of("p", "q"), List.of("a", "b"), 2, false);
        assertFalse(d.isLabelled());
        assertRows(new float[][] {{1, 2}, {3, 4}}, d);
    }

    @Test
    void theWrongFeatureColumnsForAModel() throws IOException {
        Path p = file("w.csv", "a,c,y\n1,2,p\n3,4,q\n");
        String m = assertThrows(
                        DataException.class, () -> csv(p).readFor(List.of("p", "q"), List.of("a", "b", "c"), 3, true))
                .getMessage();
        assertEquals(p + ": 2 feature columns, the model has 3 (missing here: b)", m);
    }

    /** A header of numbers-looking names (5, 100) is not averaged into --missing mean's fill values. */
    @ParameterizedTest
    @ValueSource(strings = {"plain", "quoted"})
    void meanImputationIgnoresTheHeader(String kind) throws IOException {
        String q = kind.equals("quoted") ? "\"" : ""; // a quote sends the file through FastCSV
        Path p = file(kind + ".csv", "x,1000,label\n1,2," + q + "a" + q + "\n3,NA,b\n5,4,a\n");
        Dataset d = csv(p).missing(Missing.MEAN).read();
        assertRows(new float[][] {{1, 2}, {3, 3}, {5, 4}}, d); // mean of 2 and 4, not of 1000, 2 and 4
    }
}
